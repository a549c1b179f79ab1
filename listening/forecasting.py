"""What comes next: volume (and negative share) forecasts with prediction intervals.

``forecast(frame, horizon="7D")`` bins mentions (local days by default), fits
statsmodels' exponential smoothing state-space model (``ETSModel``) per segment and
metric, and returns a tidy table with 80% and 95% prediction intervals.

Model choice (recorded per series in ``result.attrs["models"]``):

* at least two full seasons plus one bin of history: **Holt-Winters**, ETS(A,Ad,A):
  additive errors, damped additive trend, additive seasonality of period 7 for
  daily bins, 24 for hourly bins (168, a week of hours, once eight weeks of
  history exist), ``bins per day`` for other sub-daily bins;
* less than that but at least :data:`MIN_SES_BINS` bins: **simple exponential
  smoothing**, ETS(A,N,N) - no season can be learnt from under two seasons;
* fewer bins: the **mean of the history** with a normal interval of its spread
  (at least Poisson), flagged as a rough guide.

Spikes (past incidents) are clipped to ``median + 5 MAD`` of their season phase
before fitting, and the number clipped is recorded. Intervals come from the fitted model's analytical prediction intervals
(``get_prediction().summary_frame``); counts are clipped at 0 and shares to
[0, 1], keeping ``lo95 <= lo80 <= forecast <= hi80 <= hi95``. A last bin that
the data cover for less than :data:`PARTIAL_BIN_SHARE` of its length (today, at
noon) is left out of the fit, since its low count is not a drop.

Known events (``calendar=``) are shown in the ``events`` column of the bins they
fall in; they do not change the numbers - the models have no regressors and
there is no history of the effect of a press conference to learn from.
``backtest_forecast`` measures the same models against a seasonal-naive baseline.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from .schema import require_columns
from .sentiment.labels import sentiment_labels
from .windows import DEFAULT_TZ, make_grid

__all__ = ["FORECAST_COLUMNS", "backtest_forecast", "forecast"]

FORECAST_COLUMNS = ["segment", "timestamp", "metric", "forecast", "lo80", "hi80", "lo95", "hi95",
                    "events"]
# Fewer bins than this and even simple exponential smoothing is guesswork.
MIN_SES_BINS = 6
# A last bin covered for less than this share of its length is left out of the fit.
PARTIAL_BIN_SHARE = 0.9
# Hourly bins use a weekly season (168) once this many weeks of history exist.
WEEKLY_HOURS_WEEKS = 8
# Upper bounds of the smoothing weights: left free, maximum likelihood chases the bursts
# of hourly social traffic (alpha ~0.5) and the forecast follows the last noisy hours.
# Measured on demo streams (benchmarks/forecast_eval.py): 0.3 cut the hourly error by a fifth.
SMOOTHING_BOUNDS = {"smoothing_level": (1e-4, 0.3), "smoothing_seasonal": (1e-4, 0.3)}
# Negative share is forecast only from bins with at least this many mentions.
MIN_MENTIONS_FOR_SHARE = 5


def _season(freq: pd.Timedelta, n: int) -> int:
    if freq == pd.Timedelta("1D"):
        return 7
    if freq == pd.Timedelta("1h"):
        return 168 if n >= WEEKLY_HOURS_WEEKS * 168 else 24
    day = pd.Timedelta("1D")
    if freq < day and day % freq == pd.Timedelta(0):
        return int(day / freq)
    return 0


def _clip_spikes(y: np.ndarray, m: int) -> tuple[np.ndarray, int]:
    """Clip values far above their season phase's median (+ 5 robust SDs + 3).

    A past incident is not the norm: without this, one spike day lifts the level
    and widens the intervals of the whole week ahead. Returns (clipped, n clipped).
    """
    if len(y) < 4:
        return y, 0
    m = m if (m > 1 and len(y) >= 2 * m) else 1
    y = y.astype(float)
    phase = np.arange(len(y)) % m
    med = np.array([np.median(y[phase == p]) for p in range(m)])[phase]
    scale = 1.4826 * np.median(np.abs(y - med))  # one robust spread for all phases
    out = np.minimum(y, med + 5 * scale + 3)
    return out, int(np.sum(out < y))


def _fit(y: np.ndarray, h: int, m: int) -> tuple[dict, str]:
    """Point forecasts and 80/95% intervals for ``h`` steps; returns (arrays, description)."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    y, clipped = _clip_spikes(np.asarray(y, dtype=float), m)
    note = f"; {clipped} spike bin(s) clipped" if clipped else ""
    n = len(y)
    if n >= MIN_SES_BINS:
        specs = []
        if m > 1 and n >= 2 * m + 1:
            specs.append(({"error": "add", "trend": "add", "damped_trend": True, "seasonal": "add",
                           "seasonal_periods": m}, f"Holt-Winters ETS(A,Ad,A), season {m}"))
        specs.append(({"error": "add", "trend": None, "seasonal": None},
                      "simple exponential smoothing ETS(A,N,N)"
                      + (f" (under two seasons of {m} bins)" if m > 1 and n < 2 * m + 1 else "")))
        for kwargs, name in specs:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    bounds = {k: v for k, v in SMOOTHING_BOUNDS.items()
                              if kwargs.get("seasonal") or k == "smoothing_level"}
                    res = ETSModel(pd.Series(y, dtype="float64"), initialization_method="heuristic"
                                   if kwargs.get("seasonal") else "estimated", bounds=bounds,
                                   **kwargs).fit(disp=False)
                    pred = res.get_prediction(start=n, end=n + h - 1)
                    f80 = pred.summary_frame(alpha=0.2)
                    f95 = pred.summary_frame(alpha=0.05)
            except (ValueError, np.linalg.LinAlgError):
                continue
            out = {"forecast": f80["mean"].to_numpy(), "lo80": f80["pi_lower"].to_numpy(),
                   "hi80": f80["pi_upper"].to_numpy(), "lo95": f95["pi_lower"].to_numpy(),
                   "hi95": f95["pi_upper"].to_numpy()}
            if all(np.isfinite(v).all() for v in out.values()):
                return out, f"{name}, fitted on {n} bins{note}"
    mean = float(np.mean(y)) if n else 0.0
    sd = float(np.std(y, ddof=1)) if n > 1 else 0.0
    sd = max(sd, np.sqrt(max(mean, 0.0)) if mean > 1 else 0.0)
    out = {"forecast": np.full(h, mean)}
    for level in (80, 95):
        z = stats.norm.ppf(0.5 + level / 200)
        out[f"lo{level}"] = np.full(h, mean - z * sd)
        out[f"hi{level}"] = np.full(h, mean + z * sd)
    return out, f"mean of the last {n} bins (too short for a model: a rough guide only)"


