"""One pass of the monitoring loop, and the loop.

A pass (:meth:`Watcher.run_once`), each step one or more store transactions:

1. **scan** - export files under the watched paths whose SHA-256 was never seen;
2. **ingest** - each loaded (``listening.load``) and stored once, recorded in
   ``watch_files`` (a file that cannot be read is recorded as failed, with why);
3. **enrich** - only the mentions those imports added: language, sentiment and
   rule hits (and topics with a saved topic model, ``topics=``);
4. **detect** - :func:`listening.detect_threats` over :data:`HISTORY` of history
   before the oldest new mention, reporting episodes that reach into the new
   bins (the detector is causal: the same alerts as a batch run on the store);
5. **route** - each new alert handed to the routes that take it, once per
   incident and route (:mod:`.routes`);
6. **compose** and **deliver** - due alerts become outbox messages, sent with
   retries (:mod:`.outbox`); also every pass without new files, so digests,
   quiet-hours batches and retries go out on time.

An alert's identity, the ``incident``, is its segment and episode start (not
its lead signal, which is what the detector's ``alert_key`` also hashes): the
episode keeps it as it grows. An alert whose segments (its own and those
folded into it) overlap those of an incident already sent to a route, at an
overlapping time (within :data:`SAME_STORY`, or :data:`FLARE_UP` when it shares
:data:`FLARE_UP_TERMS` terms), is the same story seen from more data, and is not
sent again; so is one on "all" (which holds every segment) that shares a word of
the incident's terms at an overlapping time.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import glob
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ListeningError, MentionDataError
from ..store import default_store_path, open_store
from ..store.enrichment import stored_columns
from ..store.sql import now
from ..windows import DEFAULT_TZ
from . import outbox, scan, state
from .routes import Route, accepts, load_routes

# History read before the newest bins: the detector's day-of-week factor looks back
# four weeks and its term background one; 35 days covers both with a margin.
HISTORY = pd.Timedelta(days=35)
# Alerts folded or grown from the same story stay one incident within this margin
# (the detector's cooldown).
SAME_STORY = pd.Timedelta(hours=6)
# ... and so does a flare-up within a day that shares two of its terms (a scam back at
# night with the same words is an update, not news). Chosen on the demo with seed 0.
FLARE_UP = pd.Timedelta(hours=24)
FLARE_UP_TERMS = 2
DETECT_COLUMNS = ("mention_id", "timestamp", "text", "platform", "language", "author", "reach")
ENRICH_COLUMNS = ("mention_id", "timestamp", "text", "platform", "language", "author", "url",
                  "country")
# Topics are refitted on the four weeks up to the newest mention (a monthly review).
REFIT_WINDOW = pd.Timedelta(days=28)


class WatcherRunningError(ListeningError):
    """Another ``listening watch`` is watching this store."""


@contextlib.contextmanager
def watch_lock(store_path: Path):
    """Hold ``<store>.watch.lock`` for the block: one watcher per store.

    The store itself is opened only during a pass, so notebooks and the CLI can
    use it between passes; this lock keeps a second watcher (a cron job started
    while the long-running one works) out for the whole run.
    """
    path = Path(f"{store_path}.watch.lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            other = os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "unknown"
            raise WatcherRunningError(
                f"another `listening watch` (pid {other}) is already watching {store_path}; "
                f"stop it (kill {other}) or let it finish, then start this one") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def incident_id(segment: str, start: pd.Timestamp) -> str:
    """An alert's identity: its segment and episode start (independent of the signal)."""
    start = pd.Timestamp(start).tz_convert("UTC")
    return hashlib.sha1(f"{segment}|{start.isoformat()}".encode()).hexdigest()[:16]


