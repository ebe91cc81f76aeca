"""Forecasting a series with a recurrent network, scored honestly against naive baselines.

The tutorial's walkthrough, done right:
- features and scalers are fitted inside ``fit`` on the rows it is given (the training part)
  only; the tutorial fits its MinMaxScaler on the whole series, so the test prices leak into
  training through the scale;
- every window belongs to one part by its targets; the validation slice is the end of the
  training part; the test part is never seen until ``evaluate``;
- training is mini-batched (never one window per optimizer step);
- by default the model predicts log returns relative to the last observed value,
  y_h = log(p_{t+h} / p_t), from window inputs that carry no price level, so a test period
  priced above everything in training needs no extrapolation; ``target_kind="level"`` with
  ``features=("level",)`` and ``scaler="minmax"`` is the tutorial's set-up.
"""

import math
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from rnnkit import __version__
from rnnkit._checks import InputError, check_choice, check_in_range, check_positive_int
from rnnkit.config import ReservoirConfig, TrainConfig
from rnnkit.data import (
    Scaler,
    chronological_split,
    decode_targets,
    derive_features,
    encode_targets,
    make_windows,
)
from rnnkit.metrics import drift_forecast, forecast_metrics, in_sample_naive_mae, naive_forecast

TARGET_KINDS = ("log_return", "diff", "level")
MODELS = ("lstm", "gru", "rnn", "esn")


