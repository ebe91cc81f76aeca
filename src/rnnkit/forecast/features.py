"""Model inputs derived from a series: returns, moving-average ratios, volatility, calendar.

Every feature is causal (row t uses rows <= t only) or known in advance (the calendar of row t),
so the same inputs can be computed at forecast time, also for dates past the data.
"""

import math
import re
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd

from rnnkit._checks import InputError
from rnnkit.forecast.metrics import diebold_mariano, verdict

DERIVED_FORMS = ("'return', 'log_return', 'ma{n}', 'vol{n}' (n >= 2, e.g. 'ma20', 'vol20'), "
                 "and the calendar: 'hour', 'dow', 'month'")
_DERIVED = re.compile(r"return|log_return|ma(\d+)|vol(\d+)")
CALENDAR = {  # name: (period, position within it of a date index)
    "hour": (24.0, lambda idx: idx.hour + idx.minute / 60),
    "dow": (7.0, lambda idx: idx.day_of_week + idx.hour / 24),
    "month": (12.0, lambda idx: idx.month - 1 + (idx.day - 1) / idx.days_in_month),
}


def derive_features(
    frame: pd.DataFrame, target: str, covariates: list[str], derived: list[str]
) -> pd.DataFrame:
    """The target, covariates and features derived from the target, from past and present only.

    Math (p_t the target at row t, r_t = log(p_t / p_{t-1})):
        "return":      p_t / p_{t-1} - 1
        "log_return":  r_t
        "ma{n}":       p_t / ((p_{t-n+1} + ... + p_t) / n) - 1
        "vol{n}":      std(r_{t-n+1}, ..., r_t)      (sample std, ddof 1)
        "hour", "dow", "month":  sin(2π u / P), cos(2π u / P) of the date of row t, where u is
                       the hour of the day (P = 24), the day of the week (P = 7) or the month
                       of the year (P = 12), with their fractions: two columns, name_sin and
                       name_cos, so that the end of a period meets its start
    Each is causal or known in advance: row t uses rows <= t and its own date only.

    Returns
    -------
    pandas.DataFrame
        Float64 columns ``[target, *covariates, *derived]`` on ``frame``'s index (a calendar
        feature as its two columns), without the leading rows the rolling windows leave
        incomplete (``vol{n}`` needs n + 1 rows).

    Raises
    ------
    InputError
        An unknown column or derived name (the message lists the allowed forms), repeated
        names, a target <= 0 for log features, a calendar feature without a date index, or too
        few rows.

    Example
    -------
    >>> frame = pd.DataFrame({"Close": [1.0, 2.0, 3.0, 6.0]})
    >>> derive_features(frame, "Close", [], ["return", "ma2"])
       Close  return       ma2
    1    2.0     1.0  0.333333
    2    3.0     0.5  0.200000
    3    6.0     1.0  0.333333
    """
    for name in [target, *covariates]:
        if name not in frame.columns:
            available = ", ".join(repr(c) for c in frame.columns)
            raise InputError(f"unknown column {name!r}; available: {available}")
    names = [target, *covariates, *derived]
    if len(set(names)) < len(names):
        raise InputError(f"target, covariates and derived names must differ, got {names}")
    out = frame[[target, *covariates]].astype(np.float64)
    for name in derived:
        if name in CALENDAR:
            out[f"{name}_sin"], out[f"{name}_cos"] = _calendar(frame.index, name)
        else:
            out[name] = _derived_feature(out[target], name)
    complete = out.notna().all(axis=1).to_numpy()
    if not complete.any():
        raise InputError(f"{len(frame)} rows are too few for the derived features {derived}")
    return out.iloc[int(complete.argmax()) :]


