"""Suggested actions: simple documented rules from an editable YAML file.

The default file is ``listening/resources/report/actions.yaml`` (its header
documents every condition). Conditions are plain comparisons read from the
file: nothing in it is evaluated as code, and placeholders are filled with
:class:`string.Template` (no attribute access), values escaped later by the
template that prints them.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template

import yaml

from ..errors import ListeningError

__all__ = ["Action", "french_typography", "load_actions", "suggest_actions"]

ALERT_CONDITIONS = {"min_severity", "any_terms", "signals", "coordinated", "min_dup_share",
                    "min_new_author_share"}
# detect_threats reports coordination as shares (dup_share, new_author_share); a push by
# fresh accounts posting the same text is high on both (listening.threats.episodes).
COORDINATED_SHARE = 0.5
BRIEF_CONDITIONS = {"min_negative_share", "min_volume_change", "upcoming_event"}


@dataclass(frozen=True)
class Action:
    """One suggested action: the rule ``id`` that produced it and its text."""

    id: str
    text: str


def french_typography(text: str) -> str:
    """No-break spaces before ``: ; ! ?`` and inside « », as French typography wants."""
    for mark, space in ((" :", "\u00a0:"), (" ;", "\u202f;"), (" !", "\u202f!"), (" ?", "\u202f?"),
                        ("« ", "«\u00a0"), (" »", "\u00a0»"), (" %", "\u00a0%")):
        text = text.replace(mark, space)
    return text


def load_actions(path: str | os.PathLike | None = None) -> list[dict]:
    """Read and check an actions file (default: the packaged ``actions.yaml``)."""
    if path is None:
        text = resources.files("listening").joinpath("resources/report/actions.yaml").read_text("utf-8")
        where = "listening/resources/report/actions.yaml"
    else:
        text, where = Path(path).read_text(encoding="utf-8"), str(path)
    data = yaml.safe_load(text) or {}
    rules = data.get("actions") if isinstance(data, dict) else None
    if not isinstance(rules, list):
        raise ListeningError(f"{where}: expected a top-level 'actions:' list of rules")
    for i, rule in enumerate(rules):
        scope = rule.get("scope") if isinstance(rule, dict) else None
        allowed = ALERT_CONDITIONS if scope == "alert" else BRIEF_CONDITIONS
        if scope not in ("alert", "brief"):
            raise ListeningError(f"{where}: rule {i + 1} needs 'scope: alert' or 'scope: brief', "
                                 f"got {scope!r}")
        unknown = set(rule.get("when") or {}) - allowed
        if unknown:
            raise ListeningError(f"{where}: rule {rule.get('id', i + 1)!r} has unknown condition(s) "
                                 f"{sorted(unknown)}; {scope} rules accept {sorted(allowed)}")
        if not rule.get("id") or not rule.get("en") or not rule.get("fr"):
            raise ListeningError(f"{where}: rule {i + 1} needs 'id', 'en' and 'fr'")
    return rules


def _coordinated(alert: dict) -> bool:
    """An explicit ``coordination`` value if the alert has one, else both shares >= 0.5."""
    if "coordination" not in alert or alert["coordination"] is None:
        dup, new = alert.get("dup_share"), alert.get("new_author_share")
        return (dup is not None and new is not None and dup >= COORDINATED_SHARE
                and new >= COORDINATED_SHARE)
    value = alert["coordination"]
    if isinstance(value, dict):
        return any(bool(v) for v in value.values())
    if isinstance(value, str):
        return value.strip().lower() not in ("", "none", "false", "no", "0")
    if isinstance(value, float) and math.isnan(value):
        return False  # NaN is "not measured", not coordination
    try:
        return bool(value)
    except (TypeError, ValueError):  # e.g. an array: ambiguous, so not a yes
        return False


def _alert_matches(when: dict, alert: dict) -> bool:
    if "min_severity" in when and not (alert.get("severity") or 0) >= when["min_severity"]:
        return False
    if "signals" in when and str(alert.get("signal", "")) not in {str(s) for s in when["signals"]}:
        return False
    if when.get("coordinated") and not _coordinated(alert):
        return False
    for key, column in (("min_dup_share", "dup_share"), ("min_new_author_share", "new_author_share")):
        value = alert.get(column)
        if key in when and (value is None or not value >= when[key]):  # NaN fails too
            return False
    if "any_terms" in when:
        hay = " ".join([alert.get("terms_text", ""), str(alert.get("why", "")),
                        str(alert.get("segment", ""))]).casefold()
        if not any(str(term).casefold() in hay for term in when["any_terms"]):
            return False
    return True


def _brief_matches(when: dict, facts: dict) -> bool:
    share = facts.get("negative_share")
    change = facts.get("volume_change")
    if "min_negative_share" in when and not (share is not None and share >= when["min_negative_share"]):
        return False
    if "min_volume_change" in when and not (change is not None and change >= when["min_volume_change"]):
        return False
    return not (when.get("upcoming_event") and not facts.get("events"))


def suggest_actions(alerts: list[dict], facts: dict, *, lang: str,
                    rules: list[dict] | None = None) -> list[Action]:
    """Apply the action rules to the alerts (most severe first) and the period's facts.

    ``alerts``: dicts with ``severity, signal, segment, why, coordination,
    terms_text`` and formatted placeholders (``$segment $terms $severity $signal``).
    ``facts``: ``negative_share`` and ``volume_change`` (floats or None), ``events``
    (list), and their formatted placeholders.
    """
    rules = load_actions() if rules is None else rules
    out = []
    for rule in rules:
        when = rule.get("when") or {}
        text = rule[lang]
        if lang == "fr":
            text = french_typography(text)
        if rule["scope"] == "alert":
            match = next((a for a in alerts if _alert_matches(when, a)), None)
            if match is not None:
                out.append(Action(rule["id"], Template(text).safe_substitute(match["placeholders"])))
        elif _brief_matches(when, facts):
            out.append(Action(rule["id"], Template(text).safe_substitute(facts["placeholders"])))
    return out
