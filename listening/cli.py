"""The ``listening`` command: the same public functions a notebook cell calls.

Commands: ``ingest``, ``enrich``, ``alerts``, ``brief``, ``export``, ``purge``
and ``demo`` (the main job). Every command and option has ``--help``.

A user's mistake never shows a traceback: a bad option or argument (argparse's
own checks, a file extension, a window such as ``--since``/``--period``) prints
one line saying what is accepted and exits 2; an error from the package
(:class:`~listening.errors.ListeningError`, a file that cannot be read) prints one
line and exits 1. ``alerts`` exits 2 when an alert reaches the paging severity so
a scheduled job can wake someone up, and 1 when the store has no mention in the
window (stale data).

Windows (``--since``, ``--period``) are read with
:func:`listening.windows.parse_window`: durations (``24h``, ``7D``), dates and
words (``yesterday``, ``last-week``, ``hier``...). ``alerts --since`` counts back
from now (a monitoring question); ``brief --period`` from the newest mention.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import ListeningError, OptionError, RuleSyntaxError, check_option

# Where `listening demo` writes its outputs, relative to the working directory.
DEFAULT_OUT = Path("out")
DEMO_FOLDER = Path("data/demo")
DEMO_MENTIONS = 20_000
DEMO_DAYS = 28
# The demo writes the brief in each language as HTML and Markdown, and as PDF when
# headless Chromium is installed.
DEMO_BRIEF_FORMATS = (".html", ".md")


class _Parser(argparse.ArgumentParser):
    """argparse, with every usage error on one line (and exit status 2)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: {message} (see `{self.prog} --help`)\n")


def _one_line(exc: BaseException) -> str:
    """The message of ``exc`` on one line (a rule error's caret drawing becomes a column)."""
    if isinstance(exc, RuleSyntaxError) and exc.query:
        column = "" if "column" in exc.message else f" (column {exc.column} of the query)"
        return " ".join(f"{exc.message}{column}".split())
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"{exc.strerror or exc}: {exc.filename}"
    return " ".join(str(exc).split())


def _output_file(kind: str):
    """An argparse type: a path whose extension ``kind`` ("brief" or "table") can write.

    The accepted extensions come from the writers themselves (imported only when
    the option is given, so ``--help`` stays fast).
    """
    def check(value: str) -> str:
        if kind == "brief":
            from .report.render import FORMATS
        else:
            from .exporting import FORMATS
        try:
            check_option("extension", Path(value).suffix.lower(), FORMATS)
        except OptionError:
            raise argparse.ArgumentTypeError(
                f"cannot write {value!r}: use a file ending in {', '.join(FORMATS)}") from None
        return value
    return check


def _window(value: str) -> str:
    """An argparse type: a window listening.windows.parse_window accepts (checked early)."""
    import pandas as pd

    from .windows import parse_window

    try:  # any anchor will do: only the form is checked here
        parse_window(value, anchor=pd.Timestamp("2000-01-03", tz="UTC"), name="window")
    except OptionError as exc:
        message = " ".join(str(exc).split()).replace(f"window={value!r}", repr(value), 1)
        raise argparse.ArgumentTypeError(message) from None
    return value


def _int_in(lo: int, hi: int | None = None):
    """An argparse type: a whole number from ``lo`` (to ``hi``)."""
    def check(value: str) -> int:
        span = f"from {lo} to {hi}" if hi is not None else f"of at least {lo}"
        try:
            number = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{value!r} is not a whole number {span}") from None
        if number < lo or (hi is not None and number > hi):
            raise argparse.ArgumentTypeError(f"{value!r} is not a whole number {span}")
        return number
    return check


def _store(args):
    from .store import open_store

    return open_store(args.store, read_only=getattr(args, "read_only", False))


# Answers that confirm an irreversible step, in English and French.
_YES = ("y", "yes", "o", "oui")


def _confirm(args, question: str) -> bool:
    """Ask ``question`` on the terminal unless ``--yes``; refuse when nobody can answer."""
    if getattr(args, "yes", False):
        return True
    if not sys.stdin.isatty():
        raise ListeningError(f"{args.command} asks for confirmation before changing the "
                             f"store; add --yes to run it without asking (e.g. from a "
                             f"scheduled job)")
    return input(f"{question} [y/N] ").strip().lower() in _YES


