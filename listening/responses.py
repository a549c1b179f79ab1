"""The response queue: the posts the organisation should answer, ranked, with the reason.

Who is left out
    News outlets, official and partner accounts and the organisation's own accounts
    (the editable list ``listening/resources/accounts.yaml``), anything on
    the ``news`` platform, and plain retweets (``RT @…``: a reply goes to the
    original post).

What is queued
    A post from the public that reads as one of :data:`KINDS`, using the editable
    cues of ``listening/resources/responses/cues.yaml`` (English and French, whole
    words, case- and accent-insensitive): a threat, misinformation about the
    organisation, a question to it, a safety report made to it, or a complaint about
    its service. Some cues count only in a post that names the organisation ("heard
    … share this" is misinformation *about us* only when it is about us); a question
    or a complaint must name the organisation or one of its services; rhetorical
    questions ("anyone else stuck on the 401? lol") and figurative uses ("killed
    it") are not queued.

In what order
    ``priority = urgency × recency × reach factor``

    * urgency: the kind's weight in cues.yaml (threat 1, misinformation 0.9,
      question and safety 0.8, complaint 0.55): threats, false claims and direct
      questions come first, as the unit's triage order says;
    * recency = ``0.5 ** (age_hours / HALF_LIFE_HOURS)``, the age measured back from
      ``now`` (default: the newest post in the frame);
    * reach factor = ``log10(10 + reach)``: 1 for an account nobody follows, about 6
      for a national broadcaster; logarithmic so one big account does not bury every
      local question.

Sentiment is not used: an angry post is not more in need of an answer than a polite
question (ranking by negativity filled the old queue's top with complaints).

Handled posts
    Pass ``handled=store.handled()`` (``mention_id, by, note, at``, the store's
    worklog of ``Store.mark_handled``): handled posts leave the queue, or with
    ``include_handled=True`` stay in it marked with who handled them, when and
    with what note.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import yaml

from .accounts import institutional_accounts
from .errors import check_option
from .handles import handle_key
from .rules import Rule, TokenIndex
from .schema import require_columns
from .text import RETWEET_PREFIX, fold_accents
from .windows import DEFAULT_TZ, latest, parse_window

__all__ = [
    "HALF_LIFE_HOURS",
    "KINDS",
    "LANGUAGES",
    "excluded_accounts",
    "kind_label",
    "response_cues",
    "response_queue",
]

# A reply a day late has lost half its value: a unit's service standard is to answer
# public questions within one business day (see the OPP social media manager's job spec).
HALF_LIFE_HOURS = 24.0
# Kinds of post, most urgent first (ties in urgency are broken in this order).
KINDS = ("threat", "misinformation", "question", "safety", "complaint")
LANGUAGES = ("en", "fr")
# Columns the queue adds to the mention frame.
QUEUE_COLUMNS = ("kind", "categories", "cues", "age_hours", "urgency", "reach_factor", "priority",
                 "reason", "handled", "handled_by", "handled_at", "handled_note")


@lru_cache(maxsize=1)
def response_cues() -> dict:
    """The cue vocabulary and the reason words (parsed ``cues.yaml``)."""
    text = resources.files("listening").joinpath("resources/responses/cues.yaml") \
        .read_text("utf-8")
    return yaml.safe_load(text)


def excluded_accounts(accounts: str | os.PathLike | Mapping | None = None) -> dict[str, set[str]]:
    """The accounts never queued, by group (``own``, ``official``, ``partners``, ``news``).

    ``accounts`` is a YAML file shaped like ``listening/resources/accounts.yaml`` (the
    institutional accounts, :func:`listening.accounts.institutional_accounts`), a
    mapping of group -> handles, or None for that packaged file. Handles are
    normalised by :func:`listening.handles.handle_key` (lower case, no ``@`` or ``u/``).

    >>> sorted(excluded_accounts({"own": ["@OPP_News"], "news": ["CBCToronto"]}).items())
    [('news', {'cbctoronto'}), ('own', {'opp_news'})]
    """
    return {group: set(handles) for group, handles in institutional_accounts(accounts).items()}


def kind_label(kind: str, lang: str = "en") -> str:
    """The words for a kind of post (``"question to us"``, ``"question qui nous est adressée"``)."""
    return response_cues()["labels"][kind][lang]


def _both(spec: Mapping | None) -> list[str]:
    """The English and French phrases of a ``{en: [...], fr: [...]}`` block."""
    return [p for lang in (spec or {}).values() for p in (lang or [])]


def _cue_rule(phrases: Iterable[str]) -> Rule | None:
    """One monitoring rule matching any of ``phrases`` (each a quoted phrase), or None.

    The rules engine owns whole-word, case- and accent-insensitive matching and
    runs it vectorised over a token index built once per frame; the cue text is
    data and only ever reaches the rule parser.
    """
    terms = sorted({p.replace('"', " ").strip() for p in phrases} - {"?", ""})
    if not terms:
        return None
    return Rule.parse(" OR ".join(f'"{t}"' for t in terms), name="response cues")


@lru_cache(maxsize=8)
def _compiled(extra_own: tuple[str, ...]) -> dict:
    """The cue lists of cues.yaml as rules (plus the own handles naming the organisation)."""
    cues = response_cues()
    kinds = {}
    for kind in KINDS:
        spec = cues["kinds"][kind]
        kinds[kind] = {part: _cue_rule(_both(spec.get(part)))
                       for part in ("cues", "with_organisation", "not")}
        kinds[kind]["question_mark"] = "?" in _both(spec.get("cues"))
        kinds[kind]["about_us"] = bool(spec.get("about_us", False))
    return {"organisation": _cue_rule(_both(cues["organisation"]) + list(extra_own)),
            "services": _cue_rule(_both(cues["services"])), "kinds": kinds}


def _in_window(ts: pd.Series, since, *, tz: str) -> np.ndarray:
    """Posts inside ``since`` (anchored on the newest post, which a duration keeps)."""
    newest = latest(ts)
    window = parse_window(since, anchor=newest, tz=tz, name="since")
    keep = np.ones(len(ts), dtype=bool)
    if window.start is not None:
        keep &= (ts >= window.start).to_numpy(dtype=bool, na_value=False)
    # A window ending at the anchor ("48h", "today") includes the newest post itself;
    # one ending earlier ("yesterday") is half-open as windows are.
    if window.end is not None and newest is not None and window.end < newest:
        keep &= (ts < window.end).to_numpy(dtype=bool, na_value=False)
    return keep


def _question_mark(text: pd.Series) -> np.ndarray:
    """Posts with a question mark that is not part of a link (``?id=3``): RE2, vectorised."""
    array = pa.array(text, type=pa.large_string(), from_pandas=True)
    found = pc.match_substring_regex(array, r"\?([^\w=&%/]|$)")
    return np.asarray(found.to_numpy(zero_copy_only=False), dtype=bool)


def _eligible(posts: pd.DataFrame, text: pd.Series, never: set[str]) -> np.ndarray:
    """Not a plain retweet, not on the news platform, not by an excluded account."""
    ok = ~text.str.contains(RETWEET_PREFIX, regex=True).to_numpy(dtype=bool, na_value=False)
    if "platform" in posts.columns:
        ok &= (posts["platform"].astype("string") != "news").to_numpy(dtype=bool, na_value=True)
    if "author" in posts.columns and never:
        codes, authors = pd.factorize(posts["author"].astype("string"))
        excluded = np.array([handle_key(a) in never for a in authors] + [False], dtype=bool)
        ok &= ~excluded[codes]   # code -1 (no author) picks the trailing False
    return ok


def _hits(rule: Rule | None, frame: pd.DataFrame, index: TokenIndex) -> np.ndarray:
    if rule is None:
        return np.zeros(len(frame), dtype=bool)
    return rule.match(frame, index=index).to_numpy(dtype=bool)


def _age_text(hours: float, words: Mapping, lang: str) -> str:
    if hours < 1:
        return words["age_under_hour"][lang]
    if hours < 48:
        return words["age_hours"][lang].format(n=f"{hours:.0f}")
    return words["age_days"][lang].format(n=f"{hours / 24:.0f}")


def _number(value: float, lang: str) -> str:
    text = f"{int(value):,}"
    return text.replace(",", "\u202f") if lang == "fr" else text


def _empty(frame: pd.DataFrame) -> pd.DataFrame:
    dtypes = {"kind": "string", "categories": "string", "cues": "string", "age_hours": float,
              "urgency": float,
              "reach_factor": float, "priority": float, "reason": "string", "handled": bool,
              "handled_by": "string", "handled_at": "datetime64[ns, UTC]",
              "handled_note": "string"}
    return frame.iloc[:0].assign(**{c: pd.Series(dtype=d) for c, d in dtypes.items()})


def response_queue(frame: pd.DataFrame, *, since=None, now=None,
                   accounts: str | os.PathLike | Mapping | None = None,
                   handled: pd.DataFrame | None = None, include_handled: bool = False,
                   kinds: Iterable[str] = KINDS, lang: str = "en",
                   tz: str = DEFAULT_TZ) -> pd.DataFrame:
    """The posts that need a reply from the organisation, most urgent first, with why.

    Parameters
    ----------
    frame : DataFrame
        Mentions; needs ``mention_id``, ``timestamp`` and ``text``; uses ``author``,
        ``platform`` and ``reach`` when present.
    since : window, optional
        Only posts in this window, relative to the newest mention (``"48h"``,
        ``"yesterday"``, a date; see :func:`listening.windows.parse_window`).
    now : Timestamp, optional
        The moment ages are measured from; default the newest post in ``frame``.
    accounts : path, mapping or None
        Accounts never queued (see :func:`excluded_accounts`); default the packaged
        ``accounts.yaml``. Their handles, when written in a post, also count as
        naming the organisation (the ``own`` group).
    handled : DataFrame, optional
        ``Store.handled()``: ``mention_id, by, note, at`` of posts already answered.
    include_handled : bool
        Keep handled posts in the queue (marked) instead of leaving them out.
    kinds : iterable of str
        Which of :data:`KINDS` to queue.
    lang : {"en", "fr"}
        Language of the ``reason`` words.
    tz : str
        Time zone of ``since`` calendar words and of the handled time in ``reason``.

    Returns
    -------
    DataFrame
        The queued rows (original index and columns) plus ``kind`` (the most urgent
        kind matched), ``categories`` (every kind matched, comma-separated),
        ``cues`` (the words that matched), ``urgency``, ``reach_factor``,
        ``priority``, ``reason`` (words in ``lang``: kind, cues, reach, age; and who
        handled it, when and with what note), ``handled``, ``handled_by``,
        ``handled_at`` and ``handled_note``, sorted by ``priority`` descending. The
        input is not modified.

    Examples
    --------
    >>> import pandas as pd
    >>> from listening.schema import coerce
    >>> f = coerce(pd.DataFrame({"mention_id": ["1", "2", "3", "4"],
    ...     "timestamp": pd.to_datetime(["2026-11-01T10:00Z"] * 4), "platform": "x",
    ...     "author": ["@a", "@b", "@c", "@CBCToronto"],
    ...     "text": ["Is the 401 closed? Any detour?", "Nice day",
    ...              "Heard the OPP is closing the detachment. Share this",
    ...              "Is the OPP doing enough?"], "reach": [100, 5, 100_000, 10**6],
    ...     "source": "t#1"}))
    >>> response_queue(f)[["mention_id", "kind"]].to_numpy().tolist()
    [['3', 'misinformation'], ['1', 'question']]
    >>> response_queue(f, lang="fr")["reason"].iloc[1].split(" · ")[0]
    'question qui nous est adressée'
    """
    require_columns(frame, ["mention_id", "timestamp", "text"], stage="response_queue")
    check_option("lang", lang, LANGUAGES)
    wanted = [check_option("kinds", k, KINDS) for k in ([kinds] if isinstance(kinds, str)
                                                        else list(kinds))]
    cues = response_cues()
    groups = excluded_accounts(accounts)
    never = set().union(*groups.values()) if groups else set()

    ts = pd.to_datetime(frame["timestamp"], utc=True)
    in_window = _in_window(ts, since, tz=tz)
    text = frame["text"].astype("string").fillna("")

    # Which posts read as each kind: vectorised over a token index built once per frame.
    own = tuple("@" + h for h in sorted(groups.get("own", ())))
    rules = _compiled(own)
    index = TokenIndex.for_frame(frame)
    names_us = _hits(rules["organisation"], frame, index)
    about_service = names_us | _hits(rules["services"], frame, index)
    question_mark = _question_mark(text)
    hit: dict[str, np.ndarray] = {}
    for kind in (k for k in KINDS if k in wanted):
        parts = rules["kinds"][kind]
        found = _hits(parts["cues"], frame, index) | (
            names_us & _hits(parts["with_organisation"], frame, index))
        if parts["question_mark"]:
            found |= question_mark
        if parts["about_us"]:
            found &= about_service
        hit[kind] = found & in_window & ~_hits(parts["not"], frame, index)
    any_hit = np.zeros(len(frame), dtype=bool)
    for found in hit.values():
        any_hit |= found
    # Who is left out, checked on those posts only.
    rows = np.flatnonzero(any_hit)
    rows = rows[_eligible(frame.iloc[rows], text.iloc[rows], never)]
    if rows.size == 0:
        return _empty(frame)
    matched = {k: v[rows] for k, v in hit.items()}

    kinds_of = [[k for k in matched if matched[k][i]] for i in range(rows.size)]
    urgency_of = {k: float(cues["kinds"][k]["urgency"]) for k in KINDS}
    main = [max(ks, key=lambda k: (urgency_of[k], -KINDS.index(k))) for ks in kinds_of]
    weight = np.array([urgency_of[k] for k in main])
    reference = latest(ts) if now is None else pd.Timestamp(now)
    if reference.tzinfo is None:
        reference = reference.tz_localize("UTC")
    age_h = ((reference - ts.iloc[rows]).dt.total_seconds() / 3600).clip(lower=0).to_numpy()
    reach = (pd.to_numeric(frame["reach"].iloc[rows], errors="coerce")
             .to_numpy(dtype=float, na_value=0.0) if "reach" in frame.columns
             else np.zeros(rows.size))
    reach = np.nan_to_num(np.maximum(reach, 0))
    reach_factor = np.log10(10 + reach)
    urgency = weight * 0.5 ** (age_h / HALF_LIFE_HOURS)
    priority = urgency * reach_factor

    folded = [fold_accents(t.lower()) for t in text.iloc[rows].tolist()]
    cue_words = _cue_words(folded, kinds_of, cues)
    out = frame.iloc[rows].assign(
        kind=pd.array(main, dtype="string"),
        categories=pd.array([", ".join(ks) for ks in kinds_of], dtype="string"),
        cues=pd.array([", ".join(w) for w in cue_words], dtype="string"),
        age_hours=age_h, urgency=urgency, reach_factor=reach_factor, priority=priority)
    out = _with_handled(out, handled)
    if not include_handled:
        out = out[~out["handled"].to_numpy(dtype=bool)]
    out = out.assign(reason=pd.array(_reasons(out, lang=lang, tz=tz), dtype="string"))
    return out.sort_values("priority", ascending=False, kind="stable")[
        [*frame.columns, *QUEUE_COLUMNS]]


def _cue_words(folded: list[str], kinds_of: list[list[str]], cues: Mapping) -> list[list[str]]:
    """The cue phrases each queued post contains (shown in ``reason``), in text order.

    Only for the queued posts, so a plain loop: the vectorised decision was made by
    the rules above; this only names the words for the analyst.
    """
    patterns = {}
    for kind in KINDS:
        spec = cues["kinds"][kind]
        phrases = list(dict.fromkeys(
            p for p in _both(spec.get("cues")) + _both(spec.get("with_organisation"))
            if p.strip() != "?"))
        if phrases:
            # one alternation per kind; the group that matched names the phrase
            alternatives = "|".join(f"(?P<c{i}>{_phrase_regex(p)})"
                                    for i, p in enumerate(phrases))
            patterns[kind] = (phrases, re.compile(rf"(?<![\w#@])(?:{alternatives})(?!\w)"))
    seen: dict[tuple, list[str]] = {}   # demo and real streams repeat texts (copies, retweets)
    out = []
    for text, ks in zip(folded, kinds_of):
        key = (text, tuple(ks))
        if key not in seen:
            words = []
            for kind in ks:
                if kind in patterns:
                    phrases, rx = patterns[kind]
                    words += [phrases[int(m.lastgroup[1:])] for m in rx.finditer(text)]
            seen[key] = list(dict.fromkeys(words))
        out.append(seen[key])
    return out


def _phrase_regex(phrase: str) -> str:
    """A cue phrase as a regex over folded text: its words in order, non-words between."""
    words = re.findall(r"[#@]?[\w*]+", fold_accents(phrase.lower()))
    return r"\W+".join(re.escape(w).replace(r"\*", r"\w*") for w in words)


def _with_handled(out: pd.DataFrame, handled: pd.DataFrame | None) -> pd.DataFrame:
    """Add ``handled, handled_by, handled_at, handled_note`` from ``Store.handled()``."""
    n = len(out)
    if handled is None or len(handled) == 0:
        return out.assign(handled=np.zeros(n, dtype=bool),
                          handled_by=pd.array([pd.NA] * n, dtype="string"),
                          handled_at=pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns, UTC]"),
                          handled_note=pd.array([pd.NA] * n, dtype="string"))
    require_columns(handled, ["mention_id", "by", "note", "at"], stage="response_queue handled=")
    latest_mark = (handled.assign(at=pd.to_datetime(handled["at"], utc=True),
                                  mention_id=handled["mention_id"].astype(str))
                   .sort_values("at", kind="stable").drop_duplicates("mention_id", keep="last")
                   .set_index("mention_id"))
    ids = out["mention_id"].astype(str)
    return out.assign(
        handled=ids.isin(latest_mark.index).to_numpy(),
        handled_by=ids.map(latest_mark["by"]).astype("string"),
        handled_at=pd.to_datetime(ids.map(latest_mark["at"]), utc=True),
        handled_note=ids.map(latest_mark["note"]).astype("string"))


def _reasons(out: pd.DataFrame, *, lang: str, tz: str) -> list[str]:
    words = response_cues()["words"]
    reach = (pd.to_numeric(out["reach"], errors="coerce").fillna(0).to_numpy(dtype=float)
             if "reach" in out.columns else np.zeros(len(out)))
    age = out["age_hours"].to_numpy(dtype=float)
    reasons = []
    for i, row in enumerate(out[["kind", "cues", "handled", "handled_by", "handled_at",
                                 "handled_note"]].itertuples(index=False)):
        parts = [kind_label(row.kind, lang)]
        if row.cues:
            parts.append(f"{words['cues'][lang]} {row.cues}")
        parts += [f"{words['reach'][lang]} {_number(max(reach[i], 0), lang)}",
                  _age_text(age[i], words, lang)]
        if row.handled:
            who = row.handled_by if isinstance(row.handled_by, str) and row.handled_by \
                else words["someone"][lang]
            when = pd.Timestamp(row.handled_at).tz_convert(tz).strftime("%Y-%m-%d %H:%M")
            mark = words["handled"][lang].format(by=who, at=when)
            if isinstance(row.handled_note, str) and row.handled_note:
                mark += f" — “{row.handled_note}”"
            parts.append(mark)
        reasons.append(" · ".join(parts))
    return reasons
