"""Pseudonymised outputs name nobody: every handle form, keyed ids, re-identification."""

from __future__ import annotations

import csv
import hashlib
import hmac
import json
import re

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from listening.exporting import export
from listening.pseudonymise import (
    ID_PREFIX,
    handle_key,
    keyed_id,
    pseudonym,
    pseudonymise_frame,
    pseudonymise_text,
)
from listening.schema import make_mention_ids

SECRET = b"0123456789abcdef0123456789abcdef"
OTHER = b"fedcba9876543210fedcba9876543210"


def tok(handle: str) -> str:
    return pseudonym(handle, SECRET)


# (text as an analyst would find it, the handle that must disappear, platform).
# Shapes follow the platforms' own address and mention forms.
FORMS = [
    ("RT @erin_w: road closed", "erin_w", "x"),
    ("thanks @Erin_W!", "erin_w", "x"),
    ("see https://twitter.com/erin_w/status/1861234567890", "erin_w", "x"),
    ("see https://x.com/erin_w/status/1861234567890?s=20", "erin_w", "x"),
    ("see https://mobile.twitter.com/erin_w/status/1", "erin_w", "x"),
    ("see twitter.com/erin_w/status/1 (no scheme)", "erin_w", "news"),
    ("old link https://twitter.com/#!/erin_w", "erin_w", "news"),
    ("https://twitter.com/kate?lang=en is the account", "kate", "news"),
    ("follow https://twitter.com/intent/user?screen_name=kate", "kate", "news"),
    ("https://x.com/intent/follow?screen_name=kate&lang=fr", "kate", "news"),
    ("share https://twitter.com/share?text=hi&via=kate", "kate", "news"),
    ("profile https://www.reddit.com/user/jane-doe", "jane-doe", "reddit"),
    ("profile https://old.reddit.com/u/jane-doe/", "jane-doe", "reddit"),
    ("https://www.reddit.com/r/u_jane-doe/comments/1abcde/my_post/", "jane-doe", "reddit"),
    ("as u/jane-doe said", "jane-doe", "reddit"),
    ("as /u/jane-doe said", "jane-doe", "reddit"),
    ("channel https://www.youtube.com/@jane.doe-1/videos", "jane.doe-1", "youtube"),
    ("channel https://www.youtube.com/channel/UCx9kLm2Q", "ucx9klm2q", "youtube"),
    ("comment by @jane.doe-1 on the stream", "jane.doe-1", "youtube"),
    ("insta @jane.doe_22.", "jane.doe_22", "instagram"),
    ("https://www.instagram.com/jane.doe_22/", "jane.doe_22", "instagram"),
    ("https://www.tiktok.com/@jane.doe_22/video/7301", "jane.doe_22", "tiktok"),
    ("https://www.threads.net/@jane.doe_22/post/C1", "jane.doe_22", "instagram"),
    ("https://www.facebook.com/jane.doe.77/posts/111", "jane.doe.77", "facebook"),
    ("https://m.facebook.com/profile.php?id=100012345678", "100012345678", "facebook"),
    ("https://www.linkedin.com/in/jane-doe-4b2", "jane-doe-4b2", "linkedin"),
    ("https://bsky.app/profile/jane.bsky.social/post/3k", "jane.bsky.social", "bluesky"),
    ("cc @jane.bsky.social", "jane.bsky.social", "bluesky"),
    ("boost @jane@mastodon.social please", "jane@mastodon.social", "mastodon"),
    ("https://mastodon.social/@jane/11223344", "jane@mastodon.social", "mastodon"),
    ("full-width \uff20erin_w here", "erin_w", "x"),
    ("encoded https://x.com/%40erin_w", "erin_w", "x"),
]


