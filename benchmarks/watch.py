"""How long from a new export dropped in the watched folder to its alert being delivered.

Issue 19's target: with 1M mentions already in the store, a new 10,000-mention export
dropped into the watched folder leads to the notification within 30 s on 2 cores.

Setup (not timed): the demo stream is generated so that ``--store-size`` mentions come
before the wildfire incident's onset (minus an hour); those are enriched (sentiment,
rules) and stored. The next ``--new`` mentions (the incident's first hours) are written
as the real export formats (twarc2 JSONL, Pushshift NDJSON, Meltwater CSV) into the
watched folder. Timed: one watcher pass (``Watcher.run_once``, ``settle=0``; the watcher warmed up as ``listening
watch --every`` does when it starts, which is reported apart) until a
local webhook server (127.0.0.1) has received the alert and a local SMTP server
(aiosmtpd) the e-mail. Prints the time per step.

    PYTHONPATH=. python benchmarks/watch.py                # 1M in the store, 10k new
    PYTHONPATH=. python benchmarks/watch.py --store-size 200000
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd

import listening as ls
from listening.demo import generate, write_demo_files
from listening.watch import Route, Watcher

TARGET_SECONDS = 30.0


def _servers():
    from aiosmtpd.controller import Controller

    received: list[tuple[str, float]] = []

    class Box:
        async def handle_DATA(self, server, session, envelope):
            received.append(("email", time.perf_counter()))
            return "250 OK"

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            received.append(("webhook", time.perf_counter()))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    smtp = Controller(Box(), hostname="127.0.0.1", port=port)
    smtp.start()
    http = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    return received, f"smtp://127.0.0.1:{port}", f"http://127.0.0.1:{http.server_address[1]}/hook", \
        (smtp, http)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store-size", type=int, default=1_000_000)
    parser.add_argument("--new", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=28)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="watch-bench-"))
    t0 = time.perf_counter()
    # the wildfire starts at 78% of the period: generate enough for store-size before it
    total = int(args.store_size / 0.78 * 1.02) + args.new
    frame, truth = generate(n_mentions=total, days=args.days, seed=0)
    onset = truth.set_index("incident").loc["wildfire_evacuation", "onset"]
    cut = onset - pd.Timedelta(hours=1)
    before = frame[frame["timestamp"] < cut].tail(args.store_size)
    new = frame[frame["timestamp"] >= cut].head(args.new)
    print(f"setup: {len(before):,} mentions to store (to {cut}), {len(new):,} new "
          f"({new['timestamp'].min()} to {new['timestamp'].max()}); generated in "
          f"{time.perf_counter() - t0:.1f}s", flush=True)
    t = time.perf_counter()
    enriched = ls.enrich(before.reset_index(drop=True), topics=None, progress=False)
    with ls.open_store(tmp / "store.duckdb") as store:
        store.add(enriched)
    print(f"setup: enriched and stored in {time.perf_counter() - t:.1f}s", flush=True)

    received, smtp_url, hook_url, servers = _servers()
    os.environ["LISTENING_SMTP"] = smtp_url
    route = Route(name="Duty officer", min_severity=1, language="both",
                  email=("duty@example.org",), webhook=hook_url, webhook_format="json")
    inbox = tmp / "inbox"
    inbox.mkdir()
    watcher = Watcher([inbox], store=tmp / "store.duckdb", routes=[route], settle=0,
                      log=lambda s: None)

    warm = watcher.warm_up()  # as `listening watch --every` does when it starts
    print(f"watcher warm-up (language detector, rules), paid once at start: {warm:.1f}s",
          flush=True)
    dropped = time.perf_counter()
    write_demo_files(new, inbox / "new-export")
    wrote = time.perf_counter() - dropped
    report = watcher.run_once()
    done = time.perf_counter()
    firsts = {kind: min(at for k, at in received if k == kind) - dropped
              for kind in ("email", "webhook") if any(k == kind for k, _ in received)}
    for server in servers:
        (server.stop if hasattr(server, "stop") else server.shutdown)()

    print(report)
    print(f"\nexport written in {wrote:.2f}s (3 files); pass {done - dropped - wrote:.2f}s")
    for step, seconds in report.seconds.items():
        print(f"  {step:<8} {seconds:6.2f} s")
    for kind, seconds in firsts.items():
        print(f"first {kind} received {seconds:.2f} s after the export was dropped")
    worst = max(firsts.values()) if firsts else float("inf")
    ok = len(firsts) == 2 and worst <= TARGET_SECONDS
    print(f"\n{len(before):,} mentions in the store, {len(new):,} new: notification in "
          f"{worst:.1f} s (target {TARGET_SECONDS:.0f} s) -> {'met' if ok else 'MISSED'}; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(json.dumps({"store": len(before), "new": len(new), "seconds": report.seconds,
                      "notified": firsts}, default=float))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
