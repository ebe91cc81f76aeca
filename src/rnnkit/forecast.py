"""Forecasting a series with a recurrent network, scored honestly against naive baselines.

The tutorial's walkthrough, done right:
- features and scalers are fitted inside ``fit`` on the rows it is given (the training part)
  only; the tutorial fits its MinMaxScaler on the whole series, so the test prices leak into
  training through the scale;
- every window belongs to one part by its targets; the validation slice is the end of the
  training part; the test part is never seen until ``backtest``;
- training is mini-batched (never one window per optimizer step);
- by default the model predicts log returns relative to the last observed value,
  y_h = log(p_{t+h} / p_t), from window inputs that carry no price level, so a test period
  priced above everything in training needs no extrapolation; ``target_kind="level"`` with
  ``features=("level",)`` and ``scaler="minmax"`` is the tutorial's set-up.
"""

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from rnnkit._checks import InputError, check_choice, check_in_range, check_positive_int
from rnnkit.data import (
    TARGET_KINDS,
    Scaler,
    Split,
    chronological_split,
    decode_targets,
    derive_features,
    encode_targets,
    input_windows,
    last_values,
    window_parts,
)
from rnnkit.metrics import drift_forecast, forecast_metrics, in_sample_naive_mae, naive_forecast
from rnnkit.window_models import WINDOW_MODELS, NetworkRegressor, WindowModel