@pytest.mark.parametrize(("text", "handle", "platform"), FORMS)
def test_every_handle_form_is_replaced_in_text(text, handle, platform):
    frame = pd.DataFrame({"author": ["@someone_else"], "platform": [platform], "text": [text]})
    out = pseudonymise_frame(frame, secret=SECRET, allow=[])
    written = out["text"][0]
    bare = handle.split("@")[0]
    assert bare.casefold() not in written.casefold(), written
    assert tok(handle) in written, (written, handle)
    # the same string helper gives the same result (the brief uses it on titles)
    assert pseudonymise_text(text, secret=SECRET, allow=[], platform=platform,
                             author="@someone_else") == written


@pytest.mark.parametrize("url", [
    "https://twitter.com/erin_w/status/1861", "https://x.com/Erin_W/status/1861",
    "https://mobile.twitter.com/erin_w/status/1861", "https://twitter.com/erin_w?lang=en",
    "https://news.example.ca/author/erin_w/story-1",  # the row's own author on any site
    "https://blog.example.ca/post?by=erin_w",
])
def test_the_rows_own_author_leaves_its_url(url):
    frame = pd.DataFrame({"author": ["@erin_w"], "platform": ["x"], "text": ["hello"],
                          "url": [url]})
    out = pseudonymise_frame(frame, secret=SECRET, allow=[])
    assert "erin_w" not in out["url"][0].casefold() and tok("erin_w") in out["url"][0]
    assert out["author"][0] == tok("erin_w")


def test_one_person_one_token_in_every_form():
    frame = pd.DataFrame({
        "author": ["@Erin_W", "@kate"],
        "platform": ["x", "x"],
        "text": ["me again", "RT @erin_w: see https://x.com/ERIN_W/status/1 and twitter.com/erin_w"],
        "url": ["https://x.com/erin_w/status/1", "https://twitter.com/intent/user?screen_name=Erin_W"],
    })
    out = pseudonymise_frame(frame, secret=SECRET, allow=[])
    token = tok("erin_w")
    assert out["author"][0] == token
    assert out["text"][1].count(token) == 3
    assert token in out["url"][0] and token in out["url"][1]
    assert out.attrs["listening"]["pseudonymisation"] == {
        "authors": 2, "mentions": 1, "urls": 4, "ids": 0}


def test_handle_characters_follow_the_platform():
    frame = pd.DataFrame({"author": ["a", "b", "c"], "platform": ["x", "instagram", "youtube"],
                          "text": ["@jane.doe-x", "@jane.doe-x", "@jane.doe-x"]})
    out = pseudonymise_frame(frame, secret=SECRET, allow=[])
    # X links "@jane" only; Instagram "@jane.doe"; YouTube "@jane.doe-x"
    assert out["text"].tolist() == [f"@{tok('jane')}.doe-x", f"@{tok('jane.doe')}-x",
                                    f"@{tok('jane.doe-x')}"]


@pytest.mark.parametrize("text", [
    "write to jane@example.com", "1 u/s today", "https://twitter.com/i/web/status/1861",
    "https://twitter.com/search?q=fire", "https://www.reddit.com/r/ontario/comments/1abcde/x/",
    "https://www.youtube.com/watch?v=dQw4w9WgXcQ", "https://www.instagram.com/p/C1x/",
    "https://www.linkedin.com/company/opp", "price 5 @ 3$", "x.com", "box.com/jane",
])
def test_what_is_not_a_handle_is_left_alone(text):
    frame = pd.DataFrame({"author": ["@someone"], "platform": ["news"], "text": [text]})
    assert pseudonymise_frame(frame, secret=SECRET, allow=[])["text"][0] == text


def test_allow_listed_accounts_stay_readable_in_every_form():
    frame = pd.DataFrame({
        "author": ["@OPP_News", "@jane"], "platform": ["x", "x"],
        "text": ["@jane thanks", ("RT @OPP_News: see https://x.com/OPP_News/status/1 "
                                  "and https://twitter.com/intent/user?screen_name=opp_news")],
        "url": ["https://x.com/OPP_News/status/1", "https://x.com/jane/status/2"]})
    out = pseudonymise_frame(frame, secret=SECRET)  # the default allow-list
    assert out["author"].tolist() == ["@OPP_News", tok("jane")]
    assert out["text"][1] == frame["text"][1]
    assert out["url"][0] == frame["url"][0] and "jane" not in out["url"][1]


