"""`listening watch` with real servers on 127.0.0.1: an aiosmtpd SMTP server and an
http.server receiving webhooks (failing on purpose), the demo's exports dropped one
day at a time into a watched folder, the CLI doing each pass (``--once``).

The same-story margin (loop.FLARE_UP) was chosen on the demo with seed 0; these
tests run on seed 1.
"""

from __future__ import annotations

import contextlib
import email
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest
from aiosmtpd.controller import Controller

import listening as ls
from listening.cli import main
from listening.demo import LOCAL_TZ, generate, write_demo_files
from listening.pseudonymise import default_allow_list
from listening.store import sql
from listening.threats import detect_threats
from listening.watch import (
    Route,
    RouteFileError,
    Watcher,
    WatcherRunningError,
    load_routes,
    parse_route,
    state,
    watch_lock,
)

ROOT = Path(__file__).resolve().parents[1]
N_MENTIONS, DAYS, SEED = 10_000, 10, 1
# The fake clock: each pass happens one hour after the previous one, from 09:00 Toronto.
CLOCK_START = pd.Timestamp("2026-12-02 14:00", tz="UTC")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


class Hook:
    """A webhook receiver: records what it accepted; fails the next ``fail`` POSTs (500)."""

    def __init__(self) -> None:
        self.accepted: list[tuple[str, str, dict]] = []  # (path, idempotency key, body)
        self.refused = 0
        self.fail = 0
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if hook.fail > 0:
                    hook.fail -= 1
                    hook.refused += 1
                    self.send_response(500)
                else:
                    hook.accepted.append((self.path, self.headers["Idempotency-Key"], body))
                    self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def _routes(folder: Path, hook_url: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "everything.yaml").write_text(f"""\
name: Everything
min_severity: 1
language: both
email: [analyst@example.org]
webhook: {hook_url}/all
""")
    (folder / "traffic.yaml").write_text("""\
name: Traffic unit
min_severity: 5
language: both
email: [traffic@example.org]
filters:
  rule: road_closures
""")
    (folder / "duty.yaml").write_text(f"""\
name: Duty officer
min_severity: 8
language: en
webhook: {hook_url}/duty
webhook_format: teams
""")
    (folder / "comms.yaml").write_text("""\
name: Comms team
min_severity: 1
language: fr
email: [comms@example.org]
digest: hourly
pseudonymise: true
brief: out/brief.html
""")
    return folder


@pytest.fixture(scope="module")
def watched(tmp_path_factory):
    """The demo dropped day by day into a watched folder, one CLI pass per day."""
    tmp = tmp_path_factory.mktemp("watch")
    frame, truth = generate(n_mentions=N_MENTIONS, days=DAYS, seed=SEED)
    days = frame["timestamp"].dt.tz_convert(LOCAL_TZ).dt.date
    hook = Hook()
    box = Mailbox()
    port = _free_port()
    smtp = Controller(box, hostname="127.0.0.1", port=port)
    smtp.start()
    routes = _routes(tmp / "routes", hook.url)
    store, inbox = tmp / "store.duckdb", tmp / "inbox"
    clock = {"now": CLOCK_START}
    passes = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sql, "CLOCK", lambda: clock["now"])
        mp.setenv("LISTENING_SMTP", f"smtp://127.0.0.1:{port}")
        args = ["--store", str(store), "watch", str(inbox), "--once", "--routes", str(routes),
                "--settle", "0"]
        first_incident = pd.Timestamp(truth["onset"].min()).tz_convert(LOCAL_TZ).date()
        for i, day in enumerate(sorted(days.unique())):
            write_demo_files(frame[days == day], inbox / f"day{i:02d}")
            dead = day == first_incident  # the mail server is down that pass
            if dead:
                mp.setenv("LISTENING_SMTP", f"smtp://watcher:s3cretpw@127.0.0.1:{_free_port()}")
                hook.fail = 2  # and the webhook answers 500 twice
            before = (len(box.messages), len(hook.accepted))
            code = main(args)
            with ls.open_store(store, read_only=True) as s:
                notified = state.notified(s)
                pending = state.outbox(s, ("pending", "failed"))
            shown = io.StringIO()
            with contextlib.redirect_stdout(shown):
                main(["--store", str(store), "outbox"])
            passes.append({"day": day, "code": code, "dead": dead, "shown": shown.getvalue(),
                           "mails": box.messages[before[0]:],
                           "hooks": hook.accepted[before[1]:],
                           "notified": notified, "pending": pending})
            if dead:
                mp.setenv("LISTENING_SMTP", f"smtp://127.0.0.1:{port}")
            clock["now"] += pd.Timedelta(hours=1)
        # a restart with nothing new, then the same exports again under new names
        shutil.copytree(inbox / "day03", inbox / "copy-of-day03")
        restart = (len(box.messages), len(hook.accepted))
        codes = [main(args), main(args)]
        clock["now"] += pd.Timedelta(hours=2)
        after_restart = (box.messages[restart[0]:], hook.accepted[restart[1]:], codes)
        with ls.open_store(store, read_only=True) as s:
            mentions = s.mentions()
            outbox = state.outbox(s)
            final = state.notified(s)
    smtp.stop()
    hook.server.shutdown()
    yield {"truth": truth, "passes": passes, "box": box, "hook": hook, "store": store,
           "mentions": mentions, "outbox": outbox, "notified": final,
           "after_restart": after_restart, "frame": frame}


