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
    q = [f"'{t}'" if lang == "en" else f"« {t} »" for t in terms]
    return q[0] if len(q) == 1 else ", ".join(q[:-1]) + (" and " if lang == "en" else " et ") + q[-1]


def why_sentence(*, signal: str, segment: str, observed: float, expected: float,
                 bin_end: pd.Timestamp, freq: pd.Timedelta, tz: str, terms: list[str],
                 threat_labels: list[str], bin_mentions: int, negative_share: float | None,
                 platform: tuple[str, float] | None, coord: dict, baseline: str,
                 history: pd.Timedelta, large_accounts: list[str], topic_label: str | None,
                 days_per_bin: int = 0, seasonal_bins: bool = True, lang: str = "en") -> str:
    """One plain sentence explaining an alert; its numbers are the alert's own.

    ``lang="fr"`` writes the same sentence in French (for the French brief);
    ``threat_labels`` are then the categories' ``label_fr``.
    """
    if lang not in ("en", "fr"):
        raise ValueError(f"lang must be 'en' or 'fr', got {lang!r}")
    en = lang == "en"
    when = _when(bin_end, freq, tz, lang)
    obs, exp = fmt_number(observed, lang), fmt_number(expected, lang)
    ratio = observed / expected if expected > 0 else float("inf")
    times = f"{ratio:.0f}×" if ratio >= 3 else f"{ratio:.1f}×"
    if not en:
        times = times.replace(".", ",")
    pct = lambda share: _percent(share, lang)  # noqa: E731
    about = (f" of {_quote(terms[:2])}" if en else f" de {_quote(terms[:2], lang)}") if terms else ""
    usual = f"{times} the usual {exp}" if en else f"{times} la normale de {exp}"
    if signal == "volume":
        lead = (f"Mentions{about} rose to {obs} {when}, {usual}" if en
                else f"Les mentions{about} sont montées à {obs} {when}, {usual}")
    elif signal == "new_topic":
        name = (f" '{topic_label}'" if en else f" « {topic_label} »") if topic_label else ""
        lead = (f"New topic{name}: {obs} mentions {when}, against {exp} expected from the previous week"
                if en else f"Nouveau sujet{name} : {obs} mentions {when}, contre {exp} attendues "
                           "d'après la semaine précédente")
    elif signal == "negative_surge":
        lead = (f"Negative mentions rose to {pct(observed)} of {bin_mentions:,} {when}, "
                f"against the usual {pct(expected)}" if en else
                f"Les mentions négatives sont montées à {pct(observed)} de "
                f"{fmt_number(bin_mentions, lang)} {when}, contre {pct(expected)} d'habitude")
    elif signal == "amplification":
        who = f" ({', '.join(large_accounts[:3])})" if large_accounts else ""
        lead = (f"Reach-weighted volume{about} rose to {obs} {when}, {usual}, "
                f"as large accounts{who} picked it up" if en else
                f"Le volume pondéré par la portée{about} est monté à {obs} {when}, {usual}, "
                f"repris par de grands comptes{who}")
    elif signal == "threat_vocabulary":
        kinds = (" and " if en else " et ").join(threat_labels[:2]) or ("threat" if en else "menace")
        which = f" ({_quote(terms[:2], lang)})" if terms else ""
        no_base = np.isnan(expected) or expected <= 0
        tail = ("with no baseline yet" if en else "sans référence pour l'instant") if no_base else usual
        lead = (f"{obs} mentions used {kinds} vocabulary{which} {when}, {tail}" if en else
                f"{obs} mentions employaient le vocabulaire {kinds}{which} {when}, {tail}")
    else:  # emerging_terms
        lead = (f"{_quote(terms[:2]) if terms else 'New terms'} appeared in {obs} mentions {when}, "
                f"against {exp} expected from the previous week" if en else
                f"{_quote(terms[:2], lang) if terms else 'De nouveaux termes'} sont apparus dans "
                f"{obs} mentions {when}, contre {exp} attendues d'après la semaine précédente")
    if segment != "all":
        lead = f"[{segment}] {lead}"
    parts = [lead]
    if negative_share is not None and signal != "negative_surge":
        parts.append(f"{pct(negative_share)} negative" if en else f"{pct(negative_share)} négatives")
    if platform is not None and platform[1] >= 0.5 and not segment.startswith("platform:"):
        parts.append(f"mostly {PLATFORM_NAMES.get(platform[0], platform[0])}" if en else
                     f"surtout sur {PLATFORM_NAMES_FR.get(platform[0], platform[0])}")
    if coord.get("dup_share", 0) >= 0.5:
        parts.append(f"{pct(coord['dup_share'])} near-duplicate texts" if en else
                     f"{pct(coord['dup_share'])} de textes quasi identiques")
    new = coord.get("new_author_share")
    if new is not None and not np.isnan(new) and new >= 0.5:
        parts.append(f"{pct(new)} from new accounts" if en else f"{pct(new)} de nouveaux comptes")
    hours = history.total_seconds() / 3600
    if baseline == "recent":
        if days_per_bin:
            reason = ("under two weeks of daily history - weekday rhythm not learnt yet" if en else
                      "moins de deux semaines d'historique quotidien : rythme hebdomadaire pas encore appris")
        elif not seasonal_bins:
            reason = (f"{_window(freq)} bins do not divide a day, so no daily rhythm is used" if en else
                      f"des intervalles de {_window(freq, lang)} ne divisent pas une journée : "
                      "pas de rythme quotidien")
        else:
            if en:
                span = f"{hours:.0f} hours" if hours < 48 else f"{hours / 24:.1f} days"
                reason = f"{span} of history, less than 3 days - daily rhythm not learnt yet"
            else:
                span = (f"{hours:.0f} heures" if hours < 48
                        else f"{hours / 24:.1f} jours".replace(".", ","))
                reason = f"{span} d'historique, moins de 3 jours : rythme quotidien pas encore appris"
        parts.append(f"baseline from the recent window only ({reason})" if en else
                     f"référence tirée de la période récente seulement ({reason})")
    elif baseline == "none":
        parts.append("no baseline yet (under 3 bins of history): judged on absolute counts" if en else
                     "pas encore de référence (moins de 3 intervalles d'historique) : "
                     "jugé sur les nombres absolus")
    return "; ".join(parts) + "."


def _cell(signal: str, value: float) -> str:
    if signal == "negative_surge" and not np.isnan(value):
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