class Forecaster:
    """A recurrent forecaster with scikit-learn habits: ``fit``, ``predict``, ``score``.

    Parameters are stored as given; ``fit`` builds ``models_`` (one fitted copy of ``model`` per
    ensemble member), ``input_scaler_``, ``target_scaler_``, ``history_`` and ``mase_scale_``.

    Parameters
    ----------
    model : the window model, unfitted (:mod:`rnnkit.window_models`): a ``NetworkRegressor``
        (a recurrent stack trained through time) or a ``ReservoirRegressor`` (an echo state
        network with a ridge readout). The Forecaster only windows, scales and decodes.
    features : model inputs per time step: "level" (the target itself, scaled), derived series
        of the target ("log_return", "return", "ma20", "vol20", ...) and ``covariates``.
    target_kind : what the network predicts for step h: "log_return" log(p_{t+h}/p_t),
        "diff" p_{t+h} - p_t, or "level" p_{t+h} (the tutorial).
    ensemble : members trained with seeds seed, seed+1, ...; forecasts are their mean.

    Example
    -------
    >>> import numpy as np, pandas as pd
    >>> from rnnkit.train import TrainConfig
    >>> idx = pd.bdate_range("2020-01-01", periods=120)
    >>> series = pd.Series(100 + np.sin(np.arange(120) / 5), index=idx, name="y")
    >>> model = NetworkRegressor(train=TrainConfig(epochs=2))
    >>> f = Forecaster(model, lookback=10, horizon=2, target="y").fit(series)
    >>> f.predict(series).shape
    (2, 1)
    """

    def __init__(
        self, model: WindowModel = NetworkRegressor(), lookback: int = 60, horizon: int = 1,
        target: str = "Close", covariates: tuple[str, ...] = (),
        features: tuple[str, ...] = ("log_return",), target_kind: str = "log_return",
        scaler: str = "standard", val_fraction: float = 0.1, ensemble: int = 1,
    ) -> None:
        self.model = model
        self.lookback = lookback
        self.horizon = horizon
        self.target = target
        self.covariates = covariates
        self.features = features
        self.target_kind = target_kind
        self.scaler = scaler
        self.val_fraction = val_fraction
        self.ensemble = ensemble

    def get_params(self) -> dict:
        """The constructor's arguments, as given (scikit-learn's get_params)."""
        return {name: getattr(self, name) for name in _PARAMS}

    # -- fitting ---------------------------------------------------------------------------
    def check_params(self) -> None:
        """Raise InputError for a bad hyperparameter (``fit`` calls it; a job calls it early)."""
        check_positive_int("lookback", self.lookback)
        check_positive_int("horizon", self.horizon)
        check_positive_int("ensemble", self.ensemble)
        check_choice("target_kind", self.target_kind, TARGET_KINDS)
        check_in_range("val_fraction", self.val_fraction, 0.0, 0.5, high_open=True)
        if not self.features and not self.covariates:
            raise InputError("features and covariates are both empty: the model needs inputs")

    def _inputs(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
        """The model's input columns and the target, computed causally (first rows dropped)."""
        derived = [f for f in self.features if f != "level"]
        table = derive_features(frame, self.target, list(self.covariates), derived)
        columns = ([self.target] if "level" in self.features else []) + list(
            self.covariates) + derived
        return table[columns], table[self.target]

    def fit(self, data: pd.DataFrame | pd.Series, *, checkpoint_dir: str | Path | None = None,
            resume: bool = False, on_epoch=None) -> "Forecaster":
        """Train on ``data`` (the training part only), validating on its last rows.

        The input scaler is fitted on the rows before the validation slice, the target scaler
        on the fitting windows' targets; nothing else of ``data`` is used to fit them.
        """
        self.check_params()
        frame = _as_frame(data, self.target)
        inputs, series = self._inputs(frame)
        _check_series(series, self.target)
        split = chronological_split(len(inputs), test_fraction=0.0,
                                    val_fraction=self.val_fraction)
        parts = window_parts(split, self.lookback, self.horizon)
        values = inputs.to_numpy(float)
        self.input_scaler_ = Scaler(self.scaler).fit(values[: split.fit_end])
        y = encode_targets(series.to_numpy(float), self.lookback, self.horizon, self.target_kind)
        x = input_windows(self.input_scaler_.transform(values), self.lookback)[: len(y)]
        self.target_scaler_ = Scaler("standard").fit(y[parts["fit"]])
        y = self.target_scaler_.transform(y)
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
        self.mase_scale_ = in_sample_naive_mae(frame[self.target].to_numpy(float))
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
        frame = _as_frame(data, self.target)
        inputs, series = self._inputs(frame)
        if len(inputs) < self.lookback:
            raise InputError(f"need at least lookback={self.lookback} usable rows, got "
                             f"{len(inputs)}")
        x = input_windows(self.input_scaler_.transform(inputs.to_numpy(float)), self.lookback)
        values = series.to_numpy(float)
        last = last_values(values, self.lookback, len(x))
        decoded = np.stack([
            decode_targets(self.target_scaler_.inverse_transform(m.predict(x)), last,
                           self.target_kind) for m in self.models_])
        first_origin = len(frame) - len(inputs) + self.lookback - 1  # the row in ``frame``
        return WindowForecasts(origins=inputs.index[self.lookback - 1 :], last=last,
                               mean=decoded.mean(axis=0), spread=decoded.std(axis=0),
                               origin_rows=np.arange(first_origin, len(frame)), series=values)

    def predict(self, data: pd.DataFrame | pd.Series, steps: int | None = None) -> pd.DataFrame:
        """Forecast ``steps`` (default: horizon) values after the end of ``data``.

        Beyond the horizon the forecast rolls forward, feeding its own predictions back as
        observed values; that needs inputs derived from the target alone (no covariates).
        Returns a DataFrame indexed by the future dates (business days for daily data) with
        the target's column and, for an ensemble, its spread.
        """
        self._check_fitted()
        steps = self.horizon if steps is None else check_positive_int("steps", steps)
        if steps > self.horizon and self.covariates:
            raise InputError(f"steps ({steps}) > horizon ({self.horizon}) needs future values "
                             f"of the covariates; raise --horizon instead")
        frame = _as_frame(data, self.target)[[self.target, *self.covariates]]
        values, spreads, dates = [], [], []
        while len(values) < steps:
            last = self.predict_windows(frame)
            mean, spread = last.mean[-1], last.spread[-1]
            future = _future_dates(frame.index, len(mean))
            values += list(mean)
            spreads += list(spread)
            dates += list(future)
            frame = pd.concat([frame, pd.DataFrame({self.target: mean}, index=future)])
        result = pd.DataFrame({self.target: values[:steps]}, index=pd.DatetimeIndex(
            dates[:steps], name="date"))
        if self.ensemble > 1:
            result["spread"] = spreads[:steps]
        return result

    def score(self, data: pd.DataFrame | pd.Series, test_fraction: float = 0.2) -> float:
        """Skill against the naive forecast on the test part: 1 - MSE_model / MSE_naive."""
        return backtest(self, data, test_fraction, refit=False).metrics["skill"]

    # -- persistence -----------------------------------------------------------------------
    def _params_record(self) -> dict:
        """The hyperparameters as JSON (the window model as its kind and parameters)."""
        record = {name: getattr(self, name) for name in _PARAMS if name != "model"}
        record["covariates"], record["features"] = list(self.covariates), list(self.features)
        return record | {"model": {"kind": self.model.kind, "params": self.model.params()}}

    def save(self, path: str | Path) -> None:
        """Write the fitted forecaster as an rnnkit model folder (:func:`rnnkit.io.save_model`)."""
        from rnnkit.io import save_model

        self._check_fitted()
        tensors = {f"member{k}.{name}": t.detach().contiguous()
                   for k, member in enumerate(self.models_)
                   for name, t in member.tensors().items()}
        save_model(path, "Forecaster", tensors, {
            "forecaster": self._params_record(), "input_scaler": self.input_scaler_.to_dict(),
            "target_scaler": self.target_scaler_.to_dict(),
            "num_features_in": self.num_features_in_, "mase_scale": self.mase_scale_,
            "train_end": str(self.train_end_)})

    @classmethod
    def load(cls, path: str | Path) -> "Forecaster":
        """Rebuild a fitted Forecaster from a folder written by ``save`` (no unpickling)."""
        from rnnkit.io import load_model

        tensors, config = load_model(path, "Forecaster")
        params = dict(config["forecaster"])
        kind, model_params = params["model"]["kind"], params["model"]["params"]
        model = WINDOW_MODELS[kind].from_params(model_params)
        params |= {"model": model, "covariates": tuple(params["covariates"]),
                   "features": tuple(params["features"])}
        forecaster = cls(**params)
        forecaster.models_ = []
        for k in range(forecaster.ensemble):
            prefix = f"member{k}."
            own = {n[len(prefix):]: t for n, t in tensors.items() if n.startswith(prefix)}
            forecaster.models_.append(model.reseeded(model.seed + k).load_tensors(own))
        forecaster.input_scaler_ = Scaler.from_dict(config["input_scaler"])
        forecaster.target_scaler_ = Scaler.from_dict(config["target_scaler"])
        forecaster.num_features_in_ = config["num_features_in"]
        forecaster.mase_scale_ = config["mase_scale"]
        forecaster.train_end_ = pd.Timestamp(config["train_end"])
        forecaster.history_ = []
        return forecaster


_PARAMS = ("model", "lookback", "horizon", "target", "covariates", "features", "target_kind",
           "scaler", "val_fraction", "ensemble")


@dataclass(frozen=True)
class WindowForecasts:
    """Forecasts from every origin t of a series: values ``mean`` (M, H) and member ``spread``.

    ``origin_rows`` are the origins' rows in the frame given to ``predict_windows``; ``last``
    and ``series`` are the target's values at the origins and on every usable row.
    """

    origins: pd.DatetimeIndex
    last: np.ndarray
    mean: np.ndarray
    spread: np.ndarray
    origin_rows: np.ndarray
    series: np.ndarray


@dataclass
class Backtest:
    """The test-part figures of one model beside the naive and drift baselines."""

    metrics: dict
    predictions: pd.DataFrame
    forecaster: Forecaster


def backtest(forecaster: Forecaster, data: pd.DataFrame | pd.Series, test_fraction: float = 0.2,
             refit: bool = True, **fit_kwargs) -> Backtest:
    """Fit on the first rows, score model, naive and drift on the last ``test_fraction``.

    The test part is the last rows of ``data`` (the tutorial's ceil(0.8 N) split). Scored
    origins are those whose H targets all lie in the test part (:func:`~rnnkit.data.window_parts`),
    the same for every forecaster. Metrics are in the target's units; "skill" is
    1 - MSE_model / MSE_naive (> 0: beats naive).
    """
    frame = _as_frame(data, forecaster.target)
    split = chronological_split(len(frame), test_fraction=test_fraction, val_fraction=0.0)
    if split.train_end >= len(frame):
        raise InputError(f"test_fraction={test_fraction} leaves no test rows")
    if refit:
        forecaster.fit(frame.iloc[: split.train_end], **fit_kwargs)
    windows = forecaster.predict_windows(frame)
    h, lookback = forecaster.horizon, forecaster.lookback
    usable = len(windows.series)  # rows left after the derived features' first ones
    train_end = split.train_end - (len(frame) - usable)
    test = window_parts(Split(usable, train_end, train_end), lookback, h)["test"]
    actual = encode_targets(windows.series, lookback, h, "level")[test]  # p_{t+1} .. p_{t+h}
    last = windows.last[test]
    model = windows.mean[test]
    naive = naive_forecast(last, h)
    # the drift baseline sees the whole raw series up to each origin, whatever the model's inputs
    origin_rows = windows.origin_rows[test]
    drift = drift_forecast(frame[forecaster.target].to_numpy(float), origin_rows, h)
    scale = forecaster.mase_scale_
    metrics = {"model": forecast_metrics(actual, model, last, scale),
               "naive": forecast_metrics(actual, naive, last, scale),
               "drift": forecast_metrics(actual, drift, last, scale)}
    metrics["skill"] = 1.0 - metrics["model"]["mse"] / metrics["naive"]["mse"]
    predictions = pd.DataFrame({
        "date": frame.index[origin_rows + 1], "actual": actual[:, 0], "model": model[:, 0],
        "naive": naive[:, 0], "drift": drift[:, 0]})
    if forecaster.ensemble > 1:
        predictions["spread"] = windows.spread[test][:, 0]
    return Backtest(metrics, predictions, forecaster)


def walk_forward(forecaster: Forecaster, data: pd.DataFrame | pd.Series, folds: int = 3,
                 test_fraction: float = 0.2) -> dict:
    """Expanding-window backtest: K folds each test on the next block after their training rows.

    The last ``test_fraction`` of the rows is cut into ``folds`` consecutive blocks; fold k
    trains on everything before block k (a fresh model with the same parameters) and tests on
    block k. Returns per-fold metrics and, per forecaster and metric, the mean and the spread
    (standard deviation) over folds.
    """
    check_positive_int("folds", folds)
    frame = _as_frame(data, forecaster.target)
    n = len(frame)
    test_rows = n - math.ceil(n * (1 - test_fraction))
    block = test_rows // folds
    if block < forecaster.horizon:
        raise InputError(f"folds={folds}: test blocks of {block} rows are shorter than "
                         f"horizon={forecaster.horizon}")
    per_fold = []
    for k in range(folds):
        end = n - (folds - 1 - k) * block
        fold_frame = frame.iloc[:end]
        fold = backtest(Forecaster(**forecaster.get_params()), fold_frame, block / end)
        per_fold.append(fold.metrics)
    summary = {}
    for who in ("model", "naive", "drift"):
        summary[who] = {
            name: {"mean": float(np.mean([f[who][name] for f in per_fold])),
                   "std": float(np.std([f[who][name] for f in per_fold]))}
            for name in ("mse", "mae", "rmse", "mape", "mase", "directional_accuracy")}
    return {"folds": per_fold, "summary": summary}


def _as_frame(data: pd.DataFrame | pd.Series, target: str) -> pd.DataFrame:
    if isinstance(data, pd.Series):
        data = data.to_frame(target if data.name is None else data.name)
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame or Series, got {type(data).__name__}")
    if target not in data.columns:
        raise InputError(f"target column {target!r} not found; columns: {list(data.columns)}")
    return data


def _check_series(prices: pd.Series, target: str) -> None:
    values = prices.to_numpy(float)
    if np.isnan(values).any():
        raise InputError(f"column {target!r} has NaN values left after cleaning")
    if np.ptp(values) == 0:
        raise InputError(f"column {target!r} is constant: there is nothing to forecast")


def _future_dates(index: pd.DatetimeIndex, steps: int) -> pd.DatetimeIndex:
    """The ``steps`` dates after ``index``: business days for daily data, else its spacing."""
    last = index[-1]
    spacing = pd.Series(index[1:] - index[:-1]).median() if len(index) > 1 else pd.Timedelta(
        days=1)
    if spacing <= pd.Timedelta(days=1.5) and spacing >= pd.Timedelta(hours=23):
        return pd.bdate_range(last + pd.Timedelta(days=1), periods=steps, name="date")
    freq = pd.infer_freq(index[-min(len(index), 10):]) if len(index) >= 3 else None
    if freq is not None:
        return pd.date_range(last, periods=steps + 1, freq=freq, name="date")[1:]
    return pd.DatetimeIndex([last + spacing * (k + 1) for k in range(steps)], name="date")


__all__ = ["Backtest", "Forecaster", "WindowForecasts", "backtest", "walk_forward"]
