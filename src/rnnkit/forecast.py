"""Forecasting a series with a recurrent network, scored honestly against naive baselines.

The tutorial's walkthrough, done right, for any series:
- features, encodings and scalers are chosen and fitted inside ``fit`` on the rows it is given
  (the training part) only; the tutorial fits its MinMaxScaler on the whole series, so the test
  prices leak into training through the scale;
- every window belongs to one part by its targets; the validation slice is the end of the
  training part; the test part is never seen until ``backtest``;
- training is mini-batched (never one window per optimizer step);
- by default the encoding follows the data (:func:`rnnkit.features.choose_encoding`): log
  returns for a strictly positive, price-like series, y_h = log(p_{t+h} / p_t), from inputs
  that carry no price level; otherwise the level relative to each window's last value in and
  differences out, which work for any sign. Explicit ``features`` / ``target_kind`` /
  ``window_norm`` win; ``features=("level",)``, ``target_kind="level"``, ``scaler="minmax"`` is
  the tutorial's set-up.
:mod:`rnnkit.backtest` scores it beside the naive, seasonal-naive and drift forecasts.
"""

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from rnnkit._checks import (
    InputError,
    check_choice,
    check_in_range,
    check_non_negative_int,
    check_positive_int,
)
from rnnkit.data import (
    TARGET_KINDS,
    WINDOW_NORMS,
    Scaler,
    Split,
    chronological_split,
    decode_targets,
    encode_targets,
    future_index,
    input_windows,
    last_values,
    normalize_windows,
    target_base,
    window_parts,
)
from rnnkit.features import Encoding, choose_encoding, derive_features
from rnnkit.metrics import infer_season, mase_scale
from rnnkit.window_models import WINDOW_MODELS, NetworkRegressor, WindowModel

AUTO = "auto"