def _derived_feature(p: pd.Series, name: str) -> pd.Series:
    """One derived column from the target ``p`` (see :func:`derive_features`)."""
    match = _DERIVED.fullmatch(name)
    n = int(match[1] or match[2] or 0) if match else 0
    if match is None or (name not in ("return", "log_return") and n < 2):
        raise InputError(f"unknown derived feature {name!r}; allowed: {DERIVED_FORMS}")
    if name == "return":
        return p / p.shift(1) - 1
    if match[1]:
        return p / p.rolling(n).mean() - 1
    if (p <= 0).any():
        raise InputError(f"{name!r} takes logs of {p.name!r}, which must be positive; its "
                         f"minimum is {p.min():g}: use the features 'level' with the target kind "
                         "'diff' instead (or leave both to 'auto')")
    log_return = np.log(p / p.shift(1))
    return log_return if name == "log_return" else log_return.rolling(n).std()


def _calendar(index: pd.Index, name: str) -> tuple[np.ndarray, np.ndarray]:
    """sin and cos of the position of each date within the period of ``name``."""
    if not isinstance(index, pd.DatetimeIndex):
        raise InputError(f"the calendar feature {name!r} needs a date index; this data is "
                         f"indexed by {type(index).__name__} ({index.dtype})")
    period, position = CALENDAR[name]
    angle = 2 * np.pi * np.asarray(position(index), dtype=np.float64) / period
    return np.sin(angle), np.cos(angle)


SEASON_Z = 2.576  # the 99% quantile: a season must be clear to change the encoding


@dataclass(frozen=True)
class Encoding:
    """How a series enters and leaves the network, and why (see :func:`choose_encoding`)."""

    features: tuple[str, ...]
    target_kind: str
    window_norm: str
    reason: str
    selection: dict | None = None  # the validation errors the season was chosen by


def calendar_features(index: pd.Index) -> tuple[str, ...]:
    """The calendar inputs that vary within a season of this index's spacing.

    Sub-daily data: hour of day and day of week; daily: day of week; weekly to monthly: month;
    anything else (yearly, integer steps): none.
    """
    if not isinstance(index, pd.DatetimeIndex) or len(index) < 2:
        return ()
    spacing = pd.Series(index[1:] - index[:-1]).median()
    if spacing < pd.Timedelta(hours=23):
        return ("hour", "dow")
    if spacing <= pd.Timedelta(days=3):
        return ("dow",)
    if spacing <= pd.Timedelta(days=31):
        return ("month",)
    return ()


def is_seasonal(values: np.ndarray, season: int, z: float = 1.645) -> tuple[bool, float]:
    """Whether the first differences of a series repeat with period m, and their lag-m ACF.

    Math (d_t = y_t - y_{t-1}, n values of d, r_k its autocorrelation at lag k):
        seasonal  <=>  |r_m| > z · sqrt((1 + 2 Σ_{k=1}^{m-1} r_k²) / n)
    with z = 1.645 the 90% test of the M4 competition's Naive2 benchmark, here taken on the
    differences so that a trend or a random walk (whose levels correlate at every lag) does
    not count as a season. m = 1, or fewer than 3m differences: not seasonal.

    >>> t = np.arange(400.0)
    >>> is_seasonal(np.sin(2 * np.pi * t / 24), 24)[0], is_seasonal(np.cumsum(np.ones(400)), 24)
    (True, (False, 0.0))
    """
    d = np.diff(np.asarray(values, dtype=np.float64))
    if season < 2 or len(d) < 3 * season or not np.std(d) > 0:
        return False, 0.0
    d = d - d.mean()
    acf = np.array([d[k:] @ d[: len(d) - k] for k in range(season + 1)]) / (d @ d)
    limit = z * math.sqrt((1 + 2 * np.sum(acf[1:season] ** 2)) / len(d))
    return bool(abs(acf[season]) > limit), float(acf[season])


MIN_VALIDATION_ORIGINS = 10  # fewer, and the season is decided by the lag-m test alone


