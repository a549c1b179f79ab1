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
        store.add(frame, report)
    print(report)
    if len(report.rejects) and args.rejects:
        report.rejects.to_csv(args.rejects, index=False)
        print(f"rejects written to {args.rejects}")
    if len(report.notes) and args.notes:
        report.notes.to_csv(args.notes, index=False)
        print(f"notes written to {args.notes}")
    return 0 if report.loaded > 0 else 1


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
    return 0


def _cmd_purge(args) -> int:
    with _store(args) as store:
        removed = store.purge(older_than=args.older_than)
    print(f"purged {removed:,} mentions older than {args.older_than}")
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

    p = sub.add_parser("purge", help="delete mentions older than a retention period")
    p.add_argument("--older-than", required=True, help="e.g. 365d")
    p.set_defaults(func=_cmd_purge)

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