class Forecaster:
    """A recurrent forecaster with scikit-learn habits: ``fit``, ``predict``, ``score``.

    Parameters are stored as given; ``fit`` builds ``models_`` (one fitted copy of ``model`` per
    ensemble member), ``encoding_`` (the features, target kind and window normalisation used,
    with the reason), ``season_``, ``input_scaler_``, ``target_scaler_``, ``history_`` and
    ``mase_scale_``.

    Parameters
    ----------
    model : the window model, unfitted (:mod:`rnnkit.window_models`): a ``NetworkRegressor``
        (a recurrent stack trained through time) or a ``ReservoirRegressor`` (an echo state
        network with a ridge readout). The Forecaster only windows, scales and decodes.
    features : model inputs per time step: "level" (the target itself, scaled), derived series
        of the target ("log_return", "return", "ma20", "vol20", ...), the calendar ("hour",
        "dow", "month") and ``covariates``; "auto": chosen from the training data.
    target_kind : what the network predicts for step h: "log_return" log(p_{t+h}/p_t),
        "diff" p_{t+h} - p_t, "sdiff" p_{t+h} minus the seasonal naive forecast of it,
        "level" p_{t+h} (the tutorial), or "auto".
    window_norm : "last" or "mean" takes each window's own last value (or mean) off its level
        and covariate inputs (the window normalisation of NLinear / RevIN), "none", or "auto"
        ("last" when the level is an input and the target is relative to the last value).
    season : the seasonal period m of the naive-seasonal baseline and of MASE; 0 = inferred
        from the index (:func:`rnnkit.metrics.infer_season`).
    ensemble : members trained with seeds seed, seed+1, ...; forecasts are their mean.

    Example
    -------
    >>> import numpy as np, pandas as pd
    >>> from rnnkit.train import TrainConfig
    >>> idx = pd.bdate_range("2020-01-01", periods=120)
    >>> series = pd.Series(100 + np.sin(np.arange(120) / 5), index=idx, name="y")
    >>> model = NetworkRegressor(train=TrainConfig(epochs=2))
    >>> f = Forecaster(model, lookback=10, horizon=2, target="y").fit(series)
    >>> f.predict(series).shape, f.encoding_.target_kind
    ((2, 1), 'log_return')
    """

    def __init__(
        self, model: WindowModel = NetworkRegressor(), lookback: int = 60, horizon: int = 1,
        target: str = "Close", covariates: tuple[str, ...] = (),
        features: tuple[str, ...] | str = AUTO, target_kind: str = AUTO,
        window_norm: str = AUTO, season: int = 0, scaler: str = "standard",
        val_fraction: float = 0.1, ensemble: int = 1,
    ) -> None:
        self.model = model
        self.lookback = lookback
        self.horizon = horizon
        self.target = target
        self.covariates = covariates
        self.features = features
        self.target_kind = target_kind
        self.window_norm = window_norm
        self.season = season
        self.scaler = scaler
        self.val_fraction = val_fraction
        self.ensemble = ensemble

    def get_params(self) -> dict:
        """The constructor's arguments, as given (scikit-learn's get_params)."""
        return {name: getattr(self, name) for name in _PARAMS}

    # -- checks ----------------------------------------------------------------------------
    def check_params(self) -> None:
        """Raise InputError for a bad hyperparameter (``fit`` calls it; a job calls it early)."""
        check_positive_int("lookback", self.lookback)
        check_positive_int("horizon", self.horizon)
        check_positive_int("ensemble", self.ensemble)
        check_non_negative_int("season", self.season)
        check_choice("target_kind", self.target_kind, (*TARGET_KINDS, AUTO))
        check_choice("window_norm", self.window_norm, (*WINDOW_NORMS, AUTO))
        check_in_range("val_fraction", self.val_fraction, 0.0, 0.5, high_open=True)
        if not self.features and not self.covariates:
            raise InputError("features and covariates are both empty: the model needs inputs")

    def check(self, data: pd.DataFrame | pd.Series, test_fraction: float = 0.2,
              future: int = 0) -> Encoding:
        """Every check ``backtest`` and ``predict(steps=future)`` make, without training.

        Raises InputError for what cannot succeed: too few rows for lookback + horizon in the
        fitting, validation or test part, an encoding the data cannot take, future steps past
        the horizon with covariates. Returns the encoding ``fit`` will choose.
        """
        self.check_params()
        if future > self.horizon and self.covariates:
            raise InputError(f"--future {future} > --horizon {self.horizon} needs future values "
                             f"of the covariates {', '.join(self.covariates)}: set --future "
                             f"{self.horizon} or fewer, or drop --covariates")
        frame = as_frame(data, self.target)
        split = chronological_split(len(frame), test_fraction=test_fraction, val_fraction=0.0)
        probe = Forecaster(**self.get_params())
        probe._targets(frame.iloc[: split.train_end])
        usable = len(probe._inputs(frame)[1])
        train_end = split.train_end - (len(frame) - usable)
        window_parts(Split(usable, train_end, train_end), self.lookback, self.horizon)
        return probe.encoding_

    # -- fitting ---------------------------------------------------------------------------
    def _resolve(self, frame: pd.DataFrame) -> None:
        """Choose the season and the encoding from the training rows; explicit values win."""
        self.season_ = self.season or infer_season(frame.index)
        values = frame[self.target].to_numpy(float)
        chosen = choose_encoding(values, frame.index, self.season_)
        features = chosen.features if self.features == AUTO else tuple(self.features)
        kind = chosen.target_kind if self.target_kind == AUTO else self.target_kind
        norm = self.window_norm
        if norm == AUTO:
            norm = "last" if "level" in features and kind != "level" else "none"
        given = (self.features, self.target_kind, self.window_norm) != (AUTO, AUTO, AUTO)
        reason = chosen.reason if not given else "set by the caller" + (
            f" (auto would have chosen: {chosen.reason})" if features != chosen.features
            or kind != chosen.target_kind else "")
        self.encoding_ = Encoding(features, kind, norm, reason)

    def _inputs(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
        """The model's input columns and the target, computed causally (first rows dropped)."""
        features = self.encoding_.features
        derived = [f for f in features if f != "level"]
        table = derive_features(frame, self.target, list(self.covariates), derived)
        inputs = table if "level" in features else table.drop(columns=self.target)
        return inputs, table[self.target]

    def _windows(self, inputs: pd.DataFrame) -> np.ndarray:
        """Scaled, window-normalised input windows of every origin: (N - L + 1, L, F)."""
        x = input_windows(self.input_scaler_.transform(inputs.to_numpy(float)), self.lookback)
        levels = [i for i, c in enumerate(inputs.columns)
                  if c == self.target or c in self.covariates]
        return normalize_windows(x, levels, self.encoding_.window_norm)

    def _targets(self, frame: pd.DataFrame):
        """The encoding chosen and the training rows cut: (inputs, split, window parts, y)."""
        self._resolve(frame)
        inputs, series = self._inputs(frame)
        _check_series(series, self.target)
        split = chronological_split(len(inputs), test_fraction=0.0,
                                    val_fraction=self.val_fraction)
        parts = window_parts(split, self.lookback, self.horizon)
        y = encode_targets(series.to_numpy(float), self.lookback, self.horizon,
                           self.encoding_.target_kind, self.season_)
        return inputs, split, parts, y

    def fit(self, data: pd.DataFrame | pd.Series, *, checkpoint_dir: str | Path | None = None,
            resume: bool = False, on_epoch=None) -> "Forecaster":
        """Train on ``data`` (the training part only), validating on its last rows.

        The encoding and season are chosen, the input scaler fitted on the rows before the
        validation slice and the target scaler on the fitting windows' targets; nothing else
        of ``data`` is used to fit them.
        """
        self.check_params()
        frame = as_frame(data, self.target)
        inputs, split, parts, y = self._targets(frame)
        self.input_scaler_ = Scaler(self.scaler).fit(inputs.to_numpy(float)[: split.fit_end])
        self.target_scaler_ = Scaler("standard").fit(y[parts["fit"]])
        x, y = self._windows(inputs)[: len(y)], self.target_scaler_.transform(y)
        fit, val = parts["fit"], parts["val"]
        validation = (x[val], y[val]) if val.stop > val.start else None
        record = {"forecaster": self._params_record()}
        self.models_ = []
        for k in range(self.ensemble):
            directory = None if checkpoint_dir is None else Path(checkpoint_dir) / f"m{k}"
            member = self.model.reseeded(self.model.seed + k)
            self.models_.append(member.fit(x[fit], y[fit], validation, record=record,
                                           checkpoint_dir=directory, resume=resume,
                                           on_epoch=on_epoch))
        self.history_ = [m.history_ for m in self.models_]
        self.num_features_in_ = x.shape[-1]
        self.mase_scale_ = mase_scale(frame[self.target].to_numpy(float), self.season_)
        self.train_end_ = frame.index[-1]
        return self

    # -- forecasting -----------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "models_"):
            raise InputError("this Forecaster is not fitted yet: call fit first")

    def predict_windows(self, data: pd.DataFrame | pd.Series) -> "WindowForecasts":
        """Forecast from every window of ``data``, the last one (ending at its last row) included.

        Inputs are causal and the scalers come from ``fit``, so any part of ``data`` may be
        scored; :func:`backtest` keeps the windows whose targets all lie in the test part.
        """
        self._check_fitted()
        frame = as_frame(data, self.target)
        inputs, series = self._inputs(frame)
        if len(inputs) < self.lookback:
            raise InputError(f"need at least lookback={self.lookback} usable rows, got "
                             f"{len(inputs)}")
        x = self._windows(inputs)
        values = series.to_numpy(float)
        last = last_values(values, self.lookback, len(x))
        kind = self.encoding_.target_kind
        base = target_base(values, self.lookback, len(x), self.horizon, kind, self.season_)
        decoded = np.stack([decode_targets(self.target_scaler_.inverse_transform(m.predict(x)),
                                           base, kind) for m in self.models_])
        first_origin = len(frame) - len(inputs) + self.lookback - 1  # the row in ``frame``
        return WindowForecasts(origins=inputs.index[self.lookback - 1 :], last=last,
                               mean=decoded.mean(axis=0), spread=decoded.std(axis=0),
                               origin_rows=np.arange(first_origin, len(frame)), series=values)

    def predict(self, data: pd.DataFrame | pd.Series, steps: int | None = None) -> pd.DataFrame:
        """Forecast ``steps`` (default: horizon) values after the end of ``data``.

        Beyond the horizon the forecast rolls forward, feeding its own predictions back as
        observed values; that needs inputs derived from the target and the calendar alone (no
        covariates). Returns a DataFrame indexed by the future times (business days for
        weekday-only daily data) with the target's column and, for an ensemble, its spread.
        """
        self._check_fitted()
        steps = self.horizon if steps is None else check_positive_int("steps", steps)
        if steps > self.horizon and self.covariates:
            raise InputError(f"steps ({steps}) > horizon ({self.horizon}) needs future values "
                             f"of the covariates; raise --horizon instead")
        frame = as_frame(data, self.target)[[self.target, *self.covariates]]
        values, spreads, times = [], [], []
        while len(values) < steps:
            last = self.predict_windows(frame)
            mean, spread = last.mean[-1], last.spread[-1]
            future = future_index(frame.index, len(mean))
            values += list(mean)
            spreads += list(spread)
            times += list(future)
            frame = pd.concat([frame, pd.DataFrame({self.target: mean}, index=future)])
        index = pd.Index(times[:steps], name=frame.index.name)
        result = pd.DataFrame({self.target: values[:steps]}, index=index)
        if self.ensemble > 1:
            result["spread"] = spreads[:steps]
        return result

    def score(self, data: pd.DataFrame | pd.Series, test_fraction: float = 0.2) -> float:
        """Skill against the naive forecast on the test part: 1 - MSE_model / MSE_naive."""
        from rnnkit.backtest import backtest

        return backtest(self, data, test_fraction, refit=False).metrics["skill"]

    # -- persistence -----------------------------------------------------------------------
    def _params_record(self) -> dict:
        """The hyperparameters as JSON (the window model as its kind and parameters)."""
        record = {name: getattr(self, name) for name in _PARAMS if name != "model"}
        record["covariates"] = list(self.covariates)
        record["features"] = self.features if self.features == AUTO else list(self.features)
        return record | {"model": {"kind": self.model.kind, "params": self.model.params()}}

    def save(self, path: str | Path, data: dict | None = None) -> None:
        """Write the fitted forecaster as an rnnkit model folder (:func:`rnnkit.io.save_model`).

        ``data`` (e.g. the file and columns it was trained on) is kept with it, for ``predict``.
        """
        from rnnkit.io import save_model

        self._check_fitted()
        tensors = {f"member{k}.{name}": t.detach().contiguous()
                   for k, member in enumerate(self.models_)
                   for name, t in member.tensors().items()}
        save_model(path, "Forecaster", tensors, {
            "forecaster": self._params_record(), "encoding": asdict(self.encoding_),
            "season": self.season_, "input_scaler": self.input_scaler_.to_dict(),
            "target_scaler": self.target_scaler_.to_dict(),
            "num_features_in": self.num_features_in_, "mase_scale": self.mase_scale_,
            "train_end": _json_time(self.train_end_), "data": data or {}})

    @classmethod
    def load(cls, path: str | Path) -> "Forecaster":
        """Rebuild a fitted Forecaster from a folder written by ``save`` (no unpickling).

        ``data_`` holds the ``data`` record saved with it.
        """
        from rnnkit.io import load_model

        tensors, config = load_model(path, "Forecaster")
        params = dict(config["forecaster"])
        kind, model_params = params["model"]["kind"], params["model"]["params"]
        model = WINDOW_MODELS[kind].from_params(model_params)
        features = params["features"]
        params |= {"model": model, "covariates": tuple(params["covariates"]),
                   "features": features if features == AUTO else tuple(features)}
        forecaster = cls(**params)
        forecaster.models_ = []
        for k in range(forecaster.ensemble):
            prefix = f"member{k}."
            own = {n[len(prefix):]: t for n, t in tensors.items() if n.startswith(prefix)}
            forecaster.models_.append(model.reseeded(model.seed + k).load_tensors(own))
        encoding = config["encoding"]
        forecaster.encoding_ = Encoding(**encoding | {"features": tuple(encoding["features"])})
        forecaster.season_ = config["season"]
        forecaster.input_scaler_ = Scaler.from_dict(config["input_scaler"])
        forecaster.target_scaler_ = Scaler.from_dict(config["target_scaler"])
        forecaster.num_features_in_ = config["num_features_in"]
        forecaster.mase_scale_ = config["mase_scale"]
        end = config["train_end"]
        forecaster.train_end_ = pd.Timestamp(end) if isinstance(end, str) else end
        forecaster.data_ = config["data"]
        forecaster.history_ = []
        return forecaster


_PARAMS = ("model", "lookback", "horizon", "target", "covariates", "features", "target_kind",
           "window_norm", "season", "scaler", "val_fraction", "ensemble")


@dataclass(frozen=True)
class WindowForecasts:
    """Forecasts from every origin t of a series: values ``mean`` (M, H) and member ``spread``.

    ``origin_rows`` are the origins' rows in the frame given to ``predict_windows``; ``last``
    and ``series`` are the target's values at the origins and on every usable row.
    """

    origins: pd.Index
    last: np.ndarray
    mean: np.ndarray
    spread: np.ndarray
    origin_rows: np.ndarray
    series: np.ndarray


def as_frame(data: pd.DataFrame | pd.Series, target: str) -> pd.DataFrame:
    """``data`` as a DataFrame holding the column ``target`` (a Series becomes one column)."""
    if isinstance(data, pd.Series):
        data = data.to_frame(target if data.name is None else data.name)
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame or Series, got {type(data).__name__}")
    if target not in data.columns:
        raise InputError(f"target column {target!r} not found; columns: {list(data.columns)}")
    return data


def _json_time(time) -> str | int:
    """A row's time as JSON: an ISO date string, or the integer step."""
    return str(time) if isinstance(time, pd.Timestamp) else int(time)


def _check_series(prices: pd.Series, target: str) -> None:
    values = prices.to_numpy(float)
    if np.isnan(values).any():
        raise InputError(f"column {target!r} has NaN values left after cleaning")
    if np.ptp(values) == 0:
        raise InputError(f"column {target!r} is constant: there is nothing to forecast")


__all__ = ["Forecaster", "WindowForecasts"]