def _incident_of(alert_start: pd.Timestamp, truth: pd.DataFrame) -> str | None:
    """The injected incident an alert belongs to: it starts between an hour before the
    onset and the incident's end."""
    for row in truth.itertuples():
        if row.onset - pd.Timedelta(hours=1) <= alert_start < row.end:
            return row.incident
    return None


def _alerts(notified: pd.DataFrame, route: str) -> list[dict]:
    rows = notified[notified["route"] == route]
    return [json.loads(a) for a in rows["alert"]]


def test_each_incident_is_notified_once_in_the_pass_that_brings_it(watched):
    truth = watched["truth"].set_index("incident")
    found = {}
    seen_before = 0
    for p in watched["passes"]:
        alerts = _alerts(p["notified"], "Everything")
        for alert in alerts[seen_before:]:
            incident = _incident_of(pd.Timestamp(alert["start"]), watched["truth"])
            assert incident is not None, f"alert on an incident-free stretch: {alert['why']}"
            assert incident not in found, f"{incident} notified twice"
            found[incident] = (p["day"], pd.Timestamp(alert["start"]))
        seen_before = len(alerts)
    assert sorted(found) == sorted(truth.index)
    for incident, (day, start) in found.items():
        onset = truth.loc[incident, "onset"]
        # notified by the pass whose exports hold the onset's bin ...
        assert day == onset.tz_convert(LOCAL_TZ).date(), incident
        # ... and the alert's episode starts within a few bins of the onset
        assert pd.Timedelta(0) <= start - onset <= pd.Timedelta(hours=3), (incident, start)


def test_incident_free_days_send_nothing(watched):
    truth = watched["truth"]
    quiet = 0
    empty = {"notified": [], "pending": pd.DataFrame({"message_id": []})}
    for before, p in zip([empty, *watched["passes"]], watched["passes"]):
        day_start = pd.Timestamp(p["day"]).tz_localize(LOCAL_TZ)
        day_end = day_start + pd.Timedelta(days=1)
        if ((truth["onset"] < day_end) & (truth["end"] > day_start)).any():
            continue
        quiet += 1
        assert len(p["notified"]) == len(before["notified"]), p["day"]  # nothing new routed
        # what goes out is only what waited: retries, and digests of earlier alerts
        waiting = set(before["pending"]["message_id"])
        retried = {m["X-Listening-Key"] for m in p["mails"] if m["To"] != "comms@example.org"}
        assert retried <= waiting, p["day"]
        assert {key for _, key, _ in p["hooks"]} <= waiting, p["day"]
    assert quiet >= 3