def known_leads(frame: pd.DataFrame, future: pd.DataFrame | None, known: tuple[str, ...],
                horizon: int) -> pd.DataFrame:
    """The values of the ``known`` columns 1 .. H steps after each row of ``frame``.

    Math (c a known column, row t, h = 1 .. H):
        c+h [t] = c_{t+h}
    read from the rows of ``frame`` after t, then from ``future`` (the rows after the frame's
    end); NaN where neither reaches, which only windows that forecast past the data can meet.
    Known in advance, these are no look-ahead: a promotion is planned before the day.

    >>> frame = pd.DataFrame({"y": [1.0, 2.0, 3.0], "promo": [0.0, 1.0, 0.0]})
    >>> known_leads(frame, pd.DataFrame({"promo": [1.0]}), ("promo",), 2)["promo+2"].tolist()
    [0.0, 1.0, nan]
    """
    values = frame[list(known)]
    if future is not None:
        values = pd.concat([values, future[list(known)]], ignore_index=True)
    else:
        values = values.reset_index(drop=True)
    leads = pd.DataFrame({f"{name}+{h}": values[name].shift(-h).to_numpy()
                          for name in known for h in range(1, horizon + 1)})
    return leads.iloc[: len(frame)].set_axis(frame.index)


def seasonal_horizon(training: list[np.ndarray], season: int, val_fraction: float) -> int:
    """The horizon a series asks for when none is given: one season m when seasonal naive
    forecasts a season ahead better than naive on the validation part of most series'
    training values (:func:`seasonal_on_validation` with H = m), else 1.

    >>> t = np.arange(400)
    >>> seasonal_horizon([np.sin(2 * np.pi * t / 7)], 7, 0.1), seasonal_horizon([t * 1.0], 7, 0.1)
    (7, 1)
    """
    votes = [seasonal_on_validation(values, season, season, val_fraction)
             for values in training]
    seasonal = sum(bool(vote and vote["seasonal"]) for vote in votes)
    return season if season > 1 and 2 * seasonal > len(votes) else 1


def seasonal_on_validation(values: np.ndarray, season: int, horizon: int,
                           val_fraction: float) -> dict | None:
    """Which base forecast predicts the last part of the training values better: naive or
    seasonal naive, by mean squared error over every origin and step of that part.

    Math (y the training values, n of them, v = max(ceil(val_fraction n), H + m) the
    validation rows, origins t = n - v .. n - 1 - H, steps h = 1 .. H):
        naive:           ŷ_{t+h} = y_t
        seasonal naive:  ŷ_{t+h} = y_{t+h-m·ceil(h/m)}
        seasonal  <=>  seasonal naive beats naive by the Diebold-Mariano test at 5% (its
                       squared error lower, and significantly: a hair's difference on a
                       random walk is noise, not a season); with no more origins than H,
                       MSE(seasonal naive) < MSE(naive)
    These are the bases the targets are taken against ("diff"/"log_return" vs "sdiff"), so the
    network starts from the one that holds out better. The values given are the training part
    only: the test part is never read. None when m < 2 or fewer than
    :data:`MIN_VALIDATION_ORIGINS` origins fit.
    """
    y = np.asarray(values, dtype=np.float64)
    n = len(y)
    v = max(math.ceil(val_fraction * n), horizon + season)
    origins = np.arange(n - v, n - horizon)
    if season < 2 or len(origins) < MIN_VALIDATION_ORIGINS or origins[0] < season:
        return None
    steps = np.arange(1, horizon + 1)
    actual = y[origins[:, None] + steps]
    naive = y[origins][:, None]
    snaive = y[origins[:, None] + steps - season * np.ceil(steps / season).astype(int)]
    mse = {"naive": float(np.mean((actual - naive) ** 2)),
           "snaive": float(np.mean((actual - snaive) ** 2))}
    seasonal, p_value = mse["snaive"] < mse["naive"], None
    if len(origins) > horizon:
        test = diebold_mariano(snaive - actual, naive - actual, horizon)
        seasonal, p_value = verdict(test) == "beats", test["p_value"]
    return {"validation_origins": len(origins), "horizon": horizon, "season": season,
            "mse": mse, "p_value": p_value, "seasonal": seasonal}