def _tidy(out: dict, lower: float, upper: float) -> dict:
    f = np.clip(out["forecast"], lower, upper)
    lo80 = np.minimum(np.clip(out["lo80"], lower, upper), f)
    hi80 = np.maximum(np.clip(out["hi80"], lower, upper), f)
    lo95 = np.minimum(np.clip(out["lo95"], lower, upper), lo80)
    hi95 = np.maximum(np.clip(out["hi95"], lower, upper), hi80)
    return {"forecast": f, "lo80": lo80, "hi80": hi80, "lo95": lo95, "hi95": hi95}


def _series(frame: pd.DataFrame, freq: str, by: str | None, tz: str):
    """Per-segment count (and negative) series on one grid; drops a partial last bin."""
    ts = pd.to_datetime(frame["timestamp"], utc=True)
    ok = ts.notna().to_numpy()
    grid, bins = make_grid(ts[ok], freq, tz)
    T = grid.n
    neg = None
    labels = sentiment_labels(frame)
    if labels is not None and labels.notna().any():
        neg = (labels == "negative").to_numpy(dtype=bool)[ok]
    segments = [("all", np.ones(ok.sum(), dtype=bool))]
    if by is not None:
        require_columns(frame, [by], stage="forecast")
        values = frame[by].astype("string").to_numpy(dtype=object)[ok]
        for v in sorted({v for v in values if isinstance(v, str)}):
            segments.append((f"{by}:{v}", values == v))
    latest = ts[ok].max()
    ends = grid.ends
    covered = (latest - grid.starts[-1]) / (ends[-1] - grid.starts[-1])
    keep = T - 1 if (grid.days_per_bin and covered < PARTIAL_BIN_SHARE and T > 1) else T
    out = []
    for name, mask in segments:
        counts = np.bincount(bins[mask], minlength=T)[:keep].astype(float)
        negs = None if neg is None else np.bincount(bins[mask], weights=neg[mask], minlength=T)[:keep]
        out.append((name, counts, negs))
    return grid, keep, out