def test_routes_get_what_their_filters_say(watched):
    notified = watched["notified"]
    everything = _alerts(notified, "Everything")
    traffic = _alerts(notified, "Traffic unit")
    assert [_incident_of(pd.Timestamp(a["start"]), watched["truth"]) for a in traffic] \
        == ["highway_401_closure"]
    duty = _alerts(notified, "Duty officer")
    assert duty, "the demo has at least one alert of severity 8 or more"
    assert all(a["severity"] >= 8 for a in duty)
    # a story first routed below 8 reaches the duty officer when it grows to 8
    assert {a["incident"] for a in everything if a["severity"] >= 8} <= {
        a["incident"] for a in duty}
    assert all(_incident_of(pd.Timestamp(a["start"]), watched["truth"]) for a in duty)
    teams = [body for path, _, body in watched["hook"].accepted if path == "/duty"]
    assert len(teams) == len(duty)
    assert all(b["@type"] == "MessageCard" and b["sections"] for b in teams)


def test_emails_say_what_happened_in_the_route_language(watched):
    mails = [m for m in watched["box"].messages if m["To"] == "analyst@example.org"]
    everything = _alerts(watched["notified"], "Everything")
    assert len(mails) == len(everything)
    texts = set(watched["mentions"]["text"])
    for mail in mails:
        body = mail.get_content()
        english, _, french = mail["Subject"].partition(" / ")
        assert english.split("]")[0].strip("[") in {"LOW", "MODERATE", "HIGH", "CRITICAL"}
        assert french, f"a route in both languages has a French subject too: {mail['Subject']}"
        assert mail["Content-Language"] == "en, fr"
        assert "Why:" in body and "Pourquoi" in body
        posts = [line[2:].rsplit(" — ", 1)[0] for line in body.splitlines()
                 if line.startswith("- ")]
        assert 4 <= len(posts) <= 6  # 2-3 example posts, in each language
        assert all(post.rstrip("…") in " ".join(texts) for post in posts)
    ids = [m["Message-ID"] for m in watched["box"].messages]
    assert len(ids) == len(set(ids)), "a message was sent twice"


def test_digest_route_is_french_pseudonymised_and_hourly(watched):
    digests = [m for m in watched["box"].messages if m["To"] == "comms@example.org"]
    routed = _alerts(watched["notified"], "Comms team")
    assert digests and len(digests) <= len(routed)
    allowed = {h.lower().lstrip("@") for h in default_allow_list()}
    private = {a for a in watched["mentions"]["author"].dropna()
               if a.lower().lstrip("@") not in allowed}
    shown = 0
    for mail in digests:
        body = mail.get_content()
        assert mail["Content-Language"] == "fr"
        assert "Pourquoi" in body and "Why:" not in body
        assert "out/brief.html" in body
        assert not [h for h in private if f"— {h}," in body or f" {h} " in body]
        shown += body.count("anon_")
    assert shown, "some example post is by a private person, shown as a keyed token"
    # each routed alert is in exactly one digest
    composed = watched["notified"][watched["notified"]["route"] == "Comms team"]
    assert composed["message_id"].notna().all()


def test_failures_are_retried_from_the_outbox_and_nothing_is_lost(watched):
    dead = next(p for p in watched["passes"] if p["dead"])
    assert dead["mails"] == []
    waiting = dead["pending"]
    assert len(waiting) and (waiting["status"] == "pending").all()
    assert waiting["last_error"].str.contains("cannot reach").any()
    assert watched["hook"].refused == 2
    # `listening outbox` says what waits, why, and what is held for the digest
    assert "pending  Everything via email, 1 attempt(s), next try" in dead["shown"]
    assert "cannot reach the mail server" in dead["shown"]
    assert "held     Comms team: 1 alert(s) until" in dead["shown"]
    # nothing pending or failed at the end, every message sent once
    outbox = watched["outbox"]
    assert (outbox["status"] == "sent").all()
    assert (outbox.loc[outbox["message_id"].isin(waiting["message_id"]), "attempts"] >= 2).all()
    keys = [k for _, k, _ in watched["hook"].accepted]
    assert len(keys) == len(set(keys)) == (outbox["channel"] != "email").sum()
    assert len(watched["box"].messages) == (outbox["channel"] == "email").sum()