@dataclasses.dataclass
class PassReport:
    """What one pass did, with the seconds each step took."""

    files: list[tuple[str, str, int]] = dataclasses.field(default_factory=list)
    added: int = 0
    enriched: int = 0
    alerts: int = 0
    routed: int = 0
    messages: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = dataclasses.field(default_factory=list)
    seconds: dict[str, float] = dataclasses.field(default_factory=dict)
    stopped: bool = False
    refitted: bool = False

    def __str__(self) -> str:
        lines = [f"{status}: {path}" + (f" ({n:,} new mentions)" if status != "failed" else "")
                 for path, status, n in self.files]
        lines.append(f"{len(self.files)} new file(s), {self.added:,} mentions stored, "
                     f"{self.enriched:,} enriched, {self.alerts} alert(s) in the new bins, "
                     f"{self.routed} routed, {self.messages} message(s) composed, "
                     f"{self.sent} sent, {self.retrying} to retry, {self.failed} failed")
        if self.refitted:
            lines.append("topic model refitted (matching topics keep their ids)")
        lines += [f"problem: {e}" for e in self.errors]
        lines.append("time: " + ", ".join(f"{k} {v:.2f}s" for k, v in self.seconds.items()))
        if self.stopped:
            lines.append("stopped on request after the step in progress")
        return "\n".join(lines)


