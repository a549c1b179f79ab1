"""What a notification says: title, severity in words, why, example posts, the brief.

One :class:`Message` per alert (or per digest of several alerts) and route, in
the route's language (``en``, ``fr`` or ``both``: English first, then French).
The channels (:mod:`.channels`) turn it into an e-mail or a chat card.

Titles, severity words and the why sentence come from
:func:`listening.threats.titles.alert_titles`, so a notification, the brief and the
Threat Board call an alert by the same name.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from ..threats import titles
from ..threats.explain import PLATFORM_NAMES, PLATFORM_NAMES_FR
from ..windows import DEFAULT_TZ

# Examples shown per alert: enough to see what people say, short enough for a phone.
N_EXAMPLES = 3
EXAMPLE_CHARS = 280

_TEXT = {
    "en": {"severity": "Severity", "why": "Why", "examples": "Example posts",
           "brief": "Current brief", "alerts": "alerts", "digest": "Digest"},
    "fr": {"severity": "Gravité", "why": "Pourquoi", "examples": "Exemples de messages",
           "brief": "Note d'information", "alerts": "alertes", "digest": "Résumé"},
}


def _wording(alerts: list[dict], lang: str, examples: pd.DataFrame | None,
             tz: str) -> list[dict]:
    """``title``, ``severity_text`` and ``why`` of each alert (the brief's wording)."""
    posts = None
    if examples is not None and len(examples) and "timestamp" in examples.columns:
        posts = examples
    names = titles.topic_names(posts, lang=lang) if posts is not None else None
    return titles.alert_titles(pd.DataFrame(alerts), lang=lang, frame=posts, tz=tz,
                               topic_names=names).to_dict("records")


@dataclasses.dataclass(frozen=True)
class Message:
    """A notification ready for a channel."""

    subject: str
    text: str                   # plain text body (e-mail, generic JSON)
    markdown: str               # chat body (Slack, Teams)
    severity: int
    languages: tuple[str, ...]
    alerts: tuple[dict, ...]    # what the generic JSON webhook receives


def _examples(alert: dict, examples: pd.DataFrame) -> list[tuple[str, str, str]]:
    ids = [str(i) for i in list(alert.get("example_ids") or [])]
    if examples is None or not len(examples):
        return []
    found = examples.set_index("mention_id")
    out = []
    for mention_id in ids:
        if mention_id in found.index:
            row = found.loc[mention_id]
            text = " ".join(str(row["text"]).split())
            if len(text) > EXAMPLE_CHARS:
                text = text[:EXAMPLE_CHARS - 1] + "…"
            author = row.get("author")
            out.append((text, str(author) if pd.notna(author) else "?", str(row.get("platform"))))
        if len(out) == N_EXAMPLES:
            break
    return out


def _alert_block(alert: dict, lang: str, posts: list[tuple[str, str, str]], *,
                 words: dict, bullet: str) -> list[str]:
    t = _TEXT[lang]
    names = PLATFORM_NAMES_FR if lang == "fr" else PLATFORM_NAMES
    lines = [words["title"],
             f"{t['severity']}: {words['severity_text']} ({int(alert['severity'])}/10)",
             f"{t['why']}: {words['why']}"]
    if posts:
        lines.append(f"{t['examples']}:")
        lines += [f"{bullet} {text} — {author}, {names.get(platform, platform)}"
                  for text, author, platform in posts]
    return lines


def compose(alerts: list[dict], route, examples: pd.DataFrame, *, brief: str | None = None,
            digest: bool = False, tz: str = DEFAULT_TZ) -> Message:
    """The message for ``alerts`` (most severe first) to ``route``.

    ``examples`` holds the example posts (``mention_id, text, author, platform``),
    already pseudonymised when the route asks for it; ``brief`` is the link or path
    to the current brief, printed at the end; ``tz`` the zone of "since" in titles.
    """
    alerts = sorted(alerts, key=lambda a: (-int(a["severity"]), str(a["start"]),
                                           str(a["incident"])))
    top = alerts[0]
    langs = route.languages
    posts = {a["incident"]: _examples(a, examples) for a in alerts}
    words = {(a["incident"], lang): w for lang in langs
             for a, w in zip(alerts, _wording(alerts, lang, examples, tz))}
    if len(alerts) == 1 and not digest:
        subject = " / ".join(
            f"[{words[top['incident'], lang]['severity_text'].upper()}] "
            f"{words[top['incident'], lang]['title']}"
            if i == 0 else words[top["incident"], lang]["title"] for i, lang in enumerate(langs))
    else:
        subject = " / ".join(f"{_TEXT[lang]['digest']}: {len(alerts)} "
                             f"{_TEXT[lang]['alerts'][:-1 if len(alerts) == 1 else None]}, "
                             f"{_TEXT[lang]['severity'].lower()} "
                             f"{words[top['incident'], lang]['severity_text']}"
                             for lang in langs)
    text_parts, md_parts = [], []
    for lang in langs:
        for alert in alerts:
            block = _alert_block(alert, lang, posts[alert["incident"]],
                                 words=words[alert["incident"], lang], bullet="-")
            text_parts.append("\n".join(block))
            md_parts.append("\n".join([f"**{block[0]}**", *block[1:]]))
    if brief:
        line = " / ".join(f"{_TEXT[lang]['brief']}: {brief}" for lang in langs)
        text_parts.append(line)
        md_parts.append(line)
    payload = tuple({"incident": a["incident"], "alert_key": a["alert_key"],
                     "segment": a["segment"], "start": str(a["start"]), "end": str(a["end"]),
                     "severity": int(a["severity"]),
                     "severity_words": {lang: words[a["incident"], lang]["severity_text"]
                                        for lang in langs},
                     "title": {lang: words[a["incident"], lang]["title"] for lang in langs},
                     "why": {lang: words[a["incident"], lang]["why"] for lang in langs},
                     "examples": [{"text": t, "author": u, "platform": p}
                                  for t, u, p in posts[a["incident"]]]} for a in alerts)
    return Message(subject=subject, text="\n\n".join(text_parts) + "\n",
                   markdown="\n\n".join(md_parts), severity=int(top["severity"]),
                   languages=tuple(langs), alerts=payload)