def test_credentials_never_reach_the_store_or_the_output(watched, capsys):
    with ls.open_store(watched["store"], read_only=True) as s:
        rows = s._read("SELECT * FROM watch_outbox").to_pandas()
    assert not rows.astype(str).apply(lambda c: c.str.contains("s3cretpw")).any().any()
    assert "s3cretpw" not in capsys.readouterr().out


def test_a_restart_resends_nothing(watched):
    mails, hooks, codes = watched["after_restart"]
    assert mails == [] and hooks == [] and codes == [0, 0]


def test_online_alerts_are_the_batch_alerts(watched):
    batch = detect_threats(watched["mentions"], max_alerts=None)
    keys = set(zip(batch["segment"], batch["start"]))
    for alert in _alerts(watched["notified"], "Everything"):
        assert (alert["segment"], pd.Timestamp(alert["start"])) in keys, alert["why"]
    # and the watcher missed none: each batch alert was sent, or is the same story as
    # one that was (a segment in common, or "all" and a word in common, within the
    # same-story margin)
    from listening.watch.loop import _term_words

    sent = _alerts(watched["notified"], "Everything")
    for row in batch.itertuples():
        segments = {row.segment, *row.related}

        def related(a, segments=segments, row=row):
            theirs = {a["segment"], *a["related"]}
            return bool(segments & theirs) or (
                "all" in segments | theirs and bool(_term_words(row.terms) & _term_words(a["terms"])))

        assert any(related(a)
                   and pd.Timestamp(a["start"]) < row.end + pd.Timedelta(hours=24)
                   and row.start < pd.Timestamp(a["end"]) + pd.Timedelta(hours=24)
                   for a in sent), row.why


def test_outbox_command_shows_pending_and_failed(tmp_path, capsys):
    store = tmp_path / "s.duckdb"
    with ls.open_store(store) as s:
        state.queue(s, pd.DataFrame([{
            "message_id": "k1.email", "route": "Duty officer", "channel": "email",
            "target": "a@example.org", "subject": "[HIGH] Surge", "body": "b", "payload": "{}",
            "status": "failed", "attempts": 3, "next_try": pd.NaT, "last_error": "refused",
            "created": sql.now(), "sent": pd.NaT}]), [])
    assert main(["--store", str(store), "outbox"]) == 1
    out = capsys.readouterr().out
    assert "failed" in out and "Duty officer" in out and "refused" in out
    assert main(["--store", str(store), "outbox", "--retry"]) == 0
    assert "pending" in capsys.readouterr().out


# -- routes


def test_example_routes_load():
    routes = load_routes(ROOT / "data" / "routes")
    names = {r.name for r in routes}
    assert {"Traffic unit", "Duty officer", "Comms team"} <= names


@pytest.mark.parametrize("text, line, words", [
    ("name: A\nmin_severity: 5\nlanguage: en\nemail: [a@b.org]\ncolour: red\n", 5,
     "unknown field 'colour'"),
    ("name: A\nmin_severity: 11\nlanguage: en\nemail: [a@b.org]\n", 2, "1 to 10"),
    ("name: A\nmin_severity: 5\nlanguage: de\nemail: [a@b.org]\n", 3, "'en', 'fr', 'both'"),
    ("name: A\nmin_severity: 5\nlanguage: en\n", 1, "email"),
    ("name: A\nmin_severity: 5\nlanguage: en\nemail: [not-an-address]\n", 4, "e-mail"),
    ("name: A\nmin_severity: 5\nlanguage: en\nwebhook: ftp://x\n", 4, "http"),
    ("name: A\nmin_severity: 5\nlanguage: en\nemail: [a@b.org]\nfilters:\n  colour: red\n", 6,
     "unknown filter"),
    ("name: A\nmin_severity: 5\nlanguage: en\nemail: [a@b.org]\nquiet_hours: late\n", 5,
     "22:00-07:00"),
    ("name: A\n  min_severity: 5\n", 2, "not valid YAML"),
])
def test_route_errors_name_the_file_and_line(tmp_path, text, line, words):
    path = tmp_path / "bad.yaml"
    with pytest.raises(RouteFileError) as caught:
        parse_route(text, path)
    assert caught.value.line == line
    assert str(path) in str(caught.value) and f"line {line}" in str(caught.value)
    assert words.replace("'", "") in str(caught.value).replace("'", "")


