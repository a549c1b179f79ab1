"""One list of institutional accounts serves pseudonymisation and the response queue."""

from listening.accounts import GROUPS, institutional_accounts
from listening.pseudonymise import default_allow_list
from listening.responses import excluded_accounts


def test_one_list_for_both_uses():
    groups = institutional_accounts()
    assert set(groups) == set(GROUPS)
    every = frozenset().union(*groups.values())
    assert "opp_news" in every and "ontario511" in every and "cbctoronto" in every
    assert default_allow_list() == every  # kept readable in pseudonymised outputs
    assert {g: frozenset(h) for g, h in excluded_accounts().items()} == groups  # never queued
