"""Webhooks: Microsoft Teams and Slack incoming webhooks, and a generic JSON POST.

* ``teams`` - a MessageCard (title, text, a colour by severity, one section per
  alert with its facts), which Teams incoming webhooks and Power Automate accept;
* ``slack`` - ``{"text": ...}`` in Slack's mrkdwn;
* ``json`` - ``{"idempotency_key", "route", "subject", "text", "alerts": [...]}``
  for any other system.

Every POST carries an ``Idempotency-Key`` header (the outbox key), so a receiver
can drop a repeat. A 2xx answer is success; 5xx, 408, 429, a timeout or a refused
connection are retried from the outbox; any other 4xx is permanent.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from .errors import DeliveryError

FORMATS = ("teams", "slack", "json")
_COLOURS = ((3, "2E7D32"), (6, "F9A825"), (8, "EF6C00"), (10, "C62828"))
RETRY_STATUSES = frozenset({408, 425, 429})


def _teams(message, key: str) -> dict:
    colour = next(c for top, c in _COLOURS if message.severity <= top)
    sections = [{"activityTitle": " / ".join(a["title"].values()),
                 "facts": [{"name": "severity", "value": " / ".join(a["severity_words"].values())
                            + f" ({a['severity']}/10)"},
                           {"name": "segment", "value": a["segment"]},
                           {"name": "start", "value": a["start"]}],
                 "text": "\n\n".join(a["why"].values())} for a in message.alerts]
    return {"@type": "MessageCard", "@context": "https://schema.org/extensions",
            "summary": message.subject, "themeColor": colour, "title": message.subject,
            "text": message.markdown, "sections": sections}


def _slack(message, key: str) -> dict:
    return {"text": message.markdown.replace("**", "*")}


def _json(message, key: str, route: str) -> dict:
    return {"idempotency_key": key, "route": route, "subject": message.subject,
            "text": message.text, "severity": message.severity,
            "languages": list(message.languages), "alerts": list(message.alerts)}


def render(fmt: str, message, *, key: str, route: str) -> str:
    body = (_teams(message, key) if fmt == "teams" else _slack(message, key) if fmt == "slack"
            else _json(message, key, route))
    return json.dumps(body, ensure_ascii=False, sort_keys=True)


def _where(url: str) -> str:
    """The URL without its path or query: webhook paths are secrets (they authorise posting)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")


def post(url: str, body: dict, *, key: str, timeout: float) -> None:
    """POST ``body`` as JSON; raise :class:`DeliveryError` unless the answer is 2xx."""
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, data=data, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8", "Idempotency-Key": key,
        "User-Agent": "listening-watch"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            answer.read()
    except urllib.error.HTTPError as exc:
        status = exc.code
        permanent = 400 <= status < 500 and status not in RETRY_STATUSES
        raise DeliveryError(f"webhook {_where(url)} answered HTTP {status}"
                            + ("; check the route's webhook URL" if permanent else ""),
                            permanent=permanent) from None
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DeliveryError(f"cannot reach webhook {_where(url)}: {reason}") from None