def _tz_names(pairs: list[str] | None) -> dict | None:
    """``["IST=Asia/Kolkata", ...]`` from ``--tz-name`` -> ``{"IST": "Asia/Kolkata"}``."""
    if not pairs:
        return None
    names = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip() or not value.strip():
            from .errors import OptionError

            raise OptionError(f"--tz-name {pair!r} is not accepted; write ABBREVIATION=ZONE, "
                              "e.g. --tz-name IST=Asia/Kolkata", name="tz_names", value=pair)
        names[key.strip()] = value.strip()
    return names


def _cmd_ingest(args) -> int:
    from .ingest import load

    frame, report = load(args.paths, platform=args.platform, tz=args.tz,
                         date_order=args.date_order, tz_names=_tz_names(args.tz_name),
                         mapping=args.mapping)
    with _store(args) as store:
        added = store.add(frame, report)
    print(report)
    print(f"store: {added}")  # the report's loaded rows the store already held are duplicates
    if len(report.rejects) and args.rejects:
        report.rejects.to_csv(args.rejects, index=False)
        print(f"rejects written to {args.rejects}")
    if len(report.notes) and args.notes:
        report.notes.to_csv(args.notes, index=False)
        print(f"notes written to {args.notes}")
    # A file whose rows are all already stored is not a failure; one with none readable is.
    return 0 if report.loaded > 0 else 1


def _cmd_enrich(args) -> int:
    from .pipeline import enrich

    if args.engine == "dask":
        if not args.input or not args.output:
            raise OptionError("--engine dask needs --input (a Parquet file, folder or glob) "
                              "and --output (a folder for the enriched Parquet dataset)",
                              name="--engine", value="dask")
        out = enrich(args.input, engine="dask", scheduler=args.scheduler, output=args.output,
                     rules=args.rules)
        print(f"enriched Parquet dataset written to {out}")
        return 0
    if args.input:
        out = enrich(args.input, engine="pandas", output=args.output, rules=args.rules)
        print(f"enriched {len(out):,} mentions" + (f" -> {args.output}" if args.output else ""))
        return 0
    with _store(args) as store:
        frame = store.mentions()
        if len(frame) == 0:
            raise ListeningError(f"the store {store.path} holds no mentions: load some first "
                                 "with `listening ingest FILE`")
        enriched = enrich(frame, rules=args.rules)
        store.add_enrichment(enriched)
    done = [c for c, label in (("language", "language"), ("sentiment", "sentiment"),
                               ("topic", "topics")) if c in enriched.columns]
    rules = sum(c.startswith("rule_") for c in enriched.columns)
    print(f"enriched {len(enriched):,} mentions in the store: {', '.join(done)}"
          + (f", {rules} rule(s)" if rules else ""))
    for stage, why in enriched.attrs.get("listening", {}).get("skipped", {}).items():
        print(f"{stage} skipped: {why}")
    return 0


def _cmd_alerts(args) -> int:
    from .threats import DEFAULT_PAGE_SEVERITY, detect_threats, format_alerts

    args.read_only = True
    with _store(args) as store:
        frame = store.mentions()
    start = _monitoring_start(frame, args.since)
    if start is None:
        return 1
    threshold = DEFAULT_PAGE_SEVERITY if args.threshold is None else args.threshold
    alerts = detect_threats(frame, freq=args.freq, since=start)
    print(format_alerts(alerts) if len(alerts) else f"no alerts since {args.since}")
    if args.out:
        from .exporting import export

        export(alerts, args.out)
    return 2 if len(alerts) and (alerts["severity"] >= threshold).any() else 0


def _monitoring_start(frame, since: str):
    """The start of ``--since`` counted back from now, or None (said why) when the store's
    newest mention is older than that: then the command offers a ``--since`` that covers
    the same span of the newest data."""
    import pandas as pd

    from .windows import DEFAULT_TZ, latest, parse_window

    now = pd.Timestamp.now(tz="UTC")  # a monitoring window: "the last 24 hours" up to now
    window = parse_window(since, anchor=now, tz=DEFAULT_TZ, name="--since")
    newest = latest(frame["timestamp"]) if len(frame) else None
    if newest is None:
        print("listening alerts: the store holds no mentions: load some with "
              "`listening ingest FILE`", file=sys.stderr)
        return None
    if window.start is None or newest >= window.start:
        return window.start
    span = (window.end or now) - window.start
    offer = (newest - span).tz_convert(DEFAULT_TZ).strftime("%Y-%m-%d %H:%M")
    age = (now - newest).days
    print(f"listening alerts: no mentions since {_local(window.start)} (--since {since} counts "
          f"back from now); the newest mention in the store is from {_local(newest)}, {age} "
          f"day(s) ago. For the same span of the newest data run: listening alerts --since "
          f"\"{offer}\"", file=sys.stderr)
    return None