class Watcher:
    """Watch export folders for one store and notify routes of new alerts.

    Parameters
    ----------
    paths : list of folders, files or globs
    store : path of the store (default: as ``open_store()``)
    routes : folder of route files (default ``data/routes``) or a list of Route
    freq : time bin of the detector (as ``listening alerts --freq``)
    tz : time zone of naive timestamps in the exports
    settle : seconds a file must stay unmodified before it is read
    brief : link or path to the current brief, put in messages when it is a link or the
        file exists (a route's own ``brief`` wins)
    topics : a saved topic model (path or TopicModel) to assign topics to new mentions
    refit_topics : refit that model (a path) when it is older than this duration, or
        ``"now"`` for this pass: fitted on the last :data:`REFIT_WINDOW` of mentions with
        the old model as ``previous``, so matching topics keep their ids and labels
    rules : rule library folder or list (default ``data/rules``)
    backoff, timeout : delivery retry policy and per-attempt timeout (seconds)
    """

    def __init__(self, paths: Sequence[str | os.PathLike], *, store=None,
                 routes: str | os.PathLike | Sequence[Route] | None = None, freq: str = "1h",
                 tz: str = DEFAULT_TZ, settle: float = scan.DEFAULT_SETTLE,
                 brief: str | None = None, topics=None, refit_topics=None, rules=None,
                 backoff: outbox.Backoff = outbox.DEFAULT_BACKOFF, timeout: float = 10.0,
                 log: Callable[[str], None] = print) -> None:
        self.paths = [os.fspath(p) for p in paths]
        missing = [p for p in self.paths
                   if not glob.has_magic(p) and not Path(p).expanduser().exists()]
        if missing:
            raise ListeningError(f"no such folder or file to watch: {', '.join(missing)}; "
                                 f"create it (exports will arrive there) or check the path")
        self.store_path = Path(default_store_path() if store is None else store).expanduser()
        route_list = list(routes) if isinstance(routes, (list, tuple)) else load_routes(routes)
        self.routes = {r.name: r for r in route_list}
        self.freq, self.tz, self.settle, self.brief = freq, tz, settle, brief
        self.backoff, self.timeout, self.log = backoff, timeout, log
        self._topics = topics
        if refit_topics is not None and not isinstance(topics, (str, os.PathLike)):
            raise ListeningError("refitting topics needs the path of the saved topic model: "
                                 "pass --topics PATH with --refit-topics")
        self._refit = refit_topics
        self._rules = rules
        self.stop = threading.Event()

    # -- the steps

    def _ingest(self, store, found: list[scan.Found], report: PassReport) -> None:
        """Load and store the new files: together (one import, one backup) when they all
        read, else one by one so that a bad file does not hold the others back."""
        from ..ingest import load

        if not found or self.stop.is_set():
            return
        try:
            frame, loaded = load([f.path for f in found], tz=self.tz, progress=False)
        except (MentionDataError, OSError):
            batches = [[item] for item in found]
        else:
            self._store_batch(store, found, frame, loaded, report)
            return
        for batch in batches:
            if self.stop.is_set():
                return
            item = batch[0]
            try:
                frame, loaded = load(item.path, tz=self.tz, progress=False)
            except (MentionDataError, OSError) as exc:
                note = " ".join(str(exc).split())
                state.record_file(store, sha256=item.sha256, path=str(item.path),
                                  status="failed", note=note)
                report.files.append((str(item.path), "failed", 0))
                report.errors.append(note)
                continue
            self._store_batch(store, batch, frame, loaded, report)

    @staticmethod
    def _store_batch(store, batch: list[scan.Found], frame, loaded, report: PassReport) -> None:
        added = store.add(frame, loaded)
        counts = [f.loaded for f in added.files] if len(added.files) == len(batch) \
            else [added.added] + [0] * (len(batch) - 1)
        state.record_files(store, [
            {"sha256": item.sha256, "path": str(item.path), "status": "ingested",
             "import_id": added.import_id, "mentions": n, "note": str(added)}
            for item, n in zip(batch, counts)])
        report.files += [(str(item.path), "ingested", n) for item, n in zip(batch, counts)]
        report.added += added.added

    def _refit_due(self) -> bool:
        if self._refit is None:
            return False
        path = Path(self._topics)
        if self._refit == "now" or not path.exists():
            return True
        age = pd.Timestamp(time.time(), unit="s") - pd.Timestamp(path.stat().st_mtime, unit="s")
        return age >= pd.Timedelta(self._refit)

    def refit_topics(self, store) -> Path | None:
        """Refit the saved topic model on recent mentions when due; returns the path saved."""
        from ..pipeline import TOPIC_SAMPLE
        from ..topics import fit_topics, load_topics

        if not self._refit_due():
            return None
        path = Path(self._topics)
        previous = load_topics(path) if path.exists() else None
        newest = store._read("SELECT max(timestamp) FROM mentions").column(0)[0].as_py()
        if newest is None:
            return None
        recent = store.mentions(since=pd.Timestamp(newest) - REFIT_WINDOW,  # as analyses do:
                                columns=["mention_id", "timestamp", "text"])  # from the newest
        if len(recent) > TOPIC_SAMPLE:
            recent = recent.sample(TOPIC_SAMPLE, random_state=0)
        saved = fit_topics(recent, n_topics="auto", seed=0, previous=previous).save(path)
        self._topics = saved
        if self._refit == "now":
            self._refit = None  # on demand: once
        return saved

    def _enrich(self, store, imports: list[str]) -> int:
        from ..pipeline import _resolve_rules, enrich_partition

        fresh = state.unenriched(store, imports, ENRICH_COLUMNS)
        if not len(fresh):
            return 0
        model = self._topics
        if isinstance(model, (str, os.PathLike)):
            from ..topics import load_topics

            model = self._topics = load_topics(model)
        rules = _resolve_rules(self._rules)
        enriched = enrich_partition(fresh, topic_model=model, rules=rules)
        columns = [c for c in enriched.columns if c in ("sentiment", "sentiment_label", "topic",
                                                         "topic_label") or c.startswith("rule_")]
        store.add_enrichment(enriched, columns)
        return len(enriched)

    def _detect(self, store, since: pd.Timestamp) -> pd.DataFrame:
        from ..threats import detect_threats

        enrich = stored_columns(store)
        columns = [*DETECT_COLUMNS, *[c for c in enrich if c in (
            "sentiment", "sentiment_label", "topic", "topic_label") or c.startswith("rule_")]]
        first = (since - HISTORY).tz_convert(DEFAULT_TZ).normalize()
        history = store.mentions(since=first, columns=columns)
        if not len(history):
            return pd.DataFrame()
        alerts = detect_threats(history, freq=self.freq, since=since, max_alerts=None)
        if not len(alerts):
            return alerts
        return alerts.assign(**_example_facts(alerts, history))

    def _route(self, store, alerts: pd.DataFrame, imports: list[str]) -> int:
        at = now()
        sent = state.notified(store)
        rows = []
        if not len(alerts):  # nothing new (or an export of mentions already stored)
            alerts = pd.DataFrame(columns=["start", "segment"])
        for alert in alerts.sort_values(["start", "segment"], kind="stable").to_dict("records"):
            incident = incident_id(alert["segment"], alert["start"])
            segments = [alert["segment"], *alert["related"]]
            view = {**alert, "segments": segments}
            for route in self.routes.values():
                if not accepts(route, view) or _already(sent, rows, route.name, incident,
                                                         segments, alert):
                    continue
                rows.append({"incident": incident, "route": route.name,
                             "alert_key": alert["alert_key"], "segments": segments,
                             "start": alert["start"], "end": alert["end"],
                             "severity": int(alert["severity"]),
                             "due": route.due(at, int(alert["severity"])), "message_id": None,
                             "alert": _alert_json(alert, incident), "at": at})
        frame = pd.DataFrame(rows)
        if len(frame):
            frame["message_id"] = frame["message_id"].astype("string")
        state.route_alerts(store, frame, imports)
        return len(rows)

    # -- a pass, and the loop

    def run_once(self) -> PassReport:
        """One pass over the watched paths (see the module docstring); the store is
        open only meanwhile."""
        report = PassReport()
        clock = time.perf_counter()

        def step(name: str) -> bool:
            nonlocal clock
            t = time.perf_counter()
            report.seconds[name] = report.seconds.get(name, 0.0) + t - clock
            clock = t
            report.stopped = self.stop.is_set()
            return not report.stopped

        with open_store(self.store_path) as store:
            found = scan.new_files(self.paths, state.seen_sha256(store), settle=self.settle)
            if not step("scan"):
                return report
            self._ingest(store, found, report)
            if not step("ingest"):
                return report
            imports = state.unrouted_imports(store)
            report.refitted = self.refit_topics(store) is not None
            report.enriched = self._enrich(store, imports)
            if not step("enrich"):
                return report
            since, n = state.import_span(store, imports)
            alerts = pd.DataFrame()
            if n:
                since = since.floor(pd.Timedelta(self.freq))
                alerts = self._detect(store, since)
                report.alerts = len(alerts)
            if not step("detect"):
                return report
            if imports:
                report.routed = self._route(store, alerts, imports)
            if not step("route"):
                return report
            report.messages = outbox.compose(store, self.routes, brief=self._current_brief())
            if not step("compose"):
                return report
            done = outbox.deliver(store, backoff=self.backoff, timeout=self.timeout,
                                  stop=self.stop)
            report.sent, report.retrying, report.failed = done.sent, done.retrying, done.failed
            report.errors += done.errors
            step("deliver")
        return report

    def warm_up(self) -> float:
        """Build what every pass needs once (the language detector takes seconds to build,
        the rule library to parse): a long-running watcher does it before its first pass,
        so a new export is not kept waiting. Returns the seconds taken."""
        from ..pipeline import _resolve_rules
        from ..text import detect_language

        t = time.perf_counter()
        detect_language(pd.Series(["warm up"]))
        self._rules = _resolve_rules(self._rules)
        return time.perf_counter() - t

    def _current_brief(self) -> str | None:
        """``brief`` when it is a link, or a file that exists (as an absolute path)."""
        if not self.brief or "://" in self.brief:
            return self.brief
        path = Path(self.brief).expanduser()
        return str(path.resolve()) if path.is_file() else None

    def run(self, every: pd.Timedelta | None = None) -> int:
        """Passes until :attr:`stop` is set (``every=None``: one pass). Returns an exit status:
        0, or 1 when the last pass had a delivery failure or an unreadable file."""
        from ..errors import StoreLockedError

        status = 0
        with watch_lock(self.store_path.resolve()):
            if every is not None:
                self.warm_up()
            while True:
                try:
                    report = self.run_once()
                    self.log(str(report))
                    status = 1 if report.failed or any(f[1] == "failed" for f in report.files) \
                        else 0
                except StoreLockedError as exc:
                    if every is None:
                        raise
                    self.log(f"skipped this pass: {' '.join(str(exc).split())}")
                if every is None or self.stop.wait(every.total_seconds()):
                    return status


