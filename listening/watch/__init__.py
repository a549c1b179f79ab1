"""Monitoring that runs by itself: ``listening watch``.

New or changed export files in watched folders are ingested once (by SHA-256),
enriched, scanned for emerging threats on the newest bins, and each new alert
is sent once to the routes that want it (``data/routes/*.yaml``), by e-mail
(SMTP) and/or webhook (Teams, Slack, JSON), through an outbox with retries::

    from listening.watch import Watcher
    Watcher(["data/inbox"], routes="data/routes").run()   # one pass, as --once

Modules: :mod:`.scan` (files seen), :mod:`.loop` (a pass and the loop),
:mod:`.routes` (route files), :mod:`.messages` (what a notification says),
:mod:`.outbox` (compose, deliver, retry), :mod:`.channels` (SMTP, webhooks),
:mod:`.state` (the watcher's tables in the store).
"""

from __future__ import annotations

from .loop import HISTORY, PassReport, Watcher, WatcherRunningError, incident_id, watch_lock
from .outbox import Backoff
from .routes import Route, RouteFileError, load_routes, parse_route

__all__ = ["HISTORY", "Backoff", "PassReport", "Route", "RouteFileError", "Watcher",
           "WatcherRunningError", "incident_id", "load_routes", "parse_route", "watch_lock"]