def _local(ts) -> str:
    from .windows import DEFAULT_TZ

    return ts.tz_convert(DEFAULT_TZ).strftime("%Y-%m-%d %H:%M %Z")


def _library_rules(folder, frame) -> list:
    """The library's rules behind the frame's ``rule_<name>`` columns, found as ``enrich``
    finds them (``--rules``, else ``data/rules``), for their titles and versions in the
    brief."""
    from .pipeline import _resolve_rules

    return [r for r in _resolve_rules(folder) if r.column in frame.columns]


def _cmd_brief(args) -> int:
    from .forecasting import forecast
    from .report import brief
    from .threats import detect_threats
    from .windows import DEFAULT_TZ, latest, parse_window

    args.read_only = not args.pseudonymise  # the pseudonymisation secret may be created
    with _store(args) as store:
        frame = store.mentions()
        secret = store.secret() if args.pseudonymise else None
    if len(frame) == 0:
        raise ListeningError("the store holds no mentions: load some with "
                             "`listening ingest FILE` before writing a brief")
    # --period counts back from the newest mention; a calendar period ("last-week")
    # becomes its length and its end.
    window = parse_window(args.period, anchor=latest(frame["timestamp"]), tz=DEFAULT_TZ,
                          name="--period")
    alerts = detect_threats(frame)
    path = brief(frame, alerts=alerts, forecast=forecast(frame, horizon="7D"),
                 period=window.end - window.start, end=window.end, path=args.out,
                 lang=args.lang, rules=_library_rules(args.rules, frame), paper=args.paper,
                 pseudonymise=args.pseudonymise, secret=secret)
    print(f"brief written to {path}" + (" (handles pseudonymised)" if args.pseudonymise else ""))
    return 0


def _cmd_export(args) -> int:
    from .exporting import export

    args.read_only = not args.pseudonymise  # the pseudonymisation secret may be created
    with _store(args) as store:
        frame = store.mentions(since=args.since, until=args.until, query=args.query)
        path = export(frame, args.path, pseudonymise=args.pseudonymise,
                      secret=store.secret() if args.pseudonymise else None)
    print(f"{len(frame):,} mentions written to {path}")
    if args.pseudonymise:
        import json

        sidecar = Path(f"{path}.provenance.json")
        done = json.loads(sidecar.read_text(encoding="utf-8")).get("replaced", {})
        print(f"pseudonymised: {done.get('authors', 0):,} author values, "
              f"{done.get('mentions', 0):,} handles in text, {done.get('urls', 0):,} in web "
              f"addresses, {done.get('ids', 0):,} mention ids keyed (details in {sidecar})")
    return 0


def _cmd_purge(args) -> int:
    args.read_only = args.dry_run
    with _store(args) as store:
        plan = store.purge(older_than=args.older_than, dry_run=True)
        print(plan)
        if args.dry_run:
            return 0
        if not any(plan.removed.values()) and not plan.deleted_files:
            print(f"nothing older than {args.older_than}: nothing to erase")
            return 0
        if not _confirm(args, "Erase these for good (store and backups)?"):
            print("nothing purged")
            return 1
        result = store.purge(older_than=args.older_than)
    print(f"purged {result.mentions:,} mentions older than {args.older_than}: {result}")
    return 0


def _cmd_doctor(args) -> int:
    from .store import check_store, default_store_path, restore_backup

    path = args.store or default_store_path()
    if not args.restore:
        health = check_store(path)
        print(health)
        return 0 if health.ok else 1
    plan = restore_backup(path, generation=args.generation, dry_run=True)
    print(plan)
    if args.dry_run:
        return 0
    if not _confirm(args, "Restore this backup over the store?"):
        print("nothing restored")
        return 1
    print(restore_backup(path, generation=args.generation))
    return 0