def _future_starts(grid, keep: int, h: int) -> pd.DatetimeIndex:
    last = grid.starts[keep - 1]
    if grid.days_per_bin:
        wall = last.tz_convert(grid.tz).tz_localize(None)
        steps = [wall + pd.Timedelta(days=grid.days_per_bin * k) for k in range(1, h + 1)]
        return pd.DatetimeIndex(steps).tz_localize(grid.tz, ambiguous="NaT",
                                                   nonexistent="shift_forward").tz_convert("UTC")
    return pd.DatetimeIndex([last + grid.freq * k for k in range(1, h + 1)])


def _events(calendar: pd.DataFrame | None, starts: pd.DatetimeIndex, step: pd.Timedelta,
            tz: str) -> list[str]:
    if calendar is None or len(calendar) == 0:
        return [""] * len(starts)
    require_columns(calendar, ["date", "event"], stage="forecast calendar")
    when = pd.to_datetime(calendar["date"], errors="coerce", format="mixed")
    if when.isna().any():
        bad = calendar["date"][when.isna()].iloc[0]
        raise ValueError(f"calendar date {bad!r} is not a date; use e.g. '2026-11-25' or "
                         "'2026-11-25 10:00'")
    if when.dt.tz is None:
        when = when.dt.tz_localize(tz, ambiguous="NaT", nonexistent="shift_forward")
    when = when.dt.tz_convert("UTC")
    ends = list(starts[1:]) + [starts[-1] + step]
    names = calendar["event"].astype("string").fillna("").to_numpy(dtype=object)
    return ["; ".join(str(e) for w, e in zip(when, names) if a <= w < b) for a, b in zip(starts, ends)]


def forecast(frame: pd.DataFrame, *, horizon: str = "7D", freq: str = "1D",
             by: str | None = None, calendar: pd.DataFrame | None = None,
             tz: str = DEFAULT_TZ) -> pd.DataFrame:
    """Forecast mention volume (and negative share) with 80% and 95% prediction intervals.

    Parameters
    ----------
    frame : DataFrame
        Mentions; needs ``timestamp``. With ``sentiment_label`` (or ``sentiment``)
        the negative share is forecast too.
    horizon : str
        How far ahead (``"7D"``, ``"48h"``); rounded up to whole bins.
    freq : str
        Bin size (``"1D"`` local days, ``"1h"``).
    by : str, optional
        A column to forecast each value of separately (``"platform"``), besides ``all``.
    calendar : DataFrame, optional
        Known upcoming events, columns ``date`` (naive times are local) and ``event``.
    tz : str
        Local time zone of the days and of naive calendar dates.

    Returns
    -------
    DataFrame with columns ``segment, timestamp, metric, forecast, lo80, hi80, lo95,
    hi95, events`` (``metric`` is ``volume`` or ``negative_share``; ``timestamp`` the
    bin start in UTC). ``attrs["models"]`` maps ``"<segment>/<metric>"`` to the model
    used; ``attrs`` also hold ``freq``, ``horizon``, ``tz`` and ``history``.

    Examples
    --------
    >>> import listening as ls
    >>> frame, _ = ls.demo.generate(n_mentions=2_000, days=21, seed=3)
    >>> fc = forecast(frame, horizon="7D")
    >>> len(fc), bool((fc["lo95"] <= fc["hi95"]).all())
    (7, True)
    """
    require_columns(frame, ["timestamp"], stage="forecast")
    step = pd.Timedelta(freq)
    h = max(1, int(np.ceil(pd.Timedelta(horizon) / step)))
    attrs = {"freq": str(freq), "horizon": str(horizon), "tz": tz, "models": {}, "history": 0}
    if pd.to_datetime(frame["timestamp"], utc=True).notna().sum() == 0:
        out = pd.DataFrame({c: pd.Series(dtype=object) for c in FORECAST_COLUMNS})
        out.attrs.update(attrs)
        return out
    grid, keep, series = _series(frame, freq, by, tz)
    starts = _future_starts(grid, keep, h)
    events = _events(calendar, starts, step, tz)
    m = _season(step, keep)
    parts = []
    for name, counts, negs in series:
        fit, desc = _fit(counts, h, m)
        attrs["models"][f"{name}/volume"] = desc
        parts.append(pd.DataFrame({"segment": name, "timestamp": starts, "metric": "volume",
                                   **_tidy(fit, 0.0, np.inf), "events": events}))
        if negs is not None:
            okbins = counts >= MIN_MENTIONS_FOR_SHARE
            share = negs[okbins] / counts[okbins]
            if len(share):
                fit, desc = _fit(share, h, m if okbins.all() else 0)
                attrs["models"][f"{name}/negative_share"] = desc
                parts.append(pd.DataFrame({"segment": name, "timestamp": starts,
                                           "metric": "negative_share", **_tidy(fit, 0.0, 1.0),
                                           "events": events}))
    out = pd.concat(parts, ignore_index=True)[FORECAST_COLUMNS]
    attrs["history"] = keep
    out.attrs.update(attrs)
    return out


