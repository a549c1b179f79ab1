"""The ``listening`` command: the same public functions a notebook cell calls.

Commands: ``ingest``, ``enrich``, ``alerts``, ``brief``, ``export``, ``purge``
and ``demo`` (the main job). Every command has ``--help``. Errors from the
package (:class:`~listening.errors.ListeningError`) print one line and exit 1,
never a traceback; ``alerts`` exits 2 when an alert reaches the paging severity
so a scheduled job can wake someone up.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import ListeningError

# Where `listening demo` writes its outputs, relative to the working directory.
DEFAULT_OUT = Path("out")
DEMO_FOLDER = Path("data/demo")
DEMO_MENTIONS = 20_000
DEMO_DAYS = 28


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


def _cmd_ingest(args) -> int:
    from .ingest import load

    frame, report = load(args.paths, platform=args.platform, tz=args.tz, mapping=args.mapping)
    with _store(args) as store:
        added = store.add(frame, report)
    print(report)
    print(f"store: {added}")  # the report's loaded rows the store already held are duplicates
    if len(report.rejects) and args.rejects:
        report.rejects.to_csv(args.rejects, index=False)
        print(f"rejects written to {args.rejects}")
    return 0 if added.loaded > 0 else 1


def _cmd_enrich(args) -> int:
    from .pipeline import enrich

    if args.engine == "dask":
        if not args.input or not args.output:
            raise ListeningError("--engine dask needs --input (a Parquet file, folder or glob) "
                                 "and --output (a folder for the enriched Parquet dataset)")
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
        enriched = enrich(frame, rules=args.rules)
        store.add_enrichment(enriched)
    print(f"enriched {len(enriched):,} mentions in the store")
    return 0


def _cmd_alerts(args) -> int:
    from .threats import DEFAULT_PAGE_SEVERITY, detect_threats, format_alerts

    args.read_only = True
    with _store(args) as store:
        frame = store.mentions()
    threshold = DEFAULT_PAGE_SEVERITY if args.threshold is None else args.threshold
    alerts = detect_threats(frame, freq=args.freq, since=args.since)
    print(format_alerts(alerts) if len(alerts) else f"no alerts since {args.since}")
    if args.out:
        from .exporting import export

        export(alerts, args.out)
    return 2 if len(alerts) and (alerts["severity"] >= threshold).any() else 0


def _cmd_brief(args) -> int:
    from .forecasting import forecast
    from .report import brief
    from .threats import detect_threats

    args.read_only = True
    with _store(args) as store:
        frame = store.mentions()
    alerts = detect_threats(frame)
    path = brief(frame, alerts=alerts, forecast=forecast(frame, horizon="7D"),
                 period=args.period, path=args.out, lang=args.lang)
    print(f"brief written to {path}")
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
    from .exporting import export
    from .forecasting import forecast
    from .ingest import load
    from .pipeline import enrich
    from .report import brief
    from .threats import detect_threats

    out = Path(args.out)
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
    print("6/6 writing the brief and exports ...")
    written = [brief(frame, alerts=alerts, forecast=fc, path=out / "brief.html"),
               brief(frame, alerts=alerts, forecast=fc, path=out / "brief.md"),
               export(alerts, out / "alerts.csv"),
               export(frame, out / "findings.xlsx", pseudonymise=True, secret=secret)]
    for path in written:
        print(f"    wrote {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="listening",
        description="Social listening workbench: ingest mention exports, enrich them, "
                    "flag emerging threats and write manager briefs.")
    parser.add_argument("--store", default=None,
                        help="DuckDB store file (default: $LISTENING_STORE or data/listening.duckdb)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("ingest", help="load export files into the store and print the load report")
    p.add_argument("paths", nargs="+", help="files, folders or globs (CSV, XLSX, JSON, JSONL, Parquet)")
    p.add_argument("--platform", help="platform for files that do not say (x, facebook, news, ...)")
    p.add_argument("--tz", default="UTC", help="time zone of naive timestamps (default UTC)")
    p.add_argument("--mapping", help="a YAML column mapping for a format listening does not know")
    p.add_argument("--rejects", help="also write the reject report to this CSV file")
    p.set_defaults(func=_cmd_ingest)

    p = sub.add_parser("enrich", help="add language, sentiment, topics and rule hits")
    p.add_argument("--engine", choices=["pandas", "dask"], default="pandas")
    p.add_argument("--scheduler", help="address of a running Dask scheduler (default: a LocalCluster)")
    p.add_argument("--input", help="Parquet file/folder/glob to enrich instead of the store")
    p.add_argument("--output", help="folder for the enriched Parquet dataset")
    p.add_argument("--rules", default=None, help="rule library folder (default data/rules)")
    p.set_defaults(func=_cmd_enrich)

    p = sub.add_parser("alerts", help="print emerging-threat alerts; exit 2 if one reaches --threshold")
    p.add_argument("--since", default="24h", help="window to report, e.g. 24h, 7D (default 24h)")
    p.add_argument("--freq", default="1h", help="time bin (default 1h)")
    p.add_argument("--threshold", type=int, default=None, help="paging severity 1-10")
    p.add_argument("--out", help="also write the alerts to this CSV/XLSX file")
    p.set_defaults(func=_cmd_alerts)

    p = sub.add_parser("brief", help="write the manager brief from the store")
    p.add_argument("--out", default=str(DEFAULT_OUT / "brief.html"), help=".html, .md or .pdf")
    p.add_argument("--period", default="7D")
    p.add_argument("--lang", choices=["en", "fr"], default="en")
    p.set_defaults(func=_cmd_brief)

    p = sub.add_parser("export", help="export mentions to CSV, XLSX or Parquet")
    p.add_argument("path", help="output file: .csv, .xlsx or .parquet")
    p.add_argument("--since"), p.add_argument("--until")
    p.add_argument("--query", help="a monitoring rule selecting the mentions")
    p.add_argument("--pseudonymise", action="store_true", help="replace handles with keyed tokens")
    p.set_defaults(func=_cmd_export)

    p = sub.add_parser("purge", help="erase mentions older than a retention period, with "
                                     "everything about them, from the store and its backups")
    p.add_argument("--older-than", required=True, help="e.g. 365d")
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
    p.add_argument("--n", type=int, default=DEMO_MENTIONS, help="number of mentions")
    p.add_argument("--days", type=int, default=DEMO_DAYS)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data", default=str(DEMO_FOLDER), help="where the demo export files go")
    p.add_argument("--out", default=str(DEFAULT_OUT), help="where the brief and exports go")
    p.add_argument("--rules", default=None, help="rule library folder (default data/rules)")
    p.set_defaults(func=_cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ListeningError as exc:
        print(f"listening {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
