"""Severity, the one-sentence ``why`` and the plain-text alert table.

Severity (1-10) adds up what a duty manager weighs, each part capped:

* magnitude: ``log2(observed / expected)``, at most 3 (2x -> 1, 8x -> 3);
* certainty: ``score / 20``, at most 1 (score is -log10 of the tail probability);
* size: ``log10(mentions in the episode) - 1``, at most 2 (100 -> 1, 1,000 -> 2);
* threat vocabulary: two thirds of the category weight from ``threat_terms.yaml``
  (weights 0-3, so at most 2) when at least :data:`THREAT_SHARE_FOR_WEIGHT` of the
  episode's mentions use that category's terms;
* +1 when most of the episode is negative, +0.5 when it looks coordinated
  (half the texts near-duplicates or half the authors new);

starting from 1, rounded and clipped to 1..10. A marginal 2-3x rise of a few dozen
mentions scores 2-4; a large, fast, negative incident with threat vocabulary 8-10,
above :data:`DEFAULT_PAGE_SEVERITY`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import check_option
from .registry import LANGUAGES, SIGNALS, signal_spec, signal_strings

__all__ = ["DEFAULT_PAGE_SEVERITY", "fmt_number", "format_alerts", "severity", "why_sentence"]

# Alerts at or above this severity page someone (`listening alerts` exits 2).
DEFAULT_PAGE_SEVERITY = 7
THREAT_SHARE_FOR_WEIGHT = 0.2
PLATFORM_NAMES = {"x": "X", "facebook": "Facebook", "instagram": "Instagram", "youtube": "YouTube",
                  "linkedin": "LinkedIn", "reddit": "Reddit", "tiktok": "TikTok", "bluesky": "Bluesky",
                  "mastodon": "Mastodon", "news": "news sites", "blog": "blogs", "forum": "forums",
                  "other": "other sites"}


def fmt_number(value: float, lang: str = "en") -> str:
    """How numbers appear in ``why``: whole numbers with thousands separators, else one decimal.

    French uses a (narrow no-break) space between thousands and a decimal comma.
    """
    if value is None or np.isnan(value):
        return "n/a" if lang == "en" else "n.d."
    v = round(float(value), 1)
    text = f"{v:,.0f}" if v == int(v) else f"{v:,.1f}"
    return text if lang == "en" else text.replace(",", "\u202f").replace(".", ",")


def _percent(share: float, lang: str) -> str:
    return f"{share:.0%}" if lang == "en" else f"{share * 100:.0f}\u00a0%"


def severity(*, ratio: float, score: float, mentions: int, threat_weight: float,
             negative_share: float | None, coordinated: bool) -> int:
    s = 1.0
    s += min(3.0, np.log2(max(ratio, 1.0)))
    s += min(1.0, score / 20.0)
    s += min(2.0, max(0.0, np.log10(max(mentions, 1)) - 1.0))
    s += min(2.0, threat_weight * 2.0 / 3.0)
    if negative_share is not None and negative_share >= 0.5:
        s += 1.0
    if coordinated:
        s += 0.5
    return int(np.clip(round(s), 1, 10))


# French day and month abbreviations: strftime follows the C locale, not the reader.
_FR_DAYS = ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim.")
_FR_MONTHS = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
              "nov.", "déc.")
PLATFORM_NAMES_FR = {**PLATFORM_NAMES, "news": "les sites d'information", "blog": "les blogues",
                     "forum": "les forums", "other": "d'autres sites"}


def _window(freq: pd.Timedelta, lang: str = "en") -> str:
    en = lang == "en"
    if freq == pd.Timedelta("1h"):
        return "hour" if en else "heure"
    if freq == pd.Timedelta("1D"):
        return "day" if en else "jour"
    if freq < pd.Timedelta("1h"):
        return f"{int(freq.total_seconds() // 60)} minutes"
    if freq < pd.Timedelta("1D"):
        return f"{freq.total_seconds() / 3600:g} {'hours' if en else 'heures'}"
    return f"{freq.days} {'days' if en else 'jours'}"


def _day(t: pd.Timestamp, lang: str, year: bool = False) -> str:
    if lang == "en":
        return t.strftime("%a %d %b %Y" if year else "%a %d %b")
    text = f"{_FR_DAYS[t.day_of_week]} {t.day} {_FR_MONTHS[t.month - 1]}"
    return f"{text} {t.year}" if year else text


def _when(bin_end: pd.Timestamp, freq: pd.Timedelta, tz: str, lang: str = "en") -> str:
    local = bin_end.tz_convert(tz)
    en = lang == "en"
    if freq >= pd.Timedelta("1D"):
        day = _day(local - pd.Timedelta(seconds=1), lang, year=True)
        if freq == pd.Timedelta("1D"):
            return f"on {day}" if en else f"le {day}"
        return f"in the {_window(freq)} to {day}" if en else \
            f"dans les {_window(freq, lang)} jusqu'au {day}"
    if en:
        return f"in the {_window(freq)} to {local.strftime('%H:%M %Z')} ({_day(local, lang)})"
    hour = f"{local.hour} h {local.minute:02d} {local.strftime('%Z')}"
    period = "l'heure" if freq == pd.Timedelta("1h") else f"les {_window(freq, lang)}"
    return f"dans {period} précédant {hour} ({_day(local, lang)})"


def _quote(terms: list[str], lang: str = "en") -> str:
    words = signal_strings(lang)
    q = [words["quote"].substitute(term=t) for t in terms]
    return q[0] if len(q) == 1 else ", ".join(q[:-1]) + words["and"].template + q[-1]


def why_sentence(*, signal: str, segment: str, observed: float, expected: float,
                 bin_end: pd.Timestamp, freq: pd.Timedelta, tz: str, terms: list[str],
                 threat_labels: list[str], bin_mentions: int, negative_share: float | None,
                 platform: tuple[str, float] | None, coord: dict, baseline: str,
                 history: pd.Timedelta, large_accounts: list[str], topic_label: str | None,
                 days_per_bin: int = 0, seasonal_bins: bool = True, span: pd.Timedelta | None = None,
                 lang: str = "en") -> str:
    """One plain sentence explaining an alert; its numbers are the alert's own.

    The lead comes from the signal's ``why`` string (:mod:`.registry`,
    ``resources/threats/signals.yaml``), then what else is true of the episode
    (negative share, platform, near-duplicates, new accounts, the baseline used).
    ``span`` is the time the lead's numbers cover, up to ``bin_end`` (default one bin,
    ``freq``). ``lang="fr"`` writes the same sentence in French (for the French brief);
    ``threat_labels`` are then the categories' ``label_fr``.
    """
    check_option("lang", lang, LANGUAGES)
    spec = signal_spec(signal)
    words = signal_strings(lang)
    say = lambda key, **kw: words[key].substitute(**kw)
    pct = lambda share: _percent(share, lang)
    ratio = observed / expected if expected > 0 else float("inf")
    times = f"{ratio:.0f}×" if ratio >= 3 else f"{ratio:.1f}×"
    if lang != "en":
        times = times.replace(".", ",")
    share = spec.value == "share"
    obs = pct(observed) if share else fmt_number(observed, lang)
    exp = pct(expected) if share else fmt_number(expected, lang)
    quoted = _quote(terms[:2], lang) if terms else ""
    usual = say("usual", times=times, expected=exp)
    no_base = np.isnan(expected) or expected <= 0
    fields = {
        "observed": obs, "expected": exp, "when": _when(bin_end, span or freq, tz, lang), "usual": usual,
        "times": times, "terms": quoted, "about": say("about", terms=quoted) if terms else "",
        "terms_or_new": quoted or words["new_terms"].template,
        "which": f" ({quoted})" if terms else "", "bin_mentions": fmt_number(bin_mentions, lang),
        "topic": say("topic_name", label=topic_label) if topic_label else "",
        "who": say("who", accounts=", ".join(large_accounts[:3])) if large_accounts else "",
        "kinds": words["and"].template.join(threat_labels[:2]) or words["threat"].template,
        "tail": words["no_baseline_yet"].template if no_base else usual}
    lead = words[spec.why_key].substitute(fields)
    if segment != "all":
        lead = say("in_segment", segment=segment, lead=lead)
    parts = [lead]
    if negative_share is not None and "negative_share" not in spec.omits:
        parts.append(say("negative_share", share=pct(negative_share)))
    if platform is not None and platform[1] >= 0.5 and not segment.startswith("platform:"):
        names = PLATFORM_NAMES if lang == "en" else PLATFORM_NAMES_FR
        parts.append(say("mostly_platform", platform=names.get(platform[0], platform[0])))
    if coord.get("dup_share", 0) >= 0.5:
        parts.append(say("near_duplicates", share=pct(coord["dup_share"])))
    new = coord.get("new_author_share")
    if new is not None and not np.isnan(new) and new >= 0.5:
        parts.append(say("new_accounts", share=pct(new)))
    if baseline == "recent":
        if days_per_bin:
            reason = say("reason_daily")
        elif not seasonal_bins:
            reason = say("reason_not_seasonal", window=_window(freq, lang))
        else:
            hours = history.total_seconds() / 3600
            days = f"{hours / 24:.1f}" if lang == "en" else f"{hours / 24:.1f}".replace(".", ",")
            span = say("hours", n=f"{hours:.0f}") if hours < 48 else say("days", n=days)
            reason = say("reason_short", span=span)
        parts.append(say("baseline_recent", reason=reason))
    elif baseline == "none":
        parts.append(say("baseline_none"))
    return "; ".join(parts) + "."


def _cell(signal: str, value: float) -> str:
    spec = SIGNALS.get(signal)
    if spec is not None and spec.value == "share" and not np.isnan(value):
        return f"{value:.0%}"
    return fmt_number(value)


def format_alerts(alerts: pd.DataFrame, *, tz: str | None = None, width: int = 110) -> str:
    """Alerts as a plain-text table for a terminal or an email, most severe first.

    One line per alert (severity, local start, segment, signal, observed,
    expected, key) followed by its ``why`` sentence, indented.
    """
    if alerts is None or len(alerts) == 0:
        return "no alerts"
    tz = tz or alerts.attrs.get("tz", "America/Toronto")
    header = f"{'SEV':>3}  {'START':<20} {'SEGMENT':<22} {'SIGNAL':<18} {'OBSERVED':>12} {'EXPECTED':>12}  KEY"
    lines = [header, "-" * len(header)]
    for row in alerts.sort_values(["severity", "start"], ascending=[False, True]).itertuples():
        start = pd.Timestamp(row.start).tz_convert(tz).strftime("%Y-%m-%d %H:%M %Z")
        lines.append(f"{row.severity:>3}  {start:<20} {str(row.segment)[:22]:<22} {row.signal:<18} "
                     f"{_cell(row.signal, row.observed):>12} {_cell(row.signal, row.expected):>12}  "
                     f"{row.alert_key}")
        why = str(row.why)
        while why:
            cut = why[:width - 5]
            if len(why) > width - 5 and " " in cut:
                cut = cut[:cut.rindex(" ")]
            lines.append("     " + cut)
            why = why[len(cut):].lstrip()
    return "\n".join(lines)