def test_ids_are_keyed_consistently_and_lists_too():
    frame = pd.DataFrame({"mention_id": ["h:0123456789abcdef", "1861234567890", None],
                          "author": ["@a", "@b", "@c"], "text": ["x", "y", "z"]})
    alerts = pd.DataFrame({"example_ids": [["1861234567890", "h:0123456789abcdef"], []],
                           "why": ["volume up", "@b is new"]})
    out = pseudonymise_frame(frame, secret=SECRET, allow=[])
    keyed = pseudonymise_frame(alerts, secret=SECRET, allow=[])
    assert out["mention_id"][0] == keyed_id("h:0123456789abcdef", SECRET)
    assert out["mention_id"][0].startswith(ID_PREFIX) and pd.isna(out["mention_id"][2])
    assert keyed["example_ids"][0] == [out["mention_id"][1], out["mention_id"][0]]
    assert keyed["example_ids"][1] == []
    assert keyed["why"][1] == f"@{tok('b')} is new"
    other = pseudonymise_frame(frame, secret=OTHER, allow=[])
    assert (other["mention_id"][:2] != out["mention_id"][:2]).all()


def test_input_is_unchanged_and_dtypes_are_kept():
    import pyarrow as pa

    frame = pd.DataFrame({
        "author": pd.Series(["@jane", "@bob"], dtype="string"),
        "text": pd.Series(["hi @bob", "x.com/jane"], dtype=pd.ArrowDtype(pa.string())),
        "topic_label": pd.Series(["@bob, fire", "roads"], dtype="category"),
        "terms": [["@bob", "fire"], ["roads"]], "likes": [1, 2]})
    before = frame.copy()
    out = pseudonymise_frame(frame, secret=SECRET, allow=[])
    pd.testing.assert_frame_equal(frame, before)
    assert isinstance(out["text"].dtype, pd.ArrowDtype)
    assert isinstance(out["topic_label"].dtype, pd.CategoricalDtype)
    assert out["terms"][0] == [f"@{tok('bob')}", "fire"]
    assert out["likes"].tolist() == [1, 2]


def test_numeric_author_ids_are_replaced_too():
    frame = pd.DataFrame({"author_id": [2244994945, None], "text": ["a", "b"]})
    out = pseudonymise_frame(frame, secret=SECRET, allow=[])
    assert out["author_id"][0] == tok("2244994945") and pd.isna(out["author_id"][1])


# ---------------------------------------------------------------- re-identification

def _candidates() -> list[str]:
    return [f"@resident{i:03d}" for i in range(60)] + ["@erin_w", "@kate", "@jane-doe"]


def _frame_without_platform_ids() -> pd.DataFrame:
    """Mentions whose source gave no id: ids are the hash of platform|author|time|text."""
    authors = _candidates()[::3]
    ts = pd.date_range("2026-11-01", periods=len(authors), freq="37min", tz="UTC")
    text = [f"road closed near exit {i}, cc @{_candidates()[i + 1][1:]}" for i in range(len(authors))]
    frame = pd.DataFrame({"timestamp": ts, "platform": "x", "author": authors, "text": text,
                          "url": [f"https://x.com/{a[1:]}/status/{i}" for i, a in enumerate(authors)]})
    frame.insert(0, "mention_id", make_mention_ids(frame["platform"], frame["author"],
                                                   frame["timestamp"], frame["text"]))
    return frame


