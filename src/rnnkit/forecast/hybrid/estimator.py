"""HybridForecaster: exponential smoothing and a dilated LSTM learned together across series.

The method that won the M4 competition (Smyl 2020, ES-RNN), with rnnkit's habits: each
series keeps its Holt–Winters coefficients and first season cycles
(:mod:`.smoothing`), one dilated LSTM reads every series deseasonalised and relative to its
level and forecasts the horizon's quantiles (:mod:`.network`); all of it is fitted by one
optimiser in :func:`rnnkit.training.loop.train`. Every choice is made on the validation part,
each series' last ``horizon`` training values, which the networks never fit:

- the ensemble: per seed, the ``snapshots`` epochs of lowest validation loss (the forecast
  is the median of the members' quantiles);
- a weight per series on the hybrid against seasonal naive, and the prediction intervals:
  normalised split-conformal bands whose width follows the network's interval quantiles
  (τ = (1 - α)/2 and (1 + α)/2) and the series' scale (:mod:`.calibration`).

Series too short for a window and a validation part (or for a first season cycle) are
forecast by seasonal naive (``fallback_``), as the Forecaster does.
"""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from numpy.lib.stride_tricks import sliding_window_view

from rnnkit._checks import (
    InputError,
    check_in_range,
    check_non_negative_int,
    check_positive_int,
)
from rnnkit.base import Estimator
from rnnkit.forecast.combine import WindowForecasts, check_intervals
from rnnkit.forecast.future import roll_forward
from rnnkit.forecast.hybrid.calibration import conformal_quantiles, error_sizes, series_weights
from rnnkit.forecast.hybrid.config import HYBRID_TRAIN, HybridConfig
from rnnkit.forecast.hybrid.files import hybrid_record, restore_hybrid
from rnnkit.forecast.hybrid.network import HybridNetwork
from rnnkit.forecast.hybrid.series import (
    hybrid_dilations,
    hybrid_lookback,
    hybrid_seasons,
    packed_series,
    positive_values,
)
from rnnkit.forecast.hybrid.snapshots import PREDICT_SERIES, train_snapshots
from rnnkit.forecast.metrics import infer_season, mase_scale, seasonal_naive_forecast
from rnnkit.forecast.panels import to_panel
from rnnkit.io.files import load_model, rebuilding, save_model
from rnnkit.training.loop import TrainConfig

DEFAULTS = HybridConfig()


