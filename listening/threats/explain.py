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


def fmt_number(value: float) -> str:
    """How numbers appear in ``why``: whole numbers with thousands separators, else one decimal."""
    if value is None or np.isnan(value):
        return "n/a"
    v = round(float(value), 1)
    return f"{v:,.0f}" if v == int(v) else f"{v:,.1f}"


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


def _window(freq: pd.Timedelta) -> str:
    if freq == pd.Timedelta("1h"):
        return "hour"
    if freq == pd.Timedelta("1D"):
        return "day"
    if freq < pd.Timedelta("1h"):
        return f"{int(freq.total_seconds() // 60)} minutes"
    if freq < pd.Timedelta("1D"):
        return f"{freq.total_seconds() / 3600:g} hours"
    return f"{freq.days} days"


def _when(bin_end: pd.Timestamp, freq: pd.Timedelta, tz: str) -> str:
    local = bin_end.tz_convert(tz)
    if freq >= pd.Timedelta("1D"):
        day = (local - pd.Timedelta(seconds=1))
        return f"on {day.strftime('%a %d %b %Y')}" if freq == pd.Timedelta("1D") \
            else f"in the {_window(freq)} to {day.strftime('%a %d %b %Y')}"
    return f"in the {_window(freq)} to {local.strftime('%H:%M %Z')} ({local.strftime('%a %d %b')})"


def _quote(terms: list[str]) -> str:
    q = [f"'{t}'" for t in terms]
    return q[0] if len(q) == 1 else ", ".join(q[:-1]) + " and " + q[-1]


def why_sentence(*, signal: str, segment: str, observed: float, expected: float,
                 bin_end: pd.Timestamp, freq: pd.Timedelta, tz: str, terms: list[str],
                 threat_labels: list[str], bin_mentions: int, negative_share: float | None,
                 platform: tuple[str, float] | None, coord: dict, baseline: str,
                 history: pd.Timedelta, large_accounts: list[str], topic_label: str | None,
                 days_per_bin: int = 0, seasonal_bins: bool = True) -> str:
    """One plain sentence explaining an alert; its numbers are the alert's own."""
    when = _when(bin_end, freq, tz)
    obs, exp = fmt_number(observed), fmt_number(expected)
    ratio = observed / expected if expected > 0 else float("inf")
    times = f"{ratio:.0f}×" if ratio >= 3 else f"{ratio:.1f}×"
    about = f" of {_quote(terms[:2])}" if terms else ""
    if signal == "volume":
        lead = f"Mentions{about} rose to {obs} {when}, {times} the usual {exp}"
    elif signal == "new_topic":
        name = f" '{topic_label}'" if topic_label else ""
        lead = f"New topic{name}: {obs} mentions {when}, against {exp} expected from the previous week"
    elif signal == "negative_surge":
        lead = (f"Negative mentions rose to {observed:.0%} of {bin_mentions:,} {when}, "
                f"against the usual {expected:.0%}")
    elif signal == "amplification":
        who = f" ({', '.join(large_accounts[:3])})" if large_accounts else ""
        lead = (f"Reach-weighted volume{about} rose to {obs} {when}, {times} the usual {exp}, "
                f"as large accounts{who} picked it up")
    elif signal == "threat_vocabulary":
        kinds = " and ".join(threat_labels[:2]) or "threat"
        which = f" ({_quote(terms[:2])})" if terms else ""
        if np.isnan(expected) or expected <= 0:
            lead = f"{obs} mentions used {kinds} vocabulary{which} {when}, with no baseline yet"
        else:
            lead = f"{obs} mentions used {kinds} vocabulary{which} {when}, {times} the usual {exp}"
    else:  # emerging_terms
        lead = (f"{_quote(terms[:2]) if terms else 'New terms'} appeared in {obs} mentions {when}, "
                f"against {exp} expected from the previous week")
    if segment != "all":
        lead = f"[{segment}] {lead}"
    parts = [lead]
    if negative_share is not None and signal != "negative_surge":
        parts.append(f"{negative_share:.0%} negative")
    if platform is not None and platform[1] >= 0.5 and not segment.startswith("platform:"):
        parts.append(f"mostly {PLATFORM_NAMES.get(platform[0], platform[0])}")
    if coord.get("dup_share", 0) >= 0.5:
        parts.append(f"{coord['dup_share']:.0%} near-duplicate texts")
    new = coord.get("new_author_share")
    if new is not None and not np.isnan(new) and new >= 0.5:
        parts.append(f"{new:.0%} from new accounts")
    hours = history.total_seconds() / 3600
    if baseline == "recent":
        if days_per_bin:
            reason = "under two weeks of daily history - weekday rhythm not learnt yet"
        elif not seasonal_bins:
            reason = f"{_window(freq)} bins do not divide a day, so no daily rhythm is used"
        else:
            span = f"{hours:.0f} hours" if hours < 48 else f"{hours / 24:.1f} days"
            reason = f"{span} of history, less than 3 days - daily rhythm not learnt yet"
        parts.append(f"baseline from the recent window only ({reason})")
    elif baseline == "none":
        parts.append("no baseline yet (under 3 bins of history): judged on absolute counts")
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