def _seasonal_naive(y: np.ndarray, h: int, m: int) -> dict:
    """Repeat the last season; normal intervals from the seasonal differences' spread."""
    m = m if (m > 1 and len(y) > m) else 1
    last = y[-m:]
    fc = np.array([last[k % m] for k in range(h)], dtype=float)
    diffs = y[m:] - y[:-m]
    sd = float(np.std(diffs, ddof=1)) if len(diffs) > 1 else float(np.sqrt(max(fc.mean(), 1)))
    k = np.arange(h) // m  # whole seasons ahead: the error grows like sqrt(k + 1)
    out = {"forecast": fc}
    for level in (80, 95):
        z = stats.norm.ppf(0.5 + level / 200)
        out[f"lo{level}"] = fc - z * sd * np.sqrt(k + 1)
        out[f"hi{level}"] = fc + z * sd * np.sqrt(k + 1)
    return out


def backtest_forecast(frame: pd.DataFrame, *, horizon: str = "7D", freq: str = "1D",
                      folds: int = 3, tz: str = DEFAULT_TZ) -> pd.DataFrame:
    """Rolling-origin backtest of the volume forecast against a seasonal-naive baseline.

    The last ``folds`` windows of ``horizon`` are each forecast from the history
    before them, by the model :func:`forecast` would choose and by seasonal naive
    (the last season repeated). Returns one row per method with ``mae``, ``mape``
    (over bins with mentions, in %), ``coverage80``, ``coverage95`` (share of actual
    values inside the intervals), ``points`` and ``folds``; ``attrs["models"]``
    lists the model of each fold.
    """
    require_columns(frame, ["timestamp"], stage="backtest_forecast")
    step = pd.Timedelta(freq)
    h = max(1, int(np.ceil(pd.Timedelta(horizon) / step)))
    _, _, series = _series(frame, freq, None, tz)
    y = series[0][1]
    results = {"model": [], "seasonal_naive": []}
    models = []
    for k in range(folds, 0, -1):
        cut = len(y) - k * h
        if cut < MIN_SES_BINS:
            continue
        train, actual = y[:cut], y[cut:cut + h]
        m = _season(step, cut)
        fit, desc = _fit(train, len(actual), m)
        models.append(desc)
        results["model"].append((actual, _tidy(fit, 0.0, np.inf)))
        results["seasonal_naive"].append((actual, _tidy(_seasonal_naive(train, len(actual), m),
                                                        0.0, np.inf)))
    rows = []
    for method, pairs in results.items():
        if not pairs:
            continue
        actual = np.concatenate([a for a, _ in pairs])
        get = {key: np.concatenate([f[key][:len(a)] for a, f in pairs]) for key in
               ("forecast", "lo80", "hi80", "lo95", "hi95")}
        err = np.abs(actual - get["forecast"])
        pos = actual > 0
        rows.append({"method": method, "mae": float(err.mean()),
                     "mape": float(100 * np.mean(err[pos] / actual[pos])) if pos.any() else np.nan,
                     "coverage80": float(np.mean((actual >= get["lo80"]) & (actual <= get["hi80"]))),
                     "coverage95": float(np.mean((actual >= get["lo95"]) & (actual <= get["hi95"]))),
                     "points": len(actual), "folds": len(pairs)})
    out = pd.DataFrame(rows, columns=["method", "mae", "mape", "coverage80", "coverage95", "points",
                                      "folds"])
    out.attrs.update({"freq": str(freq), "horizon": str(horizon), "models": models})
    return out
