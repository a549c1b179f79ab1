"""Time bins and the causal, seasonal baseline every threat signal is judged against.

Design (the choice the issue asks us to document)
-------------------------------------------------
A bin's expectation uses **only bins before it**, so running the detector on the
latest window with its history gives exactly the numbers a batch run over the
whole period gives for that window.

For sub-daily bins (``freq="1h"``, ``"15min"``: any divisor of a day) the
expected count of bin *t* is

    E[t] = H[t] * G[day(t)]

* ``H[t]`` - the hour-of-day term: a *winsorised mean* of the same bin of the day
  in the previous :data:`SEASON_DAYS` days. Values above ``median + 3*sqrt(median)
  + 3`` of those days are clipped first, so yesterday's incident does not raise
  today's expectation (robust to past spikes), while ordinary weekday/weekend
  differences pass through.
* ``G[d]`` - the day-of-week term: the median, over the same weekday in up to
  :data:`DOW_WEEKS` previous weeks, of that day's (winsorised) total divided by
  the mean daily total of the seven days centred on it; used once at least
  :data:`MIN_DOW_WEEKS` such weeks exist (from about day 17 of a stream), else 1.

For bins shorter than an hour that divide it (``15min``) the baseline is learnt on
the hourly totals and spread evenly over the hour's bins: a quarter holds too few
mentions to learn a daily rhythm from.

For daily bins the season is the week: ``E[t]`` is the winsorised mean of the same
weekday in the previous :data:`DOW_WEEKS` weeks.

**Short histories.** With fewer than :data:`MIN_SEASON_DAYS` previous days (or
weeks for daily bins) the baseline falls back to the *recent window*: the
winsorised mean of up to :data:`RECENT_BINS` previous bins, reshaped by a generic
diurnal profile (:data:`DIURNAL_PROFILE`) so the morning rise is not mistaken for
an incident. With fewer than :data:`MIN_RECENT_BINS` previous bins there is no
expectation at all and only absolute thresholds apply. The mode of each bin is
returned so alerts can say which baseline they used.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

# The time grid and the default zone belong to listening.windows; re-exported here
# for the threat modules that bin with them.
from ..windows import DEFAULT_TZ, Grid, make_grid

__all__ = ["DEFAULT_TZ", "MODE_NAMES", "Grid", "make_grid", "seasonal_expectation"]

# One full week of same-hour values, so each weekday counts once in H.
SEASON_DAYS = 7
# Fewer previous days than this and the hour-of-day estimate is too thin to trust.
MIN_SEASON_DAYS = 3
# Weeks of history used for the day-of-week factor (a month, as in a monthly review).
DOW_WEEKS = 4
MIN_DOW_WEEKS = 2
# The fallback baseline: the previous day of bins at most, at least three bins.
RECENT_BINS = 24
MIN_RECENT_BINS = 3
# Generic diurnal shape of social-media activity by local hour (0..23): low at
# 3-5 a.m., rising through the morning, highest in the evening. Shaped after the
# published diurnal curves of Twitter activity (Golder & Macy, Science 2011) and
# only used while a stream has less than MIN_SEASON_DAYS days of its own history.
DIURNAL_PROFILE = np.array([0.55, 0.38, 0.28, 0.22, 0.22, 0.3, 0.5, 0.8, 1.0, 1.1, 1.15, 1.2,
                            1.25, 1.2, 1.15, 1.15, 1.2, 1.25, 1.3, 1.35, 1.4, 1.3, 1.05, 0.8])

# Baseline modes, per bin.
MODE_NONE, MODE_RECENT, MODE_SEASONAL, MODE_WEEKLY = 0, 1, 2, 3
MODE_NAMES = {MODE_NONE: "none", MODE_RECENT: "recent", MODE_SEASONAL: "seasonal",
              MODE_WEEKLY: "seasonal+weekday"}


def _lagged(X: np.ndarray, lags: list[int]) -> np.ndarray:
    """Stack ``X[:, t - lag]`` for each lag into (S, T, len(lags)); NaN before the start."""
    S, T = X.shape
    out = np.full((S, T, len(lags)), np.nan)
    for j, lag in enumerate(lags):
        if lag < T:
            out[:, lag:, j] = X[:, :T - lag]
    return out


def _winsorised_mean(V: np.ndarray, min_values: int) -> np.ndarray:
    """Mean over the last axis after clipping values above median + 3*sqrt(median) + 3.

    NaN (unavailable) values are ignored; fewer than ``min_values`` -> NaN.
    """
    count = np.sum(~np.isnan(V), axis=-1)
    with np.errstate(all="ignore"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            med = np.nanmedian(V, axis=-1)
        cap = med + 3 * np.sqrt(np.maximum(med, 0)) + 3
        clipped = np.minimum(V, cap[..., None])
        mean = np.nansum(clipped, axis=-1) / np.maximum(count, 1)
    return np.where(count >= min_values, mean, np.nan)


def _day_totals(X: np.ndarray, grid: Grid) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Totals per local day: (totals (S, D), complete (D,), day index of each bin)."""
    day_idx = (grid.local_day - grid.local_day[0]).astype(np.int64)
    D = int(day_idx[-1]) + 1
    totals = np.zeros((X.shape[0], D))
    np.add.at(totals, (slice(None), day_idx), X)
    bins_in_day = np.bincount(day_idx, minlength=D)
    complete = bins_in_day >= max(grid.per_day - 1, 1)  # 23-hour DST days count as complete
    return totals, complete, day_idx