def choose_encoding(values: np.ndarray, index: pd.Index, season: int, horizon: int = 1,
                    val_fraction: float = 0.1) -> Encoding:
    """The default inputs, target encoding and window normalisation a series allows.

    Rules (y the training part of the target, m its season):
        whether the series is seasonal at m is decided on the last part of y
            (:func:`seasonal_on_validation`: does the seasonal naive forecast beat the naive
            one there?); with too short a series, by the lag-m test of the differences
            (:func:`is_seasonal` at 99%, a positive correlation only);
        y > 0 everywhere and not seasonal: a price-like series, so log returns in and out:
            features ("log_return",), target log(p_{t+h}/p_t), no window normalisation (the
            tutorial's AAPL case);
        otherwise (a zero or negative value, or a season): the level, taken relative to each
            window's last value ("last" normalisation), plus the calendar inputs of
            :func:`calendar_features`; targets that work for any sign: with a season, what the
            seasonal naive forecast misses ("sdiff", p_{t+h} - p_{t+h-m·ceil(h/m)}: the
            network starts from the seasonal baseline and learns its corrections), else
            p_{t+h} - p_t ("diff").
    ``reason`` says which rule applied and why, for the report; ``selection`` holds the
    validation errors when they decided.
    """
    values = np.asarray(values, dtype=np.float64)
    selection = seasonal_on_validation(values, season, horizon, val_fraction)
    if selection is None:
        test, acf = is_seasonal(values, season, z=SEASON_Z)
        seasonal = test and acf > 0
        evidence = f"lag-m autocorrelation of the differences {acf:+.2f}"
    else:
        seasonal, mse = selection["seasonal"], selection["mse"]
        ratio = mse["snaive"] / mse["naive"] if mse["naive"] > 0 else math.inf
        significance = ("" if selection["p_value"] is None
                        else f", Diebold-Mariano p = {selection['p_value']:.2g}")
        evidence = (f"on the last {selection['validation_origins']} training origins the "
                    f"seasonal naive forecast's MSE is {ratio:.2f}x the naive one's"
                    f"{significance}")
    if (values > 0).all() and not seasonal:
        return Encoding(("log_return",), "log_return", "none",
                        f"strictly positive and not seasonal at m = {season} ({evidence}): "
                        "price-like, so log returns in and out", selection)
    why = " and ".join(
        ([f"takes values <= 0 (minimum {values.min():g})"] if values.min() <= 0 else [])
        + ([f"seasonal at m = {season} ({evidence})"] if seasonal else []))
    calendar = calendar_features(index)
    extra = f", with the calendar inputs {', '.join(calendar)}" if calendar else ""
    out = ("the error of the seasonal naive forecast out (sdiff)" if seasonal
           else "differences to it out (diff)")
    return Encoding(("level", *calendar), "sdiff" if seasonal else "diff", "last",
                    f"{why}: the level relative to each window's last value in{extra}; {out}",
                    selection)


def panel_encoding(chosen: list[Encoding], all_positive: bool) -> Encoding:
    """One encoding for many series (one network reads them all): the most common of the
    series' own choices among those every series can take. Log returns need every value of
    every series positive: with one value <= 0 anywhere (``all_positive`` False), the other
    choices are voted on. ``selection`` counts how the series were decided.
    """
    if len(chosen) == 1:
        return chosen[0]
    allowed = chosen if all_positive else [c for c in chosen if c.target_kind != "log_return"]
    votes = Counter((c.features, c.target_kind, c.window_norm) for c in allowed)
    key, count = votes.most_common(1)[0]
    auto = next(c for c in allowed if (c.features, c.target_kind, c.window_norm) == key)
    selection = {"series": len(chosen), "chosen_by": count,
                 "decided_on_validation": sum(c.selection is not None for c in chosen),
                 "seasonal": sum(c.target_kind == "sdiff" for c in chosen)}
    return Encoding(*key, f"the choice for {count} of {len(chosen)} series: {auto.reason}",
                    selection)