def test_quiet_hours_hold_alerts_unless_severe_and_digests_wait():
    route = Route(name="r", min_severity=1, language="en", email=("a@b.org",),
                  quiet_hours=(22 * 60, 7 * 60), quiet_override=8)
    night = pd.Timestamp("2026-11-03 03:30", tz="UTC")  # 22:30 in Toronto
    assert route.due(night, 5) == pd.Timestamp("2026-11-03 07:00", tz=LOCAL_TZ)
    assert route.due(night, 9) == night
    day = pd.Timestamp("2026-11-03 15:10", tz="UTC")
    assert route.due(day, 5) == day
    hourly = Route(name="h", min_severity=1, language="en", email=("a@b.org",), digest="hourly")
    assert hourly.due(day, 5) == pd.Timestamp("2026-11-03 16:00", tz="UTC")
    daily = Route(name="d", min_severity=1, language="en", email=("a@b.org",), digest="daily")
    assert daily.due(day, 9) == pd.Timestamp("2026-11-04 00:00", tz=LOCAL_TZ)


# -- one watcher per store, clean stop


def test_a_watched_path_that_is_not_there_is_said(tmp_path, capsys):
    assert main(["--store", str(tmp_path / "s.duckdb"), "watch", str(tmp_path / "inbx"),
                 "--once", "--routes", str(ROOT / "data" / "routes")]) == 1
    assert "no such folder or file to watch" in capsys.readouterr().err


def test_a_second_watcher_is_refused(tmp_path):
    store = tmp_path / "s.duckdb"
    route = Route(name="r", min_severity=1, language="en", webhook="http://127.0.0.1:9/x")
    with watch_lock(store.resolve()), pytest.raises(WatcherRunningError,
                                                    match=f"pid {os.getpid()}"):
        Watcher([tmp_path], store=store, routes=[route]).run()