def hour_of_bins(grid: Grid) -> tuple[Grid, np.ndarray] | None:
    """For bins shorter than an hour that divide it (``15min``, ``30min``...): the hour
    grid over the same span and the hour of each bin; else None."""
    hour = pd.Timedelta("1h")
    if not (grid.days_per_bin == 0 and grid.freq < hour and hour % grid.freq == pd.Timedelta(0)):
        return None
    return make_grid(pd.Series(grid.starts), hour, grid.tz)


def seasonal_expectation(X: np.ndarray, grid: Grid) -> tuple[np.ndarray, np.ndarray]:
    """Causal expected value of every bin of every row of ``X`` (segments x bins).

    Returns ``(E, mode)``: ``E`` has NaN where no expectation exists (mode 0);
    ``mode`` (per bin) is one of :data:`MODE_NAMES`.

    Bins shorter than an hour (``15min``) are too thin to learn a daily rhythm from:
    the baseline is learnt on hourly totals and spread evenly over the hour's bins
    (a quarter expects a quarter of its hour's expectation, which uses only the hours
    before it, so this stays causal).
    """
    X = np.asarray(X, dtype=np.float64)
    hours = hour_of_bins(grid)
    if hours is not None:
        hgrid, hour_idx = hours
        H = np.zeros((X.shape[0], hgrid.n))
        np.add.at(H, (slice(None), hour_idx), X)
        E_h, mode_h = seasonal_expectation(H, hgrid)
        return E_h[:, hour_idx] * (grid.freq / pd.Timedelta("1h")), mode_h[hour_idx]
    S, T = X.shape
    E = np.full((S, T), np.nan)
    mode = np.zeros(T, dtype=np.int64)
    history = np.arange(T)  # bins of history before each bin

    # Recent-window fallback (also the default when freq does not divide a day).
    recent = _winsorised_mean(_lagged(X, list(range(1, RECENT_BINS + 1))), MIN_RECENT_BINS)
    if grid.per_day > 1 and len(DIURNAL_PROFILE) == 24:
        prof = DIURNAL_PROFILE[grid.local_hour]
        lag_prof = _lagged(prof[None, :], list(range(1, RECENT_BINS + 1)))[0]
        n_prof = np.sum(~np.isnan(lag_prof), axis=-1)
        mean_prof = np.where(n_prof > 0, np.nansum(lag_prof, axis=-1) / np.maximum(n_prof, 1), np.nan)
        mean_prof = np.where(np.isnan(mean_prof), 1.0, mean_prof)
        recent = recent * (prof / mean_prof)[None, :]
    has_recent = history >= MIN_RECENT_BINS
    E[:, has_recent] = recent[:, has_recent]
    mode[has_recent] = MODE_RECENT

    if grid.per_day > 1:
        P = grid.per_day
        H = _winsorised_mean(_lagged(X, [k * P for k in range(1, SEASON_DAYS + 1)]), MIN_SEASON_DAYS)
        seasonal = history >= MIN_SEASON_DAYS * P
        E[:, seasonal] = H[:, seasonal]
        mode[seasonal] = MODE_SEASONAL
        # Day-of-week factor from winsorised daily totals.
        cap = np.where(np.isnan(H), np.inf, H + 4 * np.sqrt(np.nan_to_num(H)) + 4)
        totals, complete, day_idx = _day_totals(np.minimum(X, cap), grid)
        # Each day's total against the centred week around it (days d-3..d+3). Day d's
        # ratio is only used from day d+7 on, when all seven days are complete: causal.
        Dn = totals.shape[1]
        csum = np.concatenate([np.zeros((S, 1)), np.cumsum(totals, axis=1)], axis=1)
        ccom = np.concatenate([[0], np.cumsum(complete)])
        d = np.arange(Dn)
        lo, hi = d - 3, d + 4
        inside = (lo >= 0) & (hi <= Dn)
        lo_c, hi_c = np.clip(lo, 0, Dn), np.clip(hi, 0, Dn)
        week_mean = (csum[:, hi_c] - csum[:, lo_c]) / 7.0
        ok_week = inside & ((ccom[hi_c] - ccom[lo_c]) == 7)
        with np.errstate(all="ignore"):
            ratio = totals / week_mean
        ratio = np.where(ok_week[None, :] & np.isfinite(ratio), ratio, np.nan)
        same_day = _lagged(ratio, [7 * k for k in range(1, DOW_WEEKS + 1)])
        n_weeks = np.sum(~np.isnan(same_day), axis=-1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            G = np.nanmedian(same_day, axis=-1)
        G = np.where(n_weeks >= MIN_DOW_WEEKS, np.clip(np.nan_to_num(G, nan=1.0), 0.5, 2.0), 1.0)
        good_weeks = _lagged(ok_week[None, :].astype(float), [7 * k for k in range(1, DOW_WEEKS + 1)])[0]
        weekly_day = np.nansum(good_weeks, axis=-1) >= MIN_DOW_WEEKS
        use = seasonal & weekly_day[day_idx]
        E[:, use] = H[:, use] * G[:, day_idx[use]]
        mode[use] = MODE_WEEKLY
    elif grid.per_day == 1:
        W = _winsorised_mean(_lagged(X, [7 * k for k in range(1, DOW_WEEKS + 1)]), MIN_DOW_WEEKS)
        weekly = history >= 7 * MIN_DOW_WEEKS
        E[:, weekly] = W[:, weekly]
        mode[weekly] = MODE_WEEKLY
    E = np.where(np.isnan(E), np.nan, np.maximum(E, 0.0))
    return E, mode
