"""What a notification says: title, severity in words, why, example posts, the brief.

One :class:`Message` per alert (or per digest of several alerts) and route, in
the route's language (``en``, ``fr`` or ``both``: English first, then French).
The channels (:mod:`.channels`) turn it into an e-mail or a chat card.

The titles and severity words here are built from the alert's own columns
(``signal``, ``segment``, ``terms``, ``severity``); they are meant to move to
``listening.threats.titles`` once that module exists, so the brief and the
notifications title an alert the same way.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from ..threats.explain import PLATFORM_NAMES, PLATFORM_NAMES_FR

# Examples shown per alert: enough to see what people say, short enough for a phone.
N_EXAMPLES = 3
EXAMPLE_CHARS = 280

_SEVERITY_WORDS = {"en": ((3, "low"), (6, "medium"), (8, "high"), (10, "critical")),
                   "fr": ((3, "faible"), (6, "moyenne"), (8, "élevée"), (10, "critique"))}
_SIGNALS = {
    "volume": ("Surge in mentions", "Hausse des mentions"),
    "new_topic": ("New topic", "Nouveau sujet"),
    "negative_surge": ("Surge in negative posts", "Hausse des messages négatifs"),
    "amplification": ("Amplified by large accounts", "Amplifié par de grands comptes"),
    "threat_vocabulary": ("Risk vocabulary", "Vocabulaire à risque"),
    "emerging_terms": ("Emerging terms", "Termes émergents"),
}
_TEXT = {
    "en": {"severity": "Severity", "why": "Why", "examples": "Example posts",
           "brief": "Current brief", "alerts": "alerts", "digest": "Digest",
           "segment_all": "all mentions", "language": "posts in", "topic": "topic",
           "rule": "rule", "lang_names": {"en": "English", "fr": "French"}},
    "fr": {"severity": "Gravité", "why": "Pourquoi", "examples": "Exemples de messages",
           "brief": "Note d'information", "alerts": "alertes", "digest": "Résumé",
           "segment_all": "toutes les mentions", "language": "messages en", "topic": "sujet",
           "rule": "règle", "lang_names": {"en": "anglais", "fr": "français"}},
}


def severity_words(severity: int, lang: str = "en") -> str:
    """``"high"`` for 7-8, ``"critical"`` for 9-10... (``lang="fr"``: ``"élevée"``)."""
    return next(word for top, word in _SEVERITY_WORDS[lang] if int(severity) <= top)


def _segment_words(segment: str, lang: str, topic_label: str | None = None) -> str:
    text = _TEXT[lang]
    kind, _, value = str(segment).partition(":")
    if kind == "all":
        return text["segment_all"]
    if kind == "platform":
        return (PLATFORM_NAMES_FR if lang == "fr" else PLATFORM_NAMES).get(value, value)
    if kind == "language":
        return f"{text['language']} {text['lang_names'].get(value, value)}"
    if kind == "topic":
        return f"{text['topic']} {topic_label or value}"
    if kind == "rule":
        return f"{text['rule']} {value}"
    return str(segment)


def alert_title(alert: dict, lang: str = "en") -> str:
    """``Surge in mentions: "401", "closed" (all mentions)`` from an alert row."""
    what = _SIGNALS.get(alert["signal"], (alert["signal"], alert["signal"]))[lang == "fr"]
    terms = [t for t in list(alert.get("terms") or [])[:3]]
    quoted = ", ".join(f"«\u00a0{t}\u00a0»" if lang == "fr" else f"\u201c{t}\u201d"
                       for t in terms)
    where = _segment_words(alert["segment"], lang, alert.get("topic_label"))
    return f"{what}: {quoted} ({where})" if quoted else f"{what} ({where})"


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
                 bullet: str) -> list[str]:
    t = _TEXT[lang]
    names = PLATFORM_NAMES_FR if lang == "fr" else PLATFORM_NAMES
    why = alert["why_fr"] if lang == "fr" else alert["why"]
    lines = [alert_title(alert, lang),
             (f"{t['severity']}: {severity_words(alert['severity'], lang)} "
              f"({int(alert['severity'])}/10)"),
             f"{t['why']}: {why}"]
    if posts:
        lines.append(f"{t['examples']}:")
        lines += [f"{bullet} {text} — {author}, {names.get(platform, platform)}"
                  for text, author, platform in posts]
    return lines


def compose(alerts: list[dict], route, examples: pd.DataFrame, *, brief: str | None = None,
            digest: bool = False) -> Message:
    """The message for ``alerts`` (most severe first) to ``route``.

    ``examples`` holds the example posts (``mention_id, text, author, platform``),
    already pseudonymised when the route asks for it; ``brief`` is the link or path
    to the current brief, printed at the end.
    """
    alerts = sorted(alerts, key=lambda a: (-int(a["severity"]), str(a["start"]),
                                           str(a["incident"])))
    top = alerts[0]
    langs = route.languages
    posts = {a["incident"]: _examples(a, examples) for a in alerts}
    if len(alerts) == 1 and not digest:
        subject = " / ".join(
            f"[{severity_words(top['severity'], lang).upper()}] {alert_title(top, lang)}"
            if i == 0 else alert_title(top, lang) for i, lang in enumerate(langs))
    else:
        subject = " / ".join(f"{_TEXT[lang]['digest']}: {len(alerts)} "
                             f"{_TEXT[lang]['alerts'][:-1 if len(alerts) == 1 else None]}, "
                             f"{_TEXT[lang]['severity'].lower()} {severity_words(top['severity'], lang)}"
                             for lang in langs)
    text_parts, md_parts = [], []
    for lang in langs:
        for alert in alerts:
            block = _alert_block(alert, lang, posts[alert["incident"]], bullet="-")
            text_parts.append("\n".join(block))
            md_parts.append("\n".join([f"**{block[0]}**", *block[1:]]))
    if brief:
        line = " / ".join(f"{_TEXT[lang]['brief']}: {brief}" for lang in langs)
        text_parts.append(line)
        md_parts.append(line)
    payload = tuple({"incident": a["incident"], "alert_key": a["alert_key"],
                     "segment": a["segment"], "start": str(a["start"]), "end": str(a["end"]),
                     "severity": int(a["severity"]),
                     "severity_words": {lang: severity_words(a["severity"], lang)
                                        for lang in langs},
                     "title": {lang: alert_title(a, lang) for lang in langs},
                     "why": {lang: a["why_fr"] if lang == "fr" else a["why"] for lang in langs},
                     "examples": [{"text": t, "author": u, "platform": p}
                                  for t, u, p in posts[a["incident"]]]} for a in alerts)
    return Message(subject=subject, text="\n\n".join(text_parts) + "\n",
                   markdown="\n\n".join(md_parts), severity=int(top["severity"]),
                   languages=tuple(langs), alerts=payload)