def _cmd_demo(args) -> int:
    from .demo import generate, write_demo_files
    from .errors import RendererMissingError
    from .exporting import export
    from .forecasting import forecast
    from .ingest import load
    from .pipeline import enrich
    from .report import brief, find_chromium
    from .threats import detect_threats

    out = Path(args.out)
    try:
        find_chromium()
        pdf = True
    except RendererMissingError:
        pdf = False
    print(f"1/6 generating {args.n:,} demo mentions over {args.days} days ...")
    generated, truth = generate(n_mentions=args.n, days=args.days, seed=args.seed)
    paths = write_demo_files(generated, args.data)
    print(f"2/6 loading {', '.join(p.name for p in paths)} (real export formats) ...")
    frame, report = load(paths, tz="America/Toronto")
    print(report)
    print("3/6 enriching: language, sentiment, topics, rules ...")
    frame = enrich(frame, rules=args.rules)
    with _store(args) as store:
        added = store.add(frame, report)
        store.add_enrichment(frame)
        secret = store.secret()  # for the pseudonymised findings export below
    print(f"    store: {added}")
    print("4/6 detecting emerging threats ...")
    alerts = detect_threats(frame)
    print(f"    {len(alerts)} alert(s); incidents injected: {', '.join(truth['incident'])}")
    print("5/6 forecasting the coming week ...")
    fc = forecast(frame, horizon="7D")
    print("6/6 writing the briefs (English and French) and exports ...")
    written = []
    for lang in ("en", "fr"):
        stem = "brief" if lang == "en" else f"brief_{lang}"
        for suffix in DEMO_BRIEF_FORMATS:
            written.append(brief(frame, alerts=alerts, forecast=fc, path=out / f"{stem}{suffix}",
                                 lang=lang))
        if pdf:
            written.append(brief(frame, alerts=alerts, forecast=fc, path=out / f"{stem}.pdf",
                                 lang=lang))
    written += [export(alerts, out / "alerts.csv"),
                export(frame, out / "findings.xlsx", pseudonymise=True, secret=secret)]
    for path in written:
        print(f"    wrote {path}")
    if not pdf:
        print("    (no PDF: headless Chromium was not found; `make system-deps` installs it)")
    return 0


def _duration(value: str):
    """An argparse type: a positive duration such as 15m, 1h (for ``watch --every``)."""
    from .windows import parse_duration

    text = value[:-1] + "min" if value.endswith("m") and value[:-1].isdigit() else value
    try:
        delta = parse_duration(text, name="--every")
    except OptionError as exc:
        raise argparse.ArgumentTypeError(" ".join(str(exc).split())) from None
    if delta is None:
        raise argparse.ArgumentTypeError(f"{value!r} is not a duration: use e.g. 15m, 1h, 1D")
    return delta


def _refit(value: str):
    """An argparse type: ``now`` or a duration (``--refit-topics``)."""
    return value if value == "now" else _duration(value)


def _cmd_watch(args) -> int:
    import os
    import signal

    from .watch import Watcher
    from .watch.channels.email import SMTP_ENV

    store = args.store
    watcher = Watcher(args.paths, store=store, routes=args.routes, freq=args.freq, tz=args.tz,
                      settle=args.settle, brief=args.brief, topics=args.topics,
                      refit_topics=args.refit_topics, rules=args.rules)
    mailed = [r.name for r in watcher.routes.values() if r.email]
    if mailed and not os.environ.get(SMTP_ENV):
        raise ListeningError(f"route(s) {', '.join(mailed)} send e-mail but {SMTP_ENV} is not "
                             f"set: set it to the mail server (e.g. smtp://127.0.0.1:8025 or "
                             f"smtps://user:password@host:465)")

    def finish(signum, frame):  # SIGTERM/SIGINT: finish the step in progress, then exit
        print(f"listening watch: signal {signum}: finishing the current step", file=sys.stderr)
        watcher.stop.set()

    signal.signal(signal.SIGTERM, finish)
    signal.signal(signal.SIGINT, finish)
    every = None if args.once else args.every
    if every is not None:
        print(f"watching {', '.join(args.paths)} every {every}; stop with SIGTERM or Ctrl-C")
    return watcher.run(every)