class HybridForecaster(Estimator):
    """ES-RNN for many positive series: ``fit``, ``predict``, ``predict_panel``, ``save``.

    Learned: ``members_`` (the fitted :class:`.network.HybridNetwork` s, seeds x snapshots),
    ``series_`` (ids, in the order of the smoothing parameters' rows), ``fallback_``,
    ``season_``, ``seasons_``, ``lookback_``, ``dilations_``, ``starts_`` (each series' first
    row used, as a time), ``train_ends_``, ``mase_scales_``, ``weights_`` (on the hybrid
    against seasonal naive, per series), ``conformal_`` (the conformal q_h by level),
    ``validation_`` (the validation figures) and ``history_``.

    Parameters
    ----------
    horizon : H, the steps forecast.
    target, id_column : as the Forecaster's.
    season : m (0: inferred from the index); the seasons the smoothing takes out follow
        (:func:`.series.hybrid_seasons`: m, and the week for sub-daily rows).
    lookback : the input window L (0: :func:`.series.hybrid_lookback`).
    hidden_size : the LSTM layers' width.
    dilations : one LSTM layer per dilation (empty: :func:`.series.hybrid_dilations`).
    quantile : τ of the point forecast (slightly below 0.5 counters the log target's
        upward bias in sMAPE; ES-RNN used 0.45 to 0.49).
    intervals : levels (percent) of the prediction intervals.
    level_penalty : λ of the level's wiggle in the loss.
    ensemble : networks trained with seeds seed, seed+1, ...
    snapshots : epochs of each seed kept (those of lowest validation loss).
    history : at most this many last values of each series are read.
    validation : the last rows of each series' training part held out to choose on (0: the
        horizon, one origin per series; with few series more rows give more origins).
    train : the training loop's settings (batch_size counts series).

    Example
    -------
    >>> import numpy as np, pandas as pd
    >>> t = np.arange(120)
    >>> panel = {f"s{i}": pd.DataFrame({"value": 10 + i + np.sin(2 * np.pi * t / 12)})
    ...          for i in range(3)}
    >>> h = HybridForecaster(horizon=6, season=12, snapshots=1,
    ...                      train=TrainConfig(epochs=2, patience=0)).fit(panel)
    >>> h.seasons_, h.lookback_, h.predict(panel).shape
    ((12,), 12, (18, 4))
    """

    fitted_attribute = "members_"
    covariates: tuple[str, ...] = ()  # the hybrid reads the target alone
    known: tuple[str, ...] = ()

    def __init__(self, horizon: int = 1, target: str = "value", id_column: str = "",
                 season: int = 0, lookback: int = 0, hidden_size: int = DEFAULTS.hidden,
                 dilations: tuple[int, ...] = (), quantile: float = DEFAULTS.quantile,
                 intervals: tuple[int, ...] = (95,),
                 level_penalty: float = DEFAULTS.level_penalty, ensemble: int = 1,
                 snapshots: int = DEFAULTS.snapshots, history: int = DEFAULTS.history,
                 validation: int = 0, train: TrainConfig = HYBRID_TRAIN) -> None:
        self.horizon = horizon
        self.target = target
        self.id_column = id_column
        self.season = season
        self.lookback = lookback
        self.hidden_size = hidden_size
        self.dilations = dilations
        self.quantile = quantile
        self.intervals = intervals
        self.level_penalty = level_penalty
        self.ensemble = ensemble
        self.snapshots = snapshots
        self.history = history
        self.validation = validation
        self.train = train

    def check_params(self) -> None:
        """Raise InputError for a bad hyperparameter."""
        check_positive_int("horizon", self.horizon)
        check_non_negative_int("season", self.season)
        check_non_negative_int("lookback", self.lookback)
        check_positive_int("hidden_size", self.hidden_size)
        for d in self.dilations:
            check_positive_int("dilations", d)
        check_in_range("quantile", self.quantile, 0.0, 1.0, low_open=True, high_open=True)
        check_intervals(self.intervals)
        check_in_range("level_penalty", self.level_penalty, 0.0, 1e6)
        check_positive_int("ensemble", self.ensemble)
        check_positive_int("snapshots", self.snapshots)
        check_positive_int("history", self.history)
        check_non_negative_int("validation", self.validation)

    # -- fitting ---------------------------------------------------------------------------
    def _quantiles(self) -> tuple[float, ...]:
        """τ of the point forecast, then the lower and upper τ of each interval level."""
        return (self.quantile, *(tau for level in self.intervals
                                 for tau in ((1 - level / 100) / 2, (1 + level / 100) / 2)))

    def _network(self) -> HybridNetwork:
        return HybridNetwork(len(self.series_), self.seasons_, self.lookback_, self.horizon,
                             self._quantiles(), self.hidden_size, self.dilations_,
                             self.level_penalty)

    def fit(self, data, *, checkpoint_dir: str | Path | None = None, resume: bool = False,
            on_epoch=None, device: str = "cpu") -> "HybridForecaster":
        """Learn from ``data`` (the training part: one series, a dict {id: frame} or a long
        frame with ``id_column``), validating on each series' last ``validation`` values."""
        self.check_params()
        panel = to_panel(self, data)
        values = {key: positive_values(key, frame[self.target].to_numpy(float), self.target)
                  for key, frame in panel.items()}
        self.season_ = self.season or infer_season(next(iter(panel.values())).index)
        lengths = [min(len(y), self.history) for y in values.values()]
        self.seasons_ = hybrid_seasons(self.season_, lengths)
        self.lookback_ = self.lookback or hybrid_lookback(self.seasons_, self.horizon)
        self.dilations_ = tuple(self.dilations) or hybrid_dilations(self.seasons_)
        self.validation_rows_ = max(self.validation, self.horizon)
        need = max(self.lookback_ + 1 + self.validation_rows_, max(self.seasons_, default=1))
        self.series_ = [key for key, y in values.items() if min(len(y), self.history) >= need]
        learned = set(self.series_)
        self.fallback_ = [key for key in panel if key not in learned]
        if not self.series_:
            raise InputError(f"every series is shorter than lookback ({self.lookback_}) + 1 + "
                             f"validation ({self.validation_rows_}) rows: the hybrid has "
                             "nothing to learn from")
        if self.fallback_:
            warnings.warn(f"{len(self.fallback_)} of {len(panel)} series are shorter than "
                          f"{need} rows; the hybrid forecasts them by seasonal naive: "
                          f"{', '.join(self.fallback_[:5])}", stacklevel=2)
        self.mase_scales_ = {key: mase_scale(y, self.season_) for key, y in values.items()}
        self.train_ends_ = {key: frame.index[-1] for key, frame in panel.items()}
        self.starts_ = {key: panel[key].index[max(len(values[key]) - self.history, 0)]
                        for key in self.series_}
        used = [values[key][-self.history:] for key in self.series_]
        x = packed_series(used, list(range(len(used))), self.validation_rows_)
        members, self.history_ = [], []
        for k in range(self.ensemble):
            cfg = TrainConfig(**vars(self.train) | {"seed": self.train.seed + k})
            directory = None if checkpoint_dir is None else Path(checkpoint_dir) / f"m{k}"
            kept, history = train_snapshots(self._network, x, used, cfg, self.snapshots,
                                            directory, resume, on_epoch, device)
            members += kept
            self.history_.append(history)
        self.members_ = members
        self._calibrate(x, used)
        return self

    def _calibrate(self, x: np.ndarray, used: list) -> None:
        """The weights on the hybrid against seasonal naive and the conformal quantiles
        (:mod:`.calibration`) from the validation forecasts: from every origin whose targets
        lie in a series' validation part (one per series when it is the horizon)."""
        horizon, rows = self.horizon, self.validation_rows_
        origins = [len(y) - rows - 1 for y in used]
        ends = [len(y) - horizon for y in used]
        forecasts = np.stack([f for f, _ in self._forecast(
            x[..., 0], np.arange(len(used)), origins, ends)])  # (S, O, H, Q)
        actual = np.stack([sliding_window_view(y[-rows:], horizon) for y in used])  # (S, O, H)
        simple = np.stack([seasonal_naive_forecast(y, np.arange(o, e), horizon, self.season_)
                           for y, o, e in zip(used, origins, ends, strict=True)])
        point, shape = forecasts[..., 0], actual.shape
        weights = series_weights(point.reshape(len(used), -1), simple.reshape(len(used), -1),
                                 actual.reshape(len(used), -1))
        self.weights_ = dict(zip(self.series_, weights.tolist(), strict=True))
        combined = weights[:, None, None] * point + (1 - weights[:, None, None]) * simple
        scales = np.array([mase_scale(y[:-rows], self.season_) for y in used])
        self.conformal_, self.validation_ = {}, {
            "series": len(used), "origins": int(np.prod(shape[:2])),
            "smape_hybrid": _smape(point, actual), "smape": _smape(combined, actual),
            "weight_mean": float(weights.mean()), "simple_only": int((weights == 0).sum())}
        for j, level in enumerate(self.intervals):
            sigma = error_sizes(forecasts[..., 1 + 2 * j].reshape(-1, horizon),
                                forecasts[..., 2 + 2 * j].reshape(-1, horizon),
                                scales.repeat(shape[1]))
            self.conformal_[level] = conformal_quantiles(
                (combined - actual).reshape(-1, horizon), sigma, level)

    # -- forecasting -----------------------------------------------------------------------
    def _forecast(self, values: np.ndarray, rows: np.ndarray, origins: list[int],
                  ends: list[int]) -> list[tuple[np.ndarray, np.ndarray]]:
        """The ensemble's quantile forecasts from the origins ``origins[k]`` to ``ends[k] - 1``
        of each packed series: per series (origins, H, Q), the members' median, and the
        members' spread of the point forecast (origins, H). Series of similar length go
        through together, each batch cut after its last origin (the forecasts are causal)."""
        out: list = [None] * len(values)
        device = next(self.members_[0].parameters()).device
        order = np.argsort(ends, kind="stable")
        for start in range(0, len(values), PREDICT_SERIES):
            batch = order[start: start + PREDICT_SERIES]
            steps = max(ends[k] for k in batch)
            v = torch.from_numpy(np.ascontiguousarray(values[batch, :steps], dtype=np.float32))
            r = torch.from_numpy(rows[batch]).long()
            first = min(origins[k] for k in batch)
            members = torch.stack([m.forecast(v.to(device), r.to(device), first)
                                   for m in self.members_]).cpu().double()
            median = members.median(dim=0).values.numpy()
            spread = members[..., 0].std(dim=0, correction=0).numpy()
            for row, k in enumerate(batch):
                rows_k = slice(origins[k] - first, ends[k] - first)
                out[k] = (median[row, rows_k], spread[row, rows_k])
        return out

    def predict_panel(self, panel: dict[str, pd.DataFrame],
                      origins_from: dict[str, int] | None = None, futures=None
                      ) -> dict[str, WindowForecasts]:
        """Forecasts from every origin of each series from ``origins_from[id]`` (a row of its
        frame; default: every origin with a full window) to its end, with the intervals, as
        the Forecaster's (``backtest`` and ``predict`` read them). The frames must start
        where the training frames did (the smoothing runs from the first row it learned)."""
        self.check_fitted()
        smoothing_row = {key: k for k, key in enumerate(self.series_)}
        fallback = set(self.fallback_)
        unknown = [key for key in panel if key not in smoothing_row and key not in fallback]
        if unknown:
            raise InputError(f"series {', '.join(unknown[:5])} were not in the training data; "
                             f"this model knows {len(self.series_) + len(self.fallback_)} series")
        origins_from = origins_from or {}
        result, keys, series, offsets, origins = {}, [], [], [], []
        for key, frame in panel.items():
            raw = frame[self.target].to_numpy(float)
            if key in fallback:
                result[key] = self._fallback(raw, origins_from.get(key, 0))
                continue
            offset = _row_of(frame, self.starts_[key], key)
            y = positive_values(key, raw[offset:], self.target)
            keys.append(key)
            series.append(y)
            offsets.append(offset)
            origins.append(min(max(origins_from.get(key, 0) - offset, self.lookback_ - 1),
                               len(y) - 1))
        if keys:
            x = packed_series(series, [smoothing_row[key] for key in keys], 0)
            forecasts = self._forecast(x[..., 0], x[:, 0, 2].astype(np.int64), origins,
                                       [len(y) for y in series])
        for k, key in enumerate(keys):
            raw = panel[key][self.target].to_numpy(float)
            f, spread = forecasts[k]
            rows = offsets[k] + origins[k] + np.arange(len(f))
            weight, point = self.weights_[key], f[..., 0]
            mean = weight * point + (1 - weight) * seasonal_naive_forecast(
                raw, rows, self.horizon, self.season_)
            scale = np.array([self.mase_scales_[key]])
            bands = {}
            for j, level in enumerate(self.intervals):
                half = self.conformal_[level] * error_sizes(f[..., 1 + 2 * j], f[..., 2 + 2 * j],
                                                           scale.repeat(len(f)))
                bands[level] = (np.maximum(mean - half, 0), mean + half)
            result[key] = WindowForecasts(
                last=raw[rows], mean=mean, spread=spread, origin_rows=rows, series=raw,
                network=point, bands=bands, first=int(rows[0]))
        return {key: result[key] for key in panel}

    def _fallback(self, raw: np.ndarray, origins_from: int) -> WindowForecasts:
        """Seasonal naive from the origins at ``origins_from`` and later (no intervals)."""
        rows = np.arange(min(max(origins_from, 0), len(raw) - 1), len(raw))
        mean = seasonal_naive_forecast(raw, rows, self.horizon, self.season_)
        return WindowForecasts(last=raw[rows], mean=mean, spread=np.zeros_like(mean),
                               origin_rows=rows, series=raw, first=int(rows[0]))

    def predict(self, data, steps: int | None = None, future_data=None) -> pd.DataFrame:
        """The next ``steps`` (default: horizon) values after ``data``, laid out as the
        Forecaster's ``predict`` (rolled forward past the horizon, intervals up to it).
        ``future_data`` is refused: the hybrid reads the target alone."""
        self.check_fitted()
        if future_data is not None:
            raise InputError("the hybrid reads the target alone: it has no use for "
                             "`future_data` (known columns need --model lstm)")
        return roll_forward(self, to_panel(self, data), self.horizon if steps is None else steps)

    # -- persistence -----------------------------------------------------------------------
    def to(self, device: str) -> "HybridForecaster":
        """The members moved to ``device``."""
        self.check_fitted()
        self.members_ = [m.to(device) for m in self.members_]
        return self

    def save(self, path: str | Path, data: dict | None = None, run: dict | None = None) -> None:
        """Write the fitted hybrid as an rnnkit model folder (:mod:`.files`); ``data``: how
        to read its data again, ``run``: how it was trained."""
        self.check_fitted()
        save_model(path, "HybridForecaster", *hybrid_record(self, data or {}, run or {}))

    @classmethod
    def load(cls, path: str | Path) -> "HybridForecaster":
        """Rebuild a fitted hybrid from a folder written by ``save`` (no unpickling);
        ``data_`` holds the data record saved with it."""
        tensors, config = load_model(path, "HybridForecaster")
        with rebuilding(path):
            return restore_hybrid(cls, tensors, config)


def _row_of(frame: pd.DataFrame, start, key: str) -> int:
    """The row of ``frame`` at the time ``start`` (where the smoothing begins)."""
    try:
        row = frame.index.get_loc(start)
    except KeyError:
        raise InputError(f"series {key or 'the series'} must start at or before {start}, "
                         "where the hybrid's smoothing began learning it") from None
    if not isinstance(row, int):
        raise InputError(f"series {key or 'the series'}: its time {start} appears twice")
    return row


def _smape(forecast: np.ndarray, actual: np.ndarray) -> float:
    """The mean sMAPE (percent) of forecasts (S, H)."""
    return float(np.mean(200 * np.abs(actual - forecast) / (np.abs(actual) + np.abs(forecast))))


__all__ = ["HybridForecaster"]
