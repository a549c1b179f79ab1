"""The outbox: messages composed once, delivered with retries, never twice.

:func:`compose` turns routed alerts that are due into messages (one per alert, or
one per digest or quiet-hours batch) and stores one outbox row per channel, keyed
by its idempotency key, in the same transaction that links the alerts to it.
:func:`deliver` sends the rows due; a failure that may pass (server down, HTTP
5xx, timeout) is retried after ``base * 2**(attempts-1)`` (capped at ``cap``),
up to ``max_attempts``; a permanent one (bad address, HTTP 4xx) fails at once.
``listening outbox`` shows what is pending or failed.

Exactly once: a row is marked sent right after the server accepted it. Were the
process killed in between, the row would be sent again on restart with the same
idempotency key (the e-mail's Message-ID, the webhook's ``Idempotency-Key``
header), so a receiver can recognise the repeat.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json

import pandas as pd

from ..pseudonymise import pseudonymise_frame, pseudonymise_text
from ..store.sql import now
from . import state
from .channels import DeliveryError, render
from .channels import deliver as send_row
from .messages import N_EXAMPLES
from .messages import compose as compose_message


@dataclasses.dataclass(frozen=True)
class Backoff:
    """Retry policy: ``base * 2**(attempts-1)`` seconds, at most ``cap``."""

    base: float = 60.0
    cap: float = 3600.0
    max_attempts: int = 30  # about a day at the cap

    def delay(self, attempts: int) -> pd.Timedelta:
        return pd.Timedelta(seconds=min(self.cap, self.base * 2 ** max(attempts - 1, 0)))


DEFAULT_BACKOFF = Backoff()


def _key(*parts: object) -> str:
    return hashlib.sha1("|".join(map(str, parts)).encode("utf-8")).hexdigest()[:20]


def _examples(store, alerts: list[dict], route) -> pd.DataFrame:
    ids = [str(i) for a in alerts for i in list(a.get("example_ids") or [])[:2 * N_EXAMPLES]]
    posts = state.mentions_by_id(store, ids)
    if route.pseudonymise and len(posts):
        shown = pseudonymise_frame(posts[["text", "author", "platform"]], secret=store.secret())
        posts = posts.assign(text=shown["text"], author=shown["author"])
    return posts


def _pseudonymised(alert: dict, secret: bytes) -> dict:
    return {**alert, "why": pseudonymise_text(alert["why"], secret=secret),
            "why_fr": pseudonymise_text(alert["why_fr"], secret=secret)}


def compose(store, routes: dict, *, brief: str | None = None,
            when: pd.Timestamp | None = None) -> int:
    """Compose every routed alert due by ``when`` into outbox rows; returns messages made."""
    when = now() if when is None else when
    ready = state.ready(store, when)
    if not len(ready):
        return 0
    groups: dict[tuple[str, str], list[dict]] = {}
    for row in ready.to_dict("records"):
        held = row["due"] > row["at"]
        group = (row["route"], f"due {row['due'].isoformat()}" if held else row["incident"])
        groups.setdefault(group, []).append(row)
    rows, links = [], []
    for (name, group), members in sorted(groups.items()):
        route = routes.get(name)
        if route is None:
            continue  # the route file was removed: its alerts wait until it is back
        alerts = [json.loads(m["alert"]) for m in members]
        if route.pseudonymise:
            alerts = [_pseudonymised(a, store.secret()) for a in alerts]
        message_id = _key(name, group)
        message = compose_message(alerts, route, _examples(store, alerts, route),
                                  brief=route.brief or brief,
                                  digest=route.digest != "none" or len(alerts) > 1)
        for channel, target in route.channels():
            key = f"{message_id}.{channel}"
            rows.append({"message_id": key, "route": name, "channel": channel,
                         "target": target, "subject": message.subject, "body": message.text,
                         "payload": render(channel, message, target=target, key=key,
                                           route=name),
                         "status": "pending", "attempts": 0, "next_try": when,
                         "last_error": None, "created": when, "sent": pd.NaT})
        links += [(m["incident"], name, message_id) for m in members]
    frame = pd.DataFrame(rows)
    if len(frame):
        frame["sent"] = pd.to_datetime(frame["sent"], utc=True)
    state.queue(store, frame, links)
    return len({r["message_id"].rsplit(".", 1)[0] for r in rows})


@dataclasses.dataclass
class Delivery:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = dataclasses.field(default_factory=list)


def deliver(store, *, backoff: Backoff = DEFAULT_BACKOFF, timeout: float = 10.0,
            when: pd.Timestamp | None = None, stop=None) -> Delivery:
    """Send every pending outbox row due by ``when``; record each outcome at once."""
    when = now() if when is None else when
    done = Delivery()
    for row in state.due_messages(store, when).to_dict("records"):
        if stop is not None and stop.is_set():
            break
        attempts = int(row["attempts"]) + 1
        try:
            send_row(row, timeout=timeout)
        except DeliveryError as exc:
            final = exc.permanent or attempts >= backoff.max_attempts
            state.update_message(store, row["message_id"], row["channel"],
                                 status="failed" if final else "pending", attempts=attempts,
                                 next_try=None if final else now() + backoff.delay(attempts),
                                 error=str(exc), sent=None)
            done.failed += final
            done.retrying += not final
            done.errors.append(f"{row['route']} ({row['channel']}): {exc}")
            continue
        state.update_message(store, row["message_id"], row["channel"], status="sent",
                             attempts=attempts, next_try=None, error=None, sent=now())
        done.sent += 1
    return done


def describe(frame: pd.DataFrame, held: pd.DataFrame | None = None) -> str:
    """The outbox as ``listening outbox`` prints it, after the alerts still held."""
    lines = []
    if held is not None and len(held):
        for (route, due), group in held.groupby(["route", "due"], sort=True):
            lines.append(f"held     {route}: {len(group)} alert(s) until {due:%Y-%m-%d %H:%M} "
                         f"UTC (digest or quiet hours), highest severity "
                         f"{int(group['severity'].max())}")
    if not len(frame):
        return "\n".join([*lines, "the outbox is empty: nothing pending or failed"])
    for row in frame.to_dict("records"):
        retry = (f", next try {row['next_try']:%Y-%m-%d %H:%M} UTC"
                 if row["status"] == "pending" and pd.notna(row["next_try"]) else "")
        error = f" - {row['last_error']}" if row.get("last_error") else ""
        lines.append(f"{row['status']:<8} {row['route']} via {row['channel']}, "
                     f"{row['attempts']} attempt(s){retry}: {row['subject']}{error}")
    return "\n".join(lines)