def _cmd_outbox(args) -> int:
    from .watch import outbox, state

    args.read_only = not args.retry
    with _store(args) as store:
        if args.retry:
            print(f"{state.retry_failed(store)} failed message(s) queued again; the next "
                  f"`listening watch` pass sends them")
        statuses = state.OUTBOX_STATUSES if args.all else ("pending", "failed")
        frame = state.outbox(store, statuses)
        held = state.held(store)
    print(outbox.describe(frame, held))
    return 1 if (frame["status"] == "failed").any() else 0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="listening",
        description="Social listening workbench: ingest mention exports, enrich them, "
                    "flag emerging threats and write manager briefs.")
    parser.add_argument("--store", default=None,
                        help="DuckDB store file (default: $LISTENING_STORE or data/listening.duckdb)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                parser_class=_Parser)

    p = sub.add_parser("ingest", help="load export files into the store and print the load report")
    p.add_argument("paths", nargs="+", help="files, folders or globs (CSV, XLSX, JSON, JSONL, Parquet)")
    p.add_argument("--platform", help="platform for files that do not say (x, facebook, news, ...)")
    p.add_argument("--tz", default="UTC", help="time zone of naive timestamps (default UTC)")
    p.add_argument("--date-order", choices=["dmy", "mdy"], default=None,
                   help="order of day and month in dates like 03/04/2026 (default: inferred "
                        "per column; a column that never tells is rejected)")
    p.add_argument("--tz-name", action="append", metavar="ABBR=ZONE",
                   help="what a time-zone abbreviation after a time means, e.g. "
                        "IST=Asia/Kolkata (repeatable)")
    p.add_argument("--mapping", help="a YAML column mapping for a format listening does not know")
    p.add_argument("--rejects", help="also write the reject report to this CSV file")
    p.add_argument("--notes", help="also write the values changed or replaced (report.notes) "
                                   "to this CSV file")
    p.set_defaults(func=_cmd_ingest)

    p = sub.add_parser("enrich", help="add language, sentiment, topics and rule hits")
    p.add_argument("--engine", choices=["pandas", "dask"], default="pandas",
                   help="pandas (in memory, default) or dask (a Parquet dataset, by partition)")
    p.add_argument("--scheduler", help="address of a running Dask scheduler (default: a LocalCluster)")
    p.add_argument("--input", help="Parquet file/folder/glob to enrich instead of the store")
    p.add_argument("--output", help="folder for the enriched Parquet dataset")
    p.add_argument("--rules", default=None, help="rule library folder (default data/rules)")
    p.set_defaults(func=_cmd_enrich)

    p = sub.add_parser("alerts", help="print emerging-threat alerts; exit 2 if one reaches --threshold")
    p.add_argument("--since", default="24h", type=_window,
                   help="window to report, counted back from now: 24h, 7D, yesterday, "
                        "a date (default 24h)")
    p.add_argument("--freq", default="1h", help="time bin (default 1h)")
    p.add_argument("--threshold", type=_int_in(1, 10), default=None,
                   help="paging severity 1-10: exit 2 when an alert reaches it")
    p.add_argument("--out", type=_output_file("table"),
                   help="also write the alerts to this .csv, .xlsx or .parquet file")
    p.set_defaults(func=_cmd_alerts)

    p = sub.add_parser("brief", help="write the manager brief from the store")
    p.add_argument("--out", default=str(DEFAULT_OUT / "brief.html"), type=_output_file("brief"),
                   help="the brief file: .html, .md or .pdf (default out/brief.html)")
    p.add_argument("--period", default="7D", type=_window,
                   help="period reported, ending at the newest mention: 7D, 14D, last-week, "
                        "yesterday, a date (default 7D)")
    p.add_argument("--lang", choices=["en", "fr"], default="en",
                   help="language of the brief (default en)")
    p.add_argument("--paper", choices=["letter", "a4"], default="letter",
                   help="page size of the PDF (default letter)")
    p.add_argument("--rules", default=None,
                   help="rule library folder, for the rules' titles and versions "
                        "(default data/rules)")
    p.add_argument("--pseudonymise", action="store_true",
                   help="replace the handles the brief shows with keyed tokens (institutional "
                        "accounts stay readable), for a brief shared beyond the unit")
    p.set_defaults(func=_cmd_brief)

    p = sub.add_parser("export", help="export mentions to CSV, XLSX or Parquet")
    p.add_argument("path", type=_output_file("table"), help="output file: .csv, .xlsx or .parquet")
    p.add_argument("--since", type=_window,
                   help="only mentions since then, counted back from now: 7D, yesterday, a date")
    p.add_argument("--until", type=_window, help="only mentions before this date or time")
    p.add_argument("--query", help="a monitoring rule selecting the mentions")
    p.add_argument("--pseudonymise", action="store_true", help="replace handles with keyed tokens")
    p.set_defaults(func=_cmd_export)

    p = sub.add_parser("purge", help="erase mentions older than a retention period, with "
                                     "everything about them, from the store and its backups")
    p.add_argument("--older-than", required=True, help="retention period, e.g. 365D")
    p.add_argument("--dry-run", action="store_true", help="print what would go; change nothing")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.set_defaults(func=_cmd_purge)

    p = sub.add_parser("doctor", help="check the store and its backups (exit 1 if the store is "
                                      "damaged); --restore puts a backup back")
    p.add_argument("--restore", action="store_true",
                   help="replace the store with its newest whole backup (says what it loses)")
    p.add_argument("--generation", type=int, default=None,
                   help="with --restore: the backup generation, 1 = newest")
    p.add_argument("--dry-run", action="store_true",
                   help="with --restore: say what it would lose; change nothing")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.set_defaults(func=_cmd_doctor)

    p = sub.add_parser("demo", help="the main job on generated demo data: ingest, enrich, "
                                    "alerts, forecast, brief and exports")
    p.add_argument("--n", type=_int_in(1), default=DEMO_MENTIONS,
                   help=f"number of mentions (default {DEMO_MENTIONS:,})")
    p.add_argument("--days", type=_int_in(1), default=DEMO_DAYS,
                   help=f"length of the demo period in days (default {DEMO_DAYS})")
    p.add_argument("--seed", type=int, default=0,
                   help="random seed: the same seed gives the same data (default 0)")
    p.add_argument("--data", default=str(DEMO_FOLDER), help="where the demo export files go")
    p.add_argument("--out", default=str(DEFAULT_OUT), help="where the brief and exports go")
    p.add_argument("--rules", default=None, help="rule library folder (default data/rules)")
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("watch", help="watch export folders: ingest new files, detect threats, "
                                     "send new alerts to the routes (e-mail, webhooks)")
    p.add_argument("paths", nargs="+", help="folders, files or globs where exports arrive")
    p.add_argument("--every", type=_duration, default="15m",
                   help="time between passes: 15m, 1h ... (default 15m)")
    p.add_argument("--once", action="store_true",
                   help="one pass, then exit (for cron or a systemd timer)")
    p.add_argument("--routes", default=None, help="route folder (default data/routes)")
    p.add_argument("--tz", default="America/Toronto",
                   help="time zone of naive timestamps in the exports (default "
                        "America/Toronto, the zone of the alerts' sentences)")
    p.add_argument("--freq", default="1h", help="detector time bin (default 1h)")
    p.add_argument("--settle", type=float, default=5.0,
                   help="seconds a file must stay unchanged before it is read (default 5)")
    p.add_argument("--brief", default=str(DEFAULT_OUT / "brief.html"),
                   help="link or path of the current brief, put in every message (default "
                        "out/brief.html, when it exists)")
    p.add_argument("--topics", default=None, help="saved topic model assigning topics to new "
                                                  "mentions (default: no topics)")
    p.add_argument("--refit-topics", default=None, type=_refit,
                   help="with --topics: refit the model when it is older than this (7D) or "
                        "now; matching topics keep their ids")
    p.add_argument("--rules", default=None, help="rule library folder (default data/rules)")
    p.set_defaults(func=_cmd_watch)

    p = sub.add_parser("outbox", help="show notifications pending or failed (exit 1 if one "
                                      "failed)")
    p.add_argument("--all", action="store_true", help="also show the messages sent")
    p.add_argument("--retry", action="store_true",
                   help="queue the failed messages again (after fixing the server or route)")
    p.set_defaults(func=_cmd_outbox)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (see the module docstring)."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:       # --help (0) or a usage error (2, already printed)
        if exc.code in (0, None):
            raise
        return int(exc.code)
    try:
        return args.func(args)
    except (ListeningError, OSError, ImportError) as exc:
        # the package's errors, files that cannot be read or written, a missing extra
        print(f"listening {args.command}: {_one_line(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