def _attack(rows: list[dict], original: pd.DataFrame, candidates: list[str]) -> int:
    """How many rows an attacker with the export and a candidate list can re-identify.

    The attacker recomputes the unkeyed id for each row and candidate (with the
    exported text and, worse, with the original text seen on the platform), and
    tries every unkeyed or guessable way of turning a handle into a token.
    """
    n = len(candidates)
    keys = [handle_key(c).encode() for c in candidates]
    tokens = {"anon_" + f(k)[:16] for k in keys for f in (
        lambda k: hashlib.sha256(k).hexdigest(), lambda k: hashlib.sha1(k).hexdigest(),
        lambda k: hmac.new(b"", k, hashlib.sha256).hexdigest())}
    found = 0
    for row, (_, real) in zip(rows, original.iterrows()):
        ts = pd.Series([pd.Timestamp(row["timestamp"])] * n)
        guesses = set(tokens)
        for text in (row["text"], real["text"]):
            guesses |= set(make_mention_ids(pd.Series(["x"] * n), pd.Series(candidates), ts,
                                            pd.Series([text] * n)))
        found += bool({row["mention_id"], row["author"]} & guesses)
    return found


def test_export_and_candidate_list_do_not_reidentify_anyone(tmp_path):
    frame = _frame_without_platform_ids()
    path = export(frame, tmp_path / "p.csv", pseudonymise=True, secret=SECRET, allow=[])
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    content = path.read_text(encoding="utf-8-sig").casefold()
    candidates = _candidates()
    assert not [c for c in candidates if handle_key(c) in content]
    assert all(r["mention_id"].startswith(ID_PREFIX) for r in rows)
    # the attack works on what pseudonymisation used to leave (unkeyed ids) ...
    unkeyed = [dict(r, mention_id=m) for r, m in zip(rows, frame["mention_id"])]
    assert _attack(unkeyed, frame, candidates) == len(frame)
    # ... and finds nobody in the export
    assert _attack(rows, frame, candidates) == 0
    # only the secret links tokens to handles
    assert [r["author"] for r in rows] == [pseudonym(a, SECRET) for a in frame["author"]]
    assert [r["mention_id"] for r in rows] == [keyed_id(m, SECRET) for m in frame["mention_id"]]
    side = json.loads((tmp_path / "p.csv.provenance.json").read_text())
    assert side["replaced"]["ids"] == len(frame) and side["replaced"]["authors"] == len(frame)
    assert SECRET.hex() not in json.dumps(side) and SECRET.decode() not in json.dumps(side)


def test_pseudonymised_xlsx_of_the_demo_names_no_private_account(tmp_path):
    from openpyxl import load_workbook

    from listening.demo import MEDIA_ACCOUNTS, OFFICIAL_ACCOUNTS, PARTNER_ACCOUNTS, generate

    frame, _ = generate(n_mentions=800, days=3, seed=5)
    allowed = {handle_key(h) for h in [*OFFICIAL_ACCOUNTS, *MEDIA_ACCOUNTS, *PARTNER_ACCOUNTS]}
    private = {handle_key(a) for a in frame["author"].dropna()} - allowed - {""}
    path = export(frame, tmp_path / "d.xlsx", pseudonymise=True, secret=SECRET)
    cells = [str(c.value) for row in load_workbook(path)["data"].iter_rows() for c in row
             if c.value is not None]
    text = "\n".join(cells).casefold()
    words = set(re.findall(r"[\w.-]+", text)) | set(re.findall(r"\w+", text))
    leaked = sorted(private & words)
    assert len(private) > 50 and leaked == []
    assert any(handle_key(a) in text for a in allowed)  # official accounts stay readable


HANDLE = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{3,14}", fullmatch=True)


@settings(max_examples=150, deadline=None)
@given(handle=HANDLE, before=st.text(max_size=20), after=st.text(max_size=20),
       form=st.sampled_from(["@{h}", "\uff20{h}", "https://x.com/{h}/status/1",
                             "twitter.com/{h}?lang=en", "u/{h}", "reddit.com/user/{h}",
                             "https://www.youtube.com/@{h}", "x.com/intent/user?screen_name={h}"]))
def test_handles_never_survive_whatever_surrounds_them(handle, before, after, form):
    text = f"{before} {form.format(h=handle)} {after}"
    out = pseudonymise_text(text, secret=SECRET, allow=[])
    assert tok(handle) in out
    assert out.count(handle) <= (before + after).count(handle)
