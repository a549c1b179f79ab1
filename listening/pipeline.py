"""Enrichment pipeline: language, sentiment, topics and rule hits in one call.

``enrich`` runs the same per-chunk function, :func:`enrich_partition`, whether
the mentions are a pandas frame in memory or a Parquet dataset spread over a
Dask cluster: there is no second implementation to drift apart.

* ``engine="pandas"`` (default): the frame is processed in chunks of
  ``chunk_size`` rows with a progress bar. The whole frame and its enrichment
  must fit in memory — about 1.5 KB per mention, so a few million mentions on a
  laptop with 8 GB (see the README's "Scale" section for measured figures).
* ``engine="dask"``: ``dask.dataframe.read_parquet`` reads the dataset partition
  by partition, ``map_partitions(enrich_partition)`` enriches each on the
  workers, and ``to_parquet`` writes an enriched dataset that DuckDB and the
  notebooks read directly (``SELECT * FROM 'out/enriched/*.parquet'``). Only a
  few partitions are in memory at once, so the input may be larger than memory.
  The topic model is fitted once on a sample of at most ``TOPIC_SAMPLE`` texts
  (on the client) and shipped to the workers, so every partition is assigned
  with the same model.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from .errors import OptionError, check_option
from .schema import require_columns

__all__ = ["enrich", "enrich_partition", "default_rules", "ENGINES", "TOPIC_SAMPLE"]

ENGINES = ("pandas", "dask")

# Topic fitting on 200k distinct texts takes well under a minute on 2 cores and
# is as good as fitting on more: topics of a month of mentions are stable by then.
TOPIC_SAMPLE = 200_000
CHUNK_SIZE = 250_000
RULES_FOLDER = Path("data/rules")


def default_rules():
    """The rule library in ``data/rules`` (relative to the working directory or the repo)."""
    from .rules import load_rules

    for folder in (RULES_FOLDER, Path(__file__).resolve().parents[1] / RULES_FOLDER):
        if folder.is_dir():
            return load_rules(folder)
    return []


def _resolve_rules(rules):
    if rules is None:
        return default_rules()
    if isinstance(rules, (str, Path)):
        from .rules import load_rules

        return load_rules(rules)
    return list(rules)


def enrich_partition(part: pd.DataFrame, *, topic_model=None, rules: Sequence = (),
                     sentiment: str | None = "vader") -> pd.DataFrame:
    """Enrich one chunk of mentions; the unit of work of both engines.

    Needs ``text`` (and uses ``language``, ``platform``, ``author``, ``url``,
    ``country`` when rules filter on them). Adds ``language`` when absent or
    missing, ``sentiment`` and ``sentiment_label`` (when ``sentiment`` is a
    method name), ``topic``, ``topic_label`` and ``topic_weight`` (when a topic
    model is given) and one boolean ``rule_<name>`` column per rule.
    """
    require_columns(part, ["text"], stage="enrich")
    out = part
    if "language" not in out.columns or out["language"].isna().any():
        from .text import detect_language

        detected = detect_language(out["text"])
        if "language" in out.columns:
            detected = out["language"].astype("string").fillna(detected.astype("string"))
        out = out.assign(language=detected.astype("category"))
    if sentiment:
        from .sentiment import score_sentiment

        out = score_sentiment(out, method=sentiment)
    if topic_model is not None:
        out = topic_model.assign(out)
    if rules:
        from .rules import match_rules

        out = match_rules(out, rules)
    return out


def _fit_topic_model(texts: pd.DataFrame, topics) -> tuple[object | None, dict[str, str]]:
    """(model or None, {stage: why it was skipped}).

    With ``topics="fit"`` too few mentions is not an error: language, sentiment and
    rules are still worth having on a small store, so topics are skipped and the
    reason (``"12 mentions in the period; topics need at least 50 — widen the date
    range"``) is returned for the caller to show.
    """
    if topics is None or topics is False:
        return None, {}
    if topics != "fit":
        if isinstance(topics, (str, Path)):
            from .topics import load_topics

            return load_topics(topics), {}
        return topics, {}
    from .topics import MIN_MENTIONS, fit_topics

    sample = texts if len(texts) <= TOPIC_SAMPLE else texts.sample(TOPIC_SAMPLE, random_state=0)
    usable = int((sample["text"].astype("string").fillna("").str.strip() != "").sum())
    if usable < MIN_MENTIONS:
        return None, {"topics": f"{usable} mentions with text; topics need at least "
                                f"{MIN_MENTIONS} — add mentions or widen the date range"}
    return fit_topics(sample, n_topics="auto", seed=0), {}


def enrich(data, *, engine: str = "pandas", client=None, scheduler: str | None = None,
           output: str | Path | None = None, topics="fit", rules=None,
           sentiment: str | None = "vader", chunk_size: int = CHUNK_SIZE,
           progress: bool | None = None):
    """Add language, sentiment, topics and rule hits to mentions.

    Parameters
    ----------
    data : DataFrame, or path to a Parquet file, folder or glob
    engine : {"pandas", "dask"}
    client : dask.distributed.Client, optional
        With ``engine="dask"``: run on this cluster. Else ``scheduler`` (an
        address such as ``tcp://10.0.0.5:8786``) is connected to, else a
        ``LocalCluster`` with one worker process per core is started.
    output : path, optional
        Folder for the enriched Parquet dataset (required with Dask; optional with
        pandas, which also returns the frame).
    topics : "fit", a TopicModel, a path to a saved model, or None
        ``"fit"`` fits a model on (a sample of) the mentions first.
    rules : None, a folder, or a list of Rule
        ``None`` uses the library in ``data/rules`` when there is one.
    sentiment : "vader", "model" or None

    Returns
    -------
    DataFrame (pandas engine) or the output folder (Dask engine).
    ``out.attrs["listening"]`` records the rule versions, the models used and, under
    ``"skipped"``, any stage left out and why (topics on fewer than
    ``topics.MIN_MENTIONS`` mentions: the other stages still run).

    Examples
    --------
    >>> import listening as ls
    >>> frame, _ = ls.demo.generate(n_mentions=300, days=2, seed=0)
    >>> out = ls.enrich(frame, topics=None, rules=[ls.Rule.parse('scam OR fraude', name="scam")])
    >>> {"sentiment", "sentiment_label", "rule_scam"} <= set(out.columns)
    True
    """
    check_option("engine", engine, ENGINES)
    rule_list = _resolve_rules(rules)
    if engine == "dask":
        if output is None:
            raise OptionError("engine='dask' writes a Parquet dataset: pass output='folder'",
                              name="output", value=output)
        return _enrich_dask(data, client=client, scheduler=scheduler, output=Path(output),
                            topics=topics, rules=rule_list, sentiment=sentiment)
    frame = data if isinstance(data, pd.DataFrame) else pd.read_parquet(data)
    require_columns(frame, ["text"], stage="enrich")
    model, skipped = _fit_topic_model(frame, topics)
    from tqdm.auto import tqdm

    starts = range(0, max(len(frame), 1), chunk_size)
    parts = [enrich_partition(frame.iloc[lo:lo + chunk_size], topic_model=model,
                              rules=rule_list, sentiment=sentiment)
             for lo in tqdm(starts, desc="enrich", unit="chunk", disable=progress is False
                            or (progress is None and len(starts) < 2))]
    out = parts[0] if len(parts) == 1 else pd.concat(parts)
    for column in ("language", "sentiment_label"):
        if column in out.columns and not isinstance(out[column].dtype, pd.CategoricalDtype):
            out[column] = out[column].astype("category")
    # Provenance for the brief's footer and export sidecars (listening.provenance).
    out.attrs["listening"] = {
        "rules": {r.column[len("rule_"):]: r.version for r in rule_list},
        "models": {"sentiment": str(sentiment),
                   **({"topics": getattr(model, "version", "fitted in enrich")} if model else {})},
        "skipped": skipped}
    if output is not None:
        Path(output).mkdir(parents=True, exist_ok=True)
        out.to_parquet(Path(output) / "part-0.parquet", index=False)
    return out


def _for_parquet(part: pd.DataFrame, **kwargs) -> pd.DataFrame:
    """enrich_partition, with open-ended categoricals as strings.

    Partitions detect different sets of languages; Parquet datasets need one
    schema, so ``language`` is written as a string (DuckDB and pandas read it back
    the same way; ``schema.coerce`` turns it into a category again).
    """
    out = enrich_partition(part, **kwargs)
    if "language" in out.columns:
        out = out.assign(language=out["language"].astype("string"))
    return out


def _enrich_dask(data, *, client, scheduler, output: Path, topics, rules, sentiment) -> Path:
    try:
        import dask.dataframe as dd
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - dask is a dependency, but may be trimmed
        raise ImportError("engine='dask' needs dask[dataframe] and distributed: "
                          "pip install 'dask[dataframe]' distributed") from exc
    own_client = client is None
    if own_client:
        client = (Client(scheduler) if scheduler else
                  Client(LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                      dashboard_address=None)))
    try:
        ddf = (dd.from_pandas(data, npartitions=max(1, len(data) // CHUNK_SIZE + 1))
               if isinstance(data, pd.DataFrame) else dd.read_parquet(str(data)))
        model = None
        if topics is not None and topics is not False:
            if topics == "fit":
                n = len(ddf)
                frac = min(1.0, TOPIC_SAMPLE / max(n, 1))
                sample = ddf[["mention_id", "text"]].sample(frac=frac, random_state=0).compute()
                model, _ = _fit_topic_model(sample, "fit")
            else:
                model, _ = _fit_topic_model(None, topics)
        kwargs = {"topic_model": model, "rules": rules, "sentiment": sentiment}
        meta = _for_parquet(ddf.head(20, compute=True), **kwargs).iloc[:0]
        enriched = ddf.map_partitions(_for_parquet, meta=meta, **kwargs)
        output.mkdir(parents=True, exist_ok=True)
        enriched.to_parquet(str(output), write_index=False, overwrite=True)
    finally:
        if own_client:
            cluster = client.cluster
            client.close()
            if cluster is not None:
                cluster.close()
    return output