def test_sigterm_finishes_the_pass_and_exits_cleanly(tmp_path):
    routes = tmp_path / "routes"
    routes.mkdir()
    (routes / "r.yaml").write_text("name: R\nmin_severity: 5\nlanguage: en\n"
                                   "webhook: http://127.0.0.1:9/x\n")
    (tmp_path / "inbox").mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("LISTENING_SMTP", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "listening.cli", "--store", str(tmp_path / "s.duckdb"), "watch",
         str(tmp_path / "inbox"), "--every", "1h", "--routes", str(routes)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.time() + 60
    while not (tmp_path / "s.duckdb").exists() and time.time() < deadline:
        time.sleep(0.2)
    time.sleep(1.0)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "finishing the current step" in err
    assert "0 new file(s)" in out


def test_an_unreadable_file_is_recorded_once_and_does_not_hold_the_others(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "good.csv").write_text(
        "mention_id,timestamp,text,platform,language\n"
        "a1,2026-11-02T10:00:00Z,Highway 401 closed near Kingston,x,en\n"
        "a2,2026-11-02T10:05:00Z,Route 17 fermée,x,fr\n")
    (inbox / "bad.csv").write_bytes(b"\x00\x01\x02 not an export \xff\xfe")
    more = pd.DataFrame({"mention_id": ["p1", "x1"], "timestamp": ["2026-11-02T11:00:00Z"] * 2,
                         "text": ["Is this call from the police a scam?", "Kenora wildfire"],
                         "platform": ["x", "x"], "language": ["en", "en"]})
    more.iloc[:1].to_parquet(inbox / "more.parquet")
    more.iloc[1:].to_excel(inbox / "more.xlsx", index=False)
    route = Route(name="r", min_severity=1, language="en", webhook="http://127.0.0.1:9/x")
    logs: list[str] = []
    watcher = Watcher([inbox], store=tmp_path / "s.duckdb", routes=[route], settle=0,
                      log=logs.append)
    assert watcher.run() == 1  # a file could not be read: a scheduled job sees it
    first = watcher.run_once()
    assert first.files == []  # the bad file is not read again until it changes
    with ls.open_store(tmp_path / "s.duckdb", read_only=True) as store:
        assert store.count() == 4
        files = store._read("SELECT path, status, note FROM watch_files ORDER BY path"
                            ).to_pandas()
    # the bad file failed; the CSV, Parquet and XLSX files were stored and their alerts routed
    assert list(files["status"]) == ["failed", "done", "done", "done"]
    assert files["note"][0]  # says why
    assert "failed: " in logs[0] and "bad.csv" in logs[0]


def test_new_mentions_get_topics_from_the_saved_model(tmp_path):
    from listening.topics import fit_topics

    frame, _ = generate(n_mentions=600, days=3, seed=3)
    model_path = fit_topics(frame.head(400), n_topics=5, seed=0).save(tmp_path / "topics.npz")
    write_demo_files(frame.tail(200), tmp_path / "inbox")
    route = Route(name="r", min_severity=10, language="en", webhook="http://127.0.0.1:9/x")
    watcher = Watcher([tmp_path / "inbox"], store=tmp_path / "s.duckdb", routes=[route],
                      settle=0, topics=model_path, log=lambda s: None)
    report = watcher.run_once()
    assert report.added == report.enriched == 200
    with ls.open_store(tmp_path / "s.duckdb", read_only=True) as store:
        stored = store.mentions(columns=["mention_id", "topic", "topic_label", "sentiment"])
    assert stored["topic"].notna().all() and stored["sentiment"].notna().all()
    # refit on demand: the saved model is rewritten, with the old one as `previous`
    before = model_path.read_bytes()
    write_demo_files(frame.iloc[380:400], tmp_path / "inbox" / "more")
    watcher = Watcher([tmp_path / "inbox"], store=tmp_path / "s.duckdb", routes=[route],
                      settle=0, topics=model_path, refit_topics="now", log=lambda s: None)
    again = watcher.run_once()
    assert again.refitted and again.enriched == 20
    assert model_path.read_bytes() != before
    assert not watcher.run_once().refitted  # "now" means this pass only
    # an export of mentions already stored is read, stores nothing, and alerts nobody
    write_demo_files(frame.iloc[380:400], tmp_path / "inbox" / "same-again")
    (tmp_path / "inbox" / "same-again" / "meltwater.csv").write_text(
        (tmp_path / "inbox" / "more" / "meltwater.csv").read_text() + "\n")
    repeat = watcher.run_once()
    assert repeat.files and repeat.added == 0 and repeat.routed == 0


# -- channels


def _one_alert() -> dict:
    return {"incident": "i1", "alert_key": "k1", "segment": "platform:x", "related": [],
            "start": "2026-11-02T10:00:00+00:00", "end": "2026-11-02T12:00:00+00:00",
            "signal": "volume", "severity": 9, "terms": ["401", "closed"],
            "example_ids": ["m1"], "why": "401 closed.", "why_fr": "401 fermée."}


def test_slack_teams_and_json_bodies():
    from listening.watch.channels import render
    from listening.watch.messages import compose

    route = Route(name="r", min_severity=1, language="both", webhook="https://hooks.slack.com/x")
    posts = pd.DataFrame({"mention_id": ["m1"], "text": ["401 closed at Kingston"],
                          "author": ["@jane"], "platform": ["x"]})
    message = compose([_one_alert()], route, posts, brief="https://intranet/brief.html")
    assert message.subject.startswith("[CRITICAL] 401, closed (X), since Mon 2 Nov 05:00 / ")
    slack = json.loads(render("slack", message, target="u", key="k.slack", route="r"))
    assert set(slack) == {"text"} and "*401, closed (X), since" in slack["text"]
    assert "401 closed at Kingston — @jane, X" in slack["text"]
    assert "https://intranet/brief.html" in slack["text"]
    teams = json.loads(render("teams", message, target="u", key="k.teams", route="r"))
    assert teams["@type"] == "MessageCard" and teams["themeColor"] == "C62828"
    assert "sans niveau antérieur" in teams["sections"][0]["text"]  # the brief's why, in French
    generic = json.loads(render("json", message, target="u", key="k.json", route="r"))
    assert generic["idempotency_key"] == "k.json"
    assert generic["alerts"][0]["severity_words"] == {"en": "critical", "fr": "critique"}


def test_smtp_settings_come_from_the_environment_and_never_show_the_password():
    from listening.watch.channels import DeliveryError
    from listening.watch.channels.email import server_from_env

    server = server_from_env({"LISTENING_SMTP": "smtps://ops%40x.org:pa%3Ass@mail.x.org"})
    assert (server.scheme, server.host, server.port) == ("smtps", "mail.x.org", 465)
    assert (server.user, server.password) == ("ops@x.org", "pa:ss")
    assert "pa:ss" not in str(server) and "pa:ss" not in repr(server)
    from_env = server_from_env({"LISTENING_SMTP": "smtp+starttls://mail.x.org",
                                "LISTENING_SMTP_USER": "u", "LISTENING_SMTP_PASSWORD": "p"})
    assert (from_env.port, from_env.user, from_env.password) == (587, "u", "p")
    with pytest.raises(DeliveryError, match="LISTENING_SMTP is not set"):
        server_from_env({})
    with pytest.raises(DeliveryError, match="smtp://host:port") as caught:
        server_from_env({"LISTENING_SMTP": "http://mail.x.org"})
    assert caught.value.permanent


def test_a_webhook_that_times_out_or_refuses_is_retried_or_failed():
    from listening.watch.channels import DeliveryError
    from listening.watch.channels.webhook import post

    class Slow(BaseHTTPRequestHandler):
        def do_POST(self):
            time.sleep(1.0)
            self.send_response(200 if self.path == "/slow" else 404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with pytest.raises(DeliveryError, match="cannot reach webhook") as slow:
            post(f"{url}/slow", {"a": 1}, key="k", timeout=0.3)
        assert not slow.value.permanent  # a timeout may pass: retried
        with pytest.raises(DeliveryError, match="HTTP 404") as gone:
            post(f"{url}/gone", {"a": 1}, key="k", timeout=5)
        assert gone.value.permanent  # a wrong URL will not fix itself
        assert "/gone" not in str(gone.value)  # webhook paths are secrets
    finally:
        server.shutdown()


def test_a_purge_erases_the_messages_and_alerts_that_quote_purged_posts(tmp_path):
    store = tmp_path / "s.duckdb"
    old = sql.now() - pd.Timedelta(days=370)
    post = pd.DataFrame({"mention_id": ["old1"], "timestamp": [old], "platform": ["x"],
                         "author": ["@zqwatchpurged"], "text": ["zqquotedpost near Kenora"],
                         "source": ["test"]})
    with ls.open_store(store) as s:
        s.add(ls.schema.coerce(post))
        # sent 360 days ago (after the 365-day cutoff) but quoting the 370-day-old post
        state.queue(s, pd.DataFrame([{
            "message_id": "k1.email", "route": "Duty officer", "channel": "email",
            "target": "a@example.org", "subject": "zqquotedpost", "payload": "{}",
            "body": "zqquotedpost near Kenora — @zqwatchpurged", "status": "sent",
            "attempts": 1, "next_try": pd.NaT, "last_error": None,
            "created": sql.now() - pd.Timedelta(days=360),
            "sent": sql.now() - pd.Timedelta(days=360)}]), [])
        result = s.purge("365D")
    assert result.removed["watch_outbox"] == 1
    data = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
    assert b"zqquotedpost" not in data and b"zqwatchpurged" not in data