class Forecaster:
    """A recurrent forecaster with scikit-learn habits: ``fit``, ``predict``, ``score``.

    Parameters are stored as given; ``fit`` builds ``modules_`` (one per ensemble member),
    ``input_scaler_``, ``target_scaler_``, ``history_`` and ``mase_scale_``.

    Parameters
    ----------
    model : "lstm", "gru", "rnn" or "esn" (an echo state network: a fixed reservoir of
        ``reservoir.units`` read at each window's last step, readout by ridge regression)
    features : model inputs per time step: "level" (the target itself, scaled), derived series
        of the target ("log_return", "return", "ma20", "vol20", ...) and ``covariates``.
    target_kind : what the network predicts for step h: "log_return" log(p_{t+h}/p_t),
        "diff" p_{t+h} - p_t, or "level" p_{t+h} (the tutorial).
    ensemble : members trained with seeds seed, seed+1, ...; forecasts are their mean.

    Example
    -------
    >>> import numpy as np, pandas as pd
    >>> idx = pd.bdate_range("2020-01-01", periods=120)
    >>> series = pd.Series(100 + np.sin(np.arange(120) / 5), index=idx, name="y")
    >>> f = Forecaster(hidden_size=8, lookback=10, horizon=2, target="y",
    ...                train=TrainConfig(epochs=2)).fit(series)
    >>> f.predict(series).shape
    (2, 1)
    """

    def __init__(
        self, model: str = "lstm", hidden_size: int = 32, num_layers: int = 1,
        dropout: float = 0.0, bidirectional: bool = False, lookback: int = 60, horizon: int = 1,
        target: str = "Close", covariates: tuple[str, ...] = (),
        features: tuple[str, ...] = ("log_return",), target_kind: str = "log_return",
        scaler: str = "standard", val_fraction: float = 0.1, ensemble: int = 1,
        loss: str = "mse", train: TrainConfig = TrainConfig(),
        reservoir: ReservoirConfig = ReservoirConfig(),
    ) -> None:
        self.model = model
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.dropout = dropout
        self.bidirectional = bidirectional
        self.lookback = lookback
        self.horizon = horizon
        self.target = target
        self.covariates = covariates
        self.features = features
        self.target_kind = target_kind
        self.scaler = scaler
        self.val_fraction = val_fraction
        self.ensemble = ensemble
        self.loss = loss
        self.train = train
        self.reservoir = reservoir

    def get_params(self) -> dict:
        """The constructor's arguments, as given (scikit-learn's get_params)."""
        return {name: getattr(self, name) for name in _PARAMS}

    # -- fitting ---------------------------------------------------------------------------
    def _check_params(self) -> None:
        check_choice("model", self.model, MODELS)
        check_positive_int("lookback", self.lookback)
        check_positive_int("horizon", self.horizon)
        check_positive_int("ensemble", self.ensemble)
        check_choice("target_kind", self.target_kind, TARGET_KINDS)
        check_in_range("val_fraction", self.val_fraction, 0.0, 0.5, high_open=True)
        if not self.features and not self.covariates:
            raise InputError("features and covariates are both empty: the model needs inputs")

    def _inputs(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The model's input columns, computed causally from ``frame`` (first rows dropped)."""
        derived = [f for f in self.features if f != "level"]
        table = derive_features(frame, self.target, list(self.covariates), derived)
        columns = ([self.target] if "level" in self.features else []) + list(
            self.covariates) + derived
        return table[columns], table[self.target]

    def fit(self, data: pd.DataFrame | pd.Series, *, checkpoint_dir: str | Path | None = None,
            resume: bool = False, on_epoch=None) -> "Forecaster":
        """Train on ``data`` (the training part only), validating on its last rows.

        The input scaler is fitted on the rows before the validation slice, the target scaler
        on the training windows' targets; nothing else of ``data`` is used to fit them.
        """
        self._check_params()
        frame = _as_frame(data, self.target)
        inputs, prices = self._inputs(frame)
        _check_series(prices, self.target)
        n = len(inputs)
        split = chronological_split(n, test_fraction=0.0, val_fraction=self.val_fraction)
        fit_windows = split.fit_end - self.lookback - self.horizon + 1
        if fit_windows < 1:
            raise InputError(
                f"too few rows to train: {n} usable rows, {split.fit_end} for fitting, but "
                f"lookback ({self.lookback}) + horizon ({self.horizon}) need more")
        self.input_scaler_ = Scaler(self.scaler).fit(inputs.to_numpy(float)[: split.fit_end])
        x_all = self.input_scaler_.transform(inputs.to_numpy(float))
        x, _ = make_windows(x_all, np.zeros(n), self.lookback, self.horizon)
        y = encode_targets(prices.to_numpy(float), self.lookback, self.horizon, self.target_kind)
        self.target_scaler_ = Scaler("standard").fit(y[:fit_windows])
        y = self.target_scaler_.transform(y)
        val_start = split.fit_end - self.lookback  # first window whose targets are all validation
        has_val = val_start < len(x) and split.fit_end < n
        cfg = self.train
        self.modules_, self.history_ = [], []
        for member in range(self.ensemble):
            member_cfg = replace(cfg, seed=cfg.seed + member)
            if self.model == "esn":
                module, history = self._fit_reservoir(x, y, fit_windows, val_start, has_val,
                                                      member_cfg.seed)
            else:
                module, history = self._fit_network(x, y, fit_windows, val_start, has_val,
                                                    member_cfg, checkpoint_dir, member, resume,
                                                    on_epoch)
            self.modules_.append(module)
            self.history_.append(history)
        self.num_features_in_ = x.shape[-1]
        self.mase_scale_ = in_sample_naive_mae(frame[self.target].to_numpy(float))
        self.train_end_ = frame.index[-1]
        return self

    def _fit_network(self, x, y, fit_windows, val_start, has_val, cfg, checkpoint_dir, member,
                     resume, on_epoch):
        import torch

        from rnnkit.models import SequenceRegressor
        from rnnkit.train import Batches, train

        val = Batches(x[val_start:], y[val_start:], 4096, shuffle=False) if has_val else None
        torch.manual_seed(cfg.seed)
        module = SequenceRegressor(x.shape[-1], self.hidden_size, self.horizon, self.model,
                                   self.num_layers, self.dropout, self.bidirectional,
                                   loss=self.loss)
        batches = Batches(x[:fit_windows], y[:fit_windows], cfg.batch_size, True, cfg.seed)
        directory = None if checkpoint_dir is None else Path(checkpoint_dir) / f"m{member}"
        history = train(module, batches, cfg, val_batches=val, checkpoint_dir=directory,
                        resume=resume, on_epoch=on_epoch,
                        record={"forecaster": _params_record(self.get_params())})
        return module.eval(), history

    def _fit_reservoir(self, x, y, fit_windows, val_start, has_val, seed):
        """An ESN read at each window's last step: ridge regression of the H targets on h_L.

        Every window starts from the zero state; the first L - 1 states are its washout.
        Its history is one record: the training and validation MSE (scaled units).
        """
        from rnnkit.esn import ESN
        from rnnkit.train import History

        last = self.lookback - 1
        esn = ESN(**asdict(self.reservoir) | {"washout": last, "seed": seed})
        per_step = np.broadcast_to(y[:, None, :], (len(y), self.lookback, y.shape[1]))
        esn.fit(x[:fit_windows], per_step[:fit_windows])

        def mse(rows: slice) -> float:
            return float(np.mean((esn.predict(x[rows], washout=last)[:, 0] - y[rows]) ** 2))

        record = {"epoch": 1, "train_loss": mse(slice(0, fit_windows)),
                  "val_loss": mse(slice(val_start, None)) if has_val else None}
        return esn, History(records=[record], best_epoch=1,
                            best_val_loss=record["val_loss"] or math.inf)

    # -- forecasting -----------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "modules_"):
            raise InputError("this Forecaster is not fitted yet: call fit first")

    def predict_windows(self, data: pd.DataFrame | pd.Series) -> "WindowForecasts":
        """Forecast from every window of ``data``: origin dates, last values, (M, H) prices.

        Inputs are causal and the scalers come from ``fit``, so any part of ``data`` may be
        scored; ``evaluate`` keeps the origins whose targets all lie in the test part.
        """
        import torch

        self._check_fitted()
        frame = _as_frame(data, self.target)
        inputs, prices = self._inputs(frame)
        n = len(inputs)
        if n < self.lookback:
            raise InputError(f"need at least lookback={self.lookback} usable rows, got {n}")
        x_all = self.input_scaler_.transform(inputs.to_numpy(float))
        x = _input_windows(x_all, self.lookback)  # one window per origin, the last one included
        members = []
        with torch.no_grad():
            for module in self.modules_:
                if self.model == "esn":
                    members.append(module.predict(x, washout=self.lookback - 1)[:, 0])
                    continue
                outs = [module(torch.from_numpy(x[i : i + 4096].astype(np.float32)))[0]
                        for i in range(0, len(x), 4096)]
                members.append(torch.cat(outs).double().numpy())
        p = prices.to_numpy(float)
        last = p[self.lookback - 1 :]
        decoded = np.stack([decode_targets(self.target_scaler_.inverse_transform(m), last,
                                           self.target_kind) for m in members])
        return WindowForecasts(
            origins=inputs.index[self.lookback - 1 :], last=last,
            mean=decoded.mean(axis=0), spread=decoded.std(axis=0),
            origin_rows=np.arange(self.lookback - 1, n), prices=p, index=inputs.index)

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
        return evaluate(self, data, test_fraction, refit=False).metrics["skill"]

    # -- persistence -----------------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        """Write ``weights.safetensors`` and ``config.json`` into the folder ``path``."""
        from rnnkit.io import save_safetensors_atomic, write_json_atomic

        self._check_fitted()
        path = Path(path)
        tensors = {f"member{k}.{name}": t.detach().contiguous()
                   for k, module in enumerate(self.modules_)
                   for name, t in _member_tensors(module).items()}
        config = {
            "rnnkit_version": __version__, "params": _params_record(self.get_params()),
            "input_scaler": self.input_scaler_.to_dict(),
            "target_scaler": self.target_scaler_.to_dict(),
            "num_features_in": self.num_features_in_, "mase_scale": self.mase_scale_,
            "train_end": str(self.train_end_),
        }
        save_safetensors_atomic(path / "weights.safetensors", tensors, {"kind": "Forecaster"})
        write_json_atomic(path / "config.json", config)

    @classmethod
    def load(cls, path: str | Path) -> "Forecaster":
        """Rebuild a fitted Forecaster from a folder written by ``save`` (no unpickling)."""
        import json

        from rnnkit.io import load_safetensors
        from rnnkit.models import SequenceRegressor

        path = Path(path)
        try:
            config = json.loads((path / "config.json").read_text())
        except FileNotFoundError:
            raise InputError(f"--model: no saved forecaster in {path} (config.json missing)"
                             ) from None
        params = dict(config["params"])
        params["train"] = TrainConfig(**params["train"])
        params["covariates"] = tuple(params["covariates"])
        params["features"] = tuple(params["features"])
        params["reservoir"] = ReservoirConfig(**params["reservoir"])
        forecaster = cls(**params)
        tensors, _ = load_safetensors(path / "weights.safetensors")
        forecaster.modules_ = []
        for k in range(forecaster.ensemble):
            prefix = f"member{k}."
            own = {n[len(prefix):]: t for n, t in tensors.items() if n.startswith(prefix)}
            if forecaster.model == "esn":
                from rnnkit.esn import ESN

                module = ESN(**asdict(forecaster.reservoir)).load_state_arrays(
                    {name: t.numpy() for name, t in own.items()})
            else:
                module = SequenceRegressor(config["num_features_in"], forecaster.hidden_size,
                                           forecaster.horizon, forecaster.model,
                                           forecaster.num_layers, forecaster.dropout,
                                           forecaster.bidirectional, loss=forecaster.loss)
                module.load_state_dict(own)
                module.eval()
            forecaster.modules_.append(module)
        forecaster.input_scaler_ = Scaler.from_dict(config["input_scaler"])
        forecaster.target_scaler_ = Scaler.from_dict(config["target_scaler"])
        forecaster.num_features_in_ = config["num_features_in"]
        forecaster.mase_scale_ = config["mase_scale"]
        forecaster.train_end_ = pd.Timestamp(config["train_end"])
        forecaster.history_ = []
        return forecaster


_PARAMS = ("model", "hidden_size", "num_layers", "dropout", "bidirectional", "lookback",
           "horizon", "target", "covariates", "features", "target_kind", "scaler",
           "val_fraction", "ensemble", "loss", "train", "reservoir")


def _member_tensors(module) -> dict:
    """A member's weights as torch tensors: an nn.Module's state_dict, an ESN's arrays."""
    import torch

    if hasattr(module, "state_arrays"):
        return {name: torch.from_numpy(np.ascontiguousarray(a))
                for name, a in module.state_arrays().items()}
    return module.state_dict()


def _params_record(params: dict) -> dict:
    record = dict(params)
    record["train"] = asdict(params["train"])
    record["reservoir"] = asdict(params["reservoir"])
    record["covariates"], record["features"] = list(params["covariates"]), list(
        params["features"])
    return record


@dataclass(frozen=True)
class WindowForecasts:
    """Forecasts from every origin t of a series: prices ``mean`` (M, H) and member ``spread``."""

    origins: pd.DatetimeIndex
    last: np.ndarray
    mean: np.ndarray
    spread: np.ndarray
    origin_rows: np.ndarray
    prices: np.ndarray
    index: pd.DatetimeIndex


@dataclass
class Evaluation:
    """The test-part figures of one model beside the naive and drift baselines."""

    metrics: dict
    predictions: pd.DataFrame
    forecaster: Forecaster


def evaluate(forecaster: Forecaster, data: pd.DataFrame | pd.Series, test_fraction: float = 0.2,
             refit: bool = True, **fit_kwargs) -> Evaluation:
    """Fit on the first rows, score model, naive and drift on the last ``test_fraction``.

    The test part is the last rows of ``data`` (the tutorial's ceil(0.8 N) split). Scored
    origins are those whose H targets all lie in the test part, the same for every forecaster.
    Metrics are in the target's units; "skill" is 1 - MSE_model / MSE_naive (> 0: beats naive).
    """
    frame = _as_frame(data, forecaster.target)
    split = chronological_split(len(frame), test_fraction=test_fraction, val_fraction=0.0)
    if split.train_end >= len(frame):
        raise InputError(f"test_fraction={test_fraction} leaves no test rows")
    if refit:
        forecaster.fit(frame.iloc[: split.train_end], **fit_kwargs)
    windows = forecaster.predict_windows(frame)
    h = forecaster.horizon
    first_test = frame.index[split.train_end]
    rows, n = windows.origin_rows, len(windows.index)
    # origin t is scored when its targets t+1 .. t+h all exist and start in the test part
    starts_in_test = windows.index[np.minimum(rows + 1, n - 1)] >= first_test
    keep = np.flatnonzero((rows + h < n) & starts_in_test)
    if len(keep) == 0:
        raise InputError(f"no test window: horizon ({h}) is longer than the test part "
                         f"({len(frame) - split.train_end} rows)")
    origin_rows = rows[keep]
    actual = np.stack([windows.prices[r + 1 : r + 1 + h] for r in origin_rows])
    last = windows.last[keep]
    model = windows.mean[keep]
    naive = naive_forecast(last, h)
    # the drift baseline sees the whole raw series up to each origin, whatever the model's inputs
    raw = frame[forecaster.target].to_numpy(float)
    drift = drift_forecast(raw, frame.index.get_indexer(windows.index[origin_rows]), h)
    scale = forecaster.mase_scale_
    metrics = {"model": forecast_metrics(actual, model, last, scale),
               "naive": forecast_metrics(actual, naive, last, scale),
               "drift": forecast_metrics(actual, drift, last, scale)}
    metrics["skill"] = 1.0 - metrics["model"]["mse"] / metrics["naive"]["mse"]
    dates = windows.index[origin_rows + 1]
    predictions = pd.DataFrame({
        "date": dates, "actual": actual[:, 0], "model": model[:, 0], "naive": naive[:, 0],
        "drift": drift[:, 0]})
    if forecaster.ensemble > 1:
        predictions["spread"] = windows.spread[keep][:, 0]
    return Evaluation(metrics, predictions, forecaster)


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
        fold = evaluate(Forecaster(**forecaster.get_params()), fold_frame, block / end)
        per_fold.append(fold.metrics)
    summary = {}
    for who in ("model", "naive", "drift"):
        summary[who] = {
            name: {"mean": float(np.mean([f[who][name] for f in per_fold])),
                   "std": float(np.std([f[who][name] for f in per_fold]))}
            for name in ("mse", "mae", "rmse", "mape", "mase", "directional_accuracy")}
    return {"folds": per_fold, "summary": summary}


def _input_windows(x: np.ndarray, lookback: int) -> np.ndarray:
    """Every window of ``lookback`` rows (a view): (N - lookback + 1, lookback, F)."""
    return np.lib.stride_tricks.sliding_window_view(x, lookback, axis=0).transpose(0, 2, 1)


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


__all__ = ["Evaluation", "Forecaster", "WindowForecasts", "evaluate", "walk_forward"]
