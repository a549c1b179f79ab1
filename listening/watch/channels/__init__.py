"""Delivery channels: e-mail through SMTP and webhooks (Teams, Slack, generic JSON).

``render(channel, message, ...)`` turns a :class:`~listening.watch.messages.Message`
into what is stored in the outbox (so a retry sends exactly the same bytes);
``deliver(row)`` sends one outbox row. A failure raises :class:`DeliveryError`;
``permanent=True`` means retrying cannot help (a bad address, HTTP 4xx).
"""

from __future__ import annotations

import json

from . import email, webhook
from .errors import DeliveryError

__all__ = ["CHANNELS", "DeliveryError", "deliver", "render"]

CHANNELS = ("email", *webhook.FORMATS)


def render(channel: str, message, *, target: str, key: str, route: str) -> str:
    """The outbox ``payload`` of ``message`` for ``channel`` (a JSON text)."""
    if channel == "email":
        return email.render(message, to=target, key=key)
    return webhook.render(channel, message, key=key, route=route)


def deliver(row: dict, *, timeout: float) -> None:
    """Send one outbox row (``channel, target, subject, body, payload, message_id``)."""
    if row["channel"] == "email":
        email.send(row, timeout=timeout)
    else:
        webhook.post(row["target"], json.loads(row["payload"]), key=row["message_id"],
                     timeout=timeout)
