"""What fits on the brief's first page, decided before printing.

The first page must fit one Letter page and one A4 page (the smaller height of
the two, Letter's, between 12 mm margins) with every section whole. The HTML
template prints the page from a :class:`FirstPage` plan; :func:`plan_first_page`
estimates each block's height from its text length (CSS pixels, the type sizes of
``brief.html.j2``) and, while the estimate is over :data:`PAGE_PX`, moves details
to the annex in a fixed order: example quotes, a shorter chart, actions beyond
three, subjects beyond three, calendar events, actions beyond two, subjects beyond
two, alerts beyond two, then one more action and one more alert. Nothing is dropped: what leaves page 1 is printed in
the annex ("More alerts", "More suggested actions").
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

__all__ = ["PAGE_PX", "FirstPage", "plan_first_page"]

# Letter between 12 mm margins is 965 CSS px high (A4: 1032): keep a safety margin
# for font differences between machines (estimates run about 9% under the printed
# height on the demo briefs).
PAGE_PX = 870
# Characters per line: full width (about 700 px) at 9 pt and 10 pt, the headline
# (11.5 pt bold), and half a column at 9 pt (bullets indented).
FULL_9PT, FULL_10PT, HEADLINE_CHARS, HALF_9PT = 120, 108, 86, 50
LINE_9PT, LINE_10PT, LINE_HEADLINE = 16, 17.5, 20
H2 = 27
CHART_EXTRA = 62   # legend, axis labels and caption around the plot's height
CHART_HEIGHT, CHART_HEIGHT_SMALL = 150, 105


@dataclass(frozen=True)
class FirstPage:
    """How much of each section page 1 shows (the rest is in the annex)."""

    alerts: int
    examples: bool
    chart_height: int
    actions: int
    topics: int
    events: bool


def _lines(text: str, per_line: int) -> int:
    return max(1, math.ceil(len(text) / per_line))


def _height(b, plan: FirstPage, has_chart: bool) -> float:
    px = 38 + _lines(b.headline, HEADLINE_CHARS) * LINE_HEADLINE + 16          # header, headline
    px += 22 + sum(18 + (_lines(n["note"], FULL_9PT) * 13 if n["note"] else 0)
                   for n in b.numbers)                                            # key numbers
    px += (_lines(b.share_of_voice, FULL_10PT) * LINE_10PT) if b.share_of_voice else 0
    px += H2
    for a in b.alerts[:plan.alerts] or [None]:
        if a is None:
            px += LINE_10PT
            continue
        px += 10 + LINE_10PT + _lines(a["why"], FULL_9PT) * LINE_9PT
        px += 15 if plan.examples and a["example"] else 0
    px += H2 + ((plan.chart_height + CHART_EXTRA) if has_chart else LINE_10PT)  # trend
    lines = b.forecast["lines"] if b.forecast else []
    px += sum(_lines(line["text"], FULL_10PT) * LINE_10PT for line in lines) + (14 if lines else 18)
    if plan.events and b.events:
        px += _lines(" ".join(e["name"] + e["date_text"] for e in b.events) + "events: ",
                     FULL_10PT) * LINE_10PT
    actions = sum(_lines(a.text, HALF_9PT) * 14 + 3 for a in b.actions[:plan.actions]) or 16
    topics = 22 + sum(_lines(t["label"], 28) * 16 + 2 for t in (b.topics or [])[:plan.topics])
    px += H2 + max(actions, topics) + 26                                         # columns, pointer
    return px


def plan_first_page(b, *, has_chart: bool) -> FirstPage:
    """The fullest first page whose estimated height fits :data:`PAGE_PX`."""
    plan = FirstPage(alerts=len(b.alerts), examples=True, chart_height=CHART_HEIGHT,
                     actions=len(b.actions), topics=len(b.topics or []), events=True)
    steps = [{"examples": False}, {"chart_height": CHART_HEIGHT_SMALL},
             {"actions": min(plan.actions, 3)}, {"topics": min(plan.topics, 3)},
             {"events": False}, {"actions": min(plan.actions, 2)},
             {"topics": min(plan.topics, 2)}, {"alerts": min(plan.alerts, 2)},
             {"actions": min(plan.actions, 1)}, {"alerts": min(plan.alerts, 1)}]
    for step in steps:
        if _height(b, plan, has_chart) <= PAGE_PX:
            return plan
        plan = replace(plan, **step)
    return plan