def _already(sent: pd.DataFrame, new: list[dict], route: str, incident: str,
             segments: list[str], alert: dict) -> bool:
    """The incident (or the same story under another segment) already went to ``route``."""
    earlier = [r for r in new if r["route"] == route]
    if len(sent):
        earlier += sent[sent["route"] == route].to_dict("records")
    start, end = pd.Timestamp(alert["start"]), pd.Timestamp(alert["end"])
    terms = set(alert["terms"])
    for row in earlier:
        if row["incident"] == incident:
            return True
        before = json.loads(row["alert"])["terms"]
        if not _same_place(set(row["segments"]), set(segments), terms, before):
            continue
        shared = len(terms & set(before))
        margin = FLARE_UP if shared >= FLARE_UP_TERMS else SAME_STORY
        if row["start"] < end + margin and start < row["end"] + margin:
            return True
    return False


def _same_place(theirs: set[str], ours: set[str], terms, before) -> bool:
    """A segment in common; or "all" on one side, which holds every segment's mentions, and
    a word of the terms in common (the same story told by another signal there, e.g. a
    word burst after a news pick-up)."""
    if theirs & ours:
        return True
    return "all" in theirs | ours and bool(_term_words(terms) & _term_words(before))


def _term_words(terms) -> set[str]:
    """The single words of alert terms ("watch video" -> {"watch", "video"})."""
    return {w for t in terms for w in str(t).lower().split() if len(w) > 2}


def _example_facts(alerts: pd.DataFrame, history: pd.DataFrame) -> dict:
    """Per alert, from its example posts: ``rules`` most of them match, ``topics`` and
    ``languages`` (a language segment wins), and the ``topic_label`` of a topic segment."""
    by_id = history.set_index("mention_id")
    rule_cols = [c for c in history.columns if c.startswith("rule_")]
    rules, topics, languages, labels = [], [], [], []
    for alert in alerts.to_dict("records"):
        ids = [i for i in alert["example_ids"] if i in by_id.index]
        posts = by_id.loc[ids]
        hits = [c[len("rule_"):] for c in rule_cols
                if len(posts) and posts[c].fillna(False).astype(bool).mean() >= 0.5]
        rules.append(hits)
        seen = set()
        if "topic" in posts.columns:
            seen |= {str(int(t)) for t in posts["topic"].dropna()}
        if "topic_label" in posts.columns:
            seen |= {str(t) for t in posts["topic_label"].dropna()}
        topics.append(sorted(seen))
        segment = str(alert["segment"])
        languages.append([segment.split(":", 1)[1]] if segment.startswith("language:")
                         else sorted({str(x) for x in posts["language"].dropna()}))
        label = None
        if segment.startswith("topic:") and {"topic", "topic_label"} <= set(history.columns):
            key = segment.split(":", 1)[1]
            match = history.loc[history["topic"].astype("string") == key, "topic_label"]
            label = str(match.iloc[0]) if len(match) and pd.notna(match.iloc[0]) else None
        labels.append(label)
    return {"rules": rules, "topics": topics, "languages": languages, "topic_label": labels}


def _alert_json(alert: dict, incident: str) -> str:
    """The alert as stored for composing its message later (digests, quiet hours)."""
    keep = ("alert_key", "segment", "related", "start", "end", "signal", "severity", "terms",
            "example_ids", "why", "why_fr", "mentions", "topic_label")

    def plain(value):
        if isinstance(value, pd.Timestamp):
            return value.isoformat()
        if isinstance(value, np.ndarray):
            return value.tolist()
        if isinstance(value, np.generic):
            return value.item()
        return value

    body = {k: plain(alert.get(k)) for k in keep}
    body["related"] = list(body["related"] or [])
    body["terms"] = list(body["terms"] or [])
    body["example_ids"] = [str(i) for i in body["example_ids"] or []]
    return json.dumps({"incident": incident, **body}, ensure_ascii=False, sort_keys=True)
