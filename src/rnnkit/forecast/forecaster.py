"""Forecasting a series with a recurrent network, scored honestly against naive baselines.

The tutorial's walkthrough, done right, for any series:
- features, encodings and scalers are chosen and fitted inside ``fit`` on the rows it is given
  (the training part) only; the tutorial fits its MinMaxScaler on the whole series, so the test
  prices leak into training through the scale;
- every window belongs to one part by its targets; the validation slice is the end of the
  training part; the test part is never seen until ``backtest``;
- training is mini-batched (never one window per optimizer step);
- by default the encoding follows the data (:func:`rnnkit.forecast.features.choose_encoding`): log
  returns for a strictly positive, price-like series, y_h = log(p_{t+h} / p_t), from inputs
  that carry no price level; otherwise the level relative to each window's last value in and
  differences out, which work for any sign. Explicit ``features`` / ``target_kind`` /
  ``window_norm`` win; ``features=("level",)``, ``target_kind="level"``, ``scaler="minmax"`` is
  the tutorial's set-up.
:mod:`rnnkit.forecast.backtesting` scores it beside the naive, seasonal-naive and drift forecasts.
"""

import warnings
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
from rnnkit.base import Estimator
from rnnkit.forecast.combine import (
    COMBINE_CHOICES,
    WindowForecasts,
    check_intervals,
    fallback_forecasts,
    fit_combination,
    series_scale,
    stacked,
)
from rnnkit.forecast.features import (
    Encoding,
    choose_encoding,
    panel_encoding,
)
from rnnkit.forecast.forecaster_files import (
    fitted_record,
    params_from_record,
    params_record,
    restore_fitted,
)
from rnnkit.forecast.future import roll_forward
from rnnkit.forecast.linear import fit_linear
from rnnkit.forecast.metrics import infer_season, mase_scale
from rnnkit.forecast.panels import (
    standardised_static,
    test_split,
    to_panel,
    usable,
)
from rnnkit.forecast.series_inputs import (
    constant_inputs,
    known_inputs,
    level_columns,
    per_piece,
    scaled_windows,
    series_inputs,
    training_rows,
)
from rnnkit.forecast.targets import (
    TARGET_KINDS,
    decode_targets,
    last_values,
    target_base,
)
from rnnkit.forecast.window_models import WINDOW_MODELS, NetworkRegressor, WindowModel
from rnnkit.forecast.windows import (
    WINDOW_NORMS,
    PanelWindows,
    Split,
    window_parts,
)
from rnnkit.io.files import load_members, rebuilding, save_members
from rnnkit.training.scaling import Scaler

AUTO = "auto"


class Forecaster(Estimator):
    """A recurrent forecaster with scikit-learn habits: ``fit``, ``predict``, ``score``.

    Parameters are stored as given; ``fit`` builds ``models_`` (one fitted copy of ``model`` per
    ensemble member), ``encoding_`` (the features, target kind and window normalisation used,
    with the reason), ``season_``, ``series_`` (the ids learned from), and per series
    ``input_scalers_``, ``target_scalers_``, ``mase_scales_``, ``train_ends_``, ``fallback_``
    (the series too short for a window, forecast by seasonal naive), plus ``history_``,
    ``linear_`` (the linear model on the fitting windows) and ``combination_`` (the stacking
    weights and conformal half-widths, from the validation windows).

    Parameters
    ----------
    model : the window model, unfitted (:mod:`rnnkit.forecast.window_models`): a
        ``NetworkRegressor`` (a recurrent stack trained through time) or a
        ``ReservoirRegressor`` (an echo state network with a ridge readout). The Forecaster
        only windows, scales and decodes.
    known : columns known in advance (a promotion, a holiday flag, a planned price): inputs
        as the covariates are, and their values at the H target times as well (the columns
        ``<name>+1`` .. ``<name>+H``, :func:`~rnnkit.forecast.features.known_leads`), which
        ``predict`` reads from its ``future_data`` (Darts' future covariates, NeuralForecast's
        ``futr_exog``).
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
        from the index (:func:`rnnkit.forecast.metrics.infer_season`).
    ensemble : members trained with seeds seed, seed+1, ...; forecasts are their mean.
    id_column : the column naming each series of a long frame given to ``fit``/``predict``.
    series_embedding : give every window its series' one-hot id as constant inputs, so that
        the first layer learns one vector per series (its columns of W_xh: a series embedding
        added to every gate's pre-activation). ``fit(..., static=frame)`` adds static
        covariates the same way, standardised over the series.
    combine : "auto": the forecast is the network, the linear model (``linear_``,
        :mod:`rnnkit.forecast.linear`) and seasonal naive stacked with weights fitted on the
        validation part (``combination_``, :mod:`rnnkit.forecast.combine`); "none": the
        network alone.
    intervals : levels (percent) of the split-conformal intervals calibrated on the validation
        part; ``predict`` gives lo_<level> and hi_<level> columns.

    Example
    -------
    >>> import numpy as np, pandas as pd
    >>> from rnnkit.training.loop import TrainConfig
    >>> idx = pd.bdate_range("2020-01-01", periods=120)
    >>> series = pd.Series(100 + np.sin(np.arange(120) / 5), index=idx, name="y")
    >>> model = NetworkRegressor(train=TrainConfig(epochs=2))
    >>> f = Forecaster(model, lookback=10, horizon=2, target="y").fit(series)
    >>> list(f.predict(series).columns), f.encoding_.target_kind
    (['y', 'lo_95', 'hi_95'], 'log_return')
    """

    fitted_attribute = "num_features_in_"

    def __init__(
        self, model: WindowModel = NetworkRegressor(), lookback: int = 60, horizon: int = 1,
        target: str = "Close", covariates: tuple[str, ...] = (), known: tuple[str, ...] = (),
        features: tuple[str, ...] | str = AUTO, target_kind: str = AUTO,
        window_norm: str = AUTO, season: int = 0, scaler: str = "standard",
        val_fraction: float = 0.1, ensemble: int = 1, id_column: str = "",
        series_embedding: bool = False, combine: str = "auto",
        intervals: tuple[int, ...] = (95,),
    ) -> None:
        self.model = model
        self.lookback = lookback
        self.horizon = horizon
        self.target = target
        self.covariates = covariates
        self.known = known
        self.features = features
        self.target_kind = target_kind
        self.window_norm = window_norm
        self.season = season
        self.scaler = scaler
        self.val_fraction = val_fraction
        self.ensemble = ensemble
        self.id_column = id_column
        self.series_embedding = series_embedding
        self.combine = combine
        self.intervals = intervals

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
        check_choice("combine", self.combine, COMBINE_CHOICES)
        check_intervals(self.intervals)
        if not self.features and not self.covariates:
            raise InputError("features and covariates are both empty: the model needs inputs")
        both = [name for name in self.known if name in (self.target, *self.covariates)]
        if both:
            raise InputError(f"{both[0]!r} is in `known` and is the target or one of the "
                             "`covariates`: a known column is an input of its own")

    def check(self, data, test_fraction: float = 0.2, future: int = 0,
              test_size: int | dict[str, int] = 0) -> Encoding:
        """Every check ``backtest`` and ``predict(steps=future)`` make, without training.

        Raises InputError for what cannot succeed: too few rows for lookback + horizon in the
        fitting, validation or test part (of every series, for many), an encoding the data
        cannot take, future steps past the horizon with covariates. Returns the encoding ``fit``
        will choose.
        """
        self.check_params()
        if future > self.horizon and (self.covariates or self.known):
            names = ", ".join([*self.covariates, *self.known])
            raise InputError(f"`future` ({future}) > `horizon` ({self.horizon}) needs future "
                             f"values of the covariates {names}: set `future` to "
                             f"{self.horizon} or fewer, or drop `covariates` and `known`")
        panel = to_panel(self, data)
        ends = {key: test_split(len(frame), key, test_fraction, test_size)
                for key, frame in panel.items()}
        probe = Forecaster(**self.get_params(deep=False))
        probe._resolve({key: frame.iloc[: ends[key]] for key, frame in panel.items()})
        with warnings.catch_warnings():  # fit says which series are too short, once
            warnings.simplefilter("ignore", UserWarning)
            keep = usable(probe, {k: f.iloc[: ends[k]] for k, f in panel.items()})
        for key in keep:
            training_rows(probe, panel[key].iloc[: ends[key]])
            rows = len(series_inputs(probe, panel[key])[1])
            train_end = ends[key] - (len(panel[key]) - rows)
            window_parts(Split(rows, train_end, train_end), self.lookback, self.horizon)
        return probe.encoding_

    # -- fitting ---------------------------------------------------------------------------
    def _resolve(self, panel: dict[str, pd.DataFrame]) -> None:
        """Choose the season and the encoding from the training rows; explicit values win.

        With many series each gets :func:`choose_encoding`'s choice and
        :func:`panel_encoding` picks one for all (one network reads them all).
        """
        first = next(iter(panel.values()))
        self.season_ = self.season or infer_season(first.index)
        auto = panel_encoding([choose_encoding(f[self.target].to_numpy(float), f.index,
                                               self.season_, self.horizon, self.val_fraction)
                               for f in panel.values()],
                              all((f[self.target] > 0).all() for f in panel.values()))
        features, kind, reason = auto.features, auto.target_kind, auto.reason
        features = features if self.features == AUTO else tuple(self.features)
        kind = kind if self.target_kind == AUTO else self.target_kind
        norm = self.window_norm
        if norm == AUTO:
            norm = "last" if "level" in features and kind != "level" else "none"
        if (self.features, self.target_kind, self.window_norm) != (AUTO, AUTO, AUTO):
            same = (features, kind) == (auto.features, auto.target_kind)
            reason = "set by the caller" + ("" if same else f" (auto would have chosen: {reason})")
        self.encoding_ = Encoding(features, kind, norm, reason, auto.selection)

    def fit(self, data, *, static: pd.DataFrame | None = None,
            checkpoint_dir: str | Path | None = None, resume: bool = False,
            on_epoch=None, device: str = "cpu", trained: list | None = None) -> "Forecaster":
        """Train on ``data`` (the training part only), validating on its last rows.

        ``data``: one series (DataFrame / Series), a dict {id: frame}, or a long frame with
        ``id_column``. One set of networks learns from every series; each series keeps its own
        scalers, fitted on its own rows before its validation slice (inputs) and on its fitting
        windows' targets; nothing else of ``data`` is used to fit them. ``static``: a frame of
        numeric static covariates indexed by series id (see ``series_embedding``). ``device``:
        where the networks train and stay (``to`` moves them). ``trained``: the first ensemble
        members already fitted by a Forecaster of the same parameters on the same ``data``
        (e.g. a one-member fit grown into an ensemble); they are kept, the rest are trained.
        """
        self.check_params()
        every = to_panel(self, data)
        panel = usable(self, every)
        self._resolve(panel)
        self.input_scalers_, self.target_scalers_ = {}, {}
        self.series_ = list(panel)
        self.fallback_ = [key for key in every if key not in panel]
        self.mase_scales_ = {key: mase_scale(every[key][self.target].to_numpy(float),
                                             self.season_) for key in self.fallback_}
        self.train_ends_ = {key: every[key].index[-1] for key in self.fallback_}
        self.static_ = standardised_static(static, self.series_)
        pieces = {"fit": ([], [], []), "val": ([], [], [])}
        linear, val_origins = [], {}
        for key, frame in panel.items():
            inputs, split, parts, y = training_rows(self, frame)
            self.input_scalers_[key] = Scaler(self.scaler).fit(
                inputs.to_numpy(float)[: split.fit_end])
            self.target_scalers_[key] = Scaler("standard").fit(y[parts["fit"]])
            x = scaled_windows(self, key, inputs)[: len(y)]
            y = self.target_scalers_[key].transform(y)
            for part, (xs, ys, extras) in pieces.items():
                if parts[part].stop > parts[part].start:
                    xs.append(x[parts[part]])
                    ys.append(y[parts[part]].astype(np.float32))
                    extras.append(constant_inputs(self, key))
            self.mase_scales_[key] = mase_scale(frame[self.target].to_numpy(float), self.season_)
            self.train_ends_[key] = frame.index[-1]
            values = frame[self.target].to_numpy(float)[len(frame) - len(inputs):]
            linear.append((values, series_scale(self, key), parts["fit"], parts["val"],
                           known_inputs(self, inputs)))
            origin = len(frame) - len(inputs) + self.lookback - 1  # window 0's row in frame
            val_origins[key] = slice(origin + parts["val"].start, origin + parts["val"].stop)
        columns, norm = level_columns(self, inputs), self.encoding_.window_norm
        x_fit = PanelWindows(pieces["fit"][0], columns, norm, per_piece(pieces["fit"][2]))
        y_fit = np.concatenate(pieces["fit"][1])
        validation = (PanelWindows(pieces["val"][0], columns, norm, per_piece(pieces["val"][2])),
                      np.concatenate(pieces["val"][1])) if pieces["val"][0] else None
        record = {"forecaster": params_record(self)}
        self.models_ = list(trained or [])[: self.ensemble]
        for k in range(len(self.models_), self.ensemble):
            directory = None if checkpoint_dir is None else Path(checkpoint_dir) / f"m{k}"
            member = self.model.reseeded(self.model.seed + k)
            self.models_.append(member.fit(x_fit, y_fit, validation, record=record,
                                           checkpoint_dir=directory, resume=resume,
                                           on_epoch=on_epoch, device=device))
        self.history_ = [m.history_ for m in self.models_]
        self.num_features_in_ = x_fit.shape[-1]
        self.linear_, self.combination_ = fit_linear(linear, self.lookback, self.horizon), None
        self.combination_ = fit_combination(self, panel, val_origins)
        return self

    # -- forecasting -----------------------------------------------------------------------
    def predict_panel(self, panel: dict[str, pd.DataFrame],
                      origins_from: dict[str, int] | None = None,
                      futures: dict[str, pd.DataFrame] | None = None,
                      ) -> dict[str, WindowForecasts]:
        """Forecasts from the windows of every series of ``panel`` ({id: frame}, as
        :func:`~rnnkit.forecast.panels.to_panel` makes it), all series through the networks at
        once, combined (:func:`~rnnkit.forecast.combine.stacked`) as ``combine`` says.

        ``origins_from`` {id: row}: forecast only from origins at that row of the series' frame
        or later (at least the last one); by default from every window. Scoring a test part or
        forecasting the future reads a few windows, not the whole history. ``futures`` {id:
        frame}: the ``known`` columns' values after each frame's end.
        """
        self.check_fitted()
        fallback = getattr(self, "fallback_", [])
        unknown = [key for key in panel if key not in self.input_scalers_ and key not in fallback]
        if unknown:
            raise InputError(f"series {', '.join(unknown[:5])} were not in the training data; "
                             f"this model knows {len(self.input_scalers_)} series")
        origins_from = origins_from or {}
        forecasts = {key: fallback_forecasts(self, key, frame, origins_from.get(key, 0))
                     for key, frame in panel.items() if key in fallback}
        prepared, pieces = {}, []
        for key, frame in panel.items():
            if key in fallback:
                continue
            inputs, series = series_inputs(self, frame, (futures or {}).get(key))
            if len(inputs) < self.lookback:
                raise InputError(f"need at least lookback={self.lookback} usable rows"
                                 f"{' of ' + key if key else ''}, got {len(inputs)}")
            windows = scaled_windows(self, key, inputs)
            first_origin = len(frame) - len(inputs) + self.lookback - 1  # window 0's, in frame
            skip = min(max(origins_from.get(key, 0) - first_origin, 0), len(windows) - 1)
            prepared[key] = (frame, series.to_numpy(float), first_origin, skip,
                             known_inputs(self, inputs))
            pieces.append(windows[skip:])
        if not prepared:
            return forecasts
        x = PanelWindows(pieces, level_columns(self, inputs), self.encoding_.window_norm,
                         per_piece([constant_inputs(self, key) for key in prepared]))
        scaled = [m.predict(x) for m in self.models_]  # (M_all, H) per member
        kind = self.encoding_.target_kind
        for k, (key, (frame, values, first_origin, skip, known)) in enumerate(prepared.items()):
            rows = slice(int(x.offsets[k]), int(x.offsets[k + 1]))
            n = skip + rows.stop - rows.start  # the series' windows, the skipped ones included
            base = target_base(values, self.lookback, n, self.horizon, kind, self.season_)
            decoded = np.stack([decode_targets(self.target_scalers_[key].inverse_transform(
                s[rows]), base[skip:], kind) for s in scaled])
            forecasts[key] = stacked(self, key, frame, WindowForecasts(
                last=last_values(values, self.lookback, n)[skip:], mean=decoded.mean(axis=0),
                spread=decoded.std(axis=0),
                origin_rows=np.arange(first_origin + skip, len(frame)), series=values,
                first=skip, known=known))
        return {key: forecasts[key] for key in panel}

    def predict_windows(self, data):
        """Forecast from every window of ``data``, the last one (ending at its last row) included.

        Inputs are causal and the scalers come from ``fit``, so any part of ``data`` may be
        scored; :func:`~rnnkit.forecast.backtesting.backtest` keeps the windows whose targets
        all lie in the test part. One series gives its :class:`WindowForecasts`, many a dict of
        them by id.
        """
        forecasts = self.predict_panel(to_panel(self, data))
        return forecasts[""] if list(forecasts) == [""] else forecasts

    def predict(self, data, steps: int | None = None, future_data=None) -> pd.DataFrame:
        """Forecast ``steps`` (default: horizon) values after the end of ``data``.

        Beyond the horizon the forecast rolls forward, feeding its own predictions back as
        observed values; that needs inputs derived from the target and the calendar alone (no
        covariates). One series: a DataFrame indexed by the future times (business days for
        weekday-only daily data) with the target's column, for an ensemble its spread, and the
        intervals' lo_<level>, hi_<level> (NaN past the horizon: calibrated up to it only).
        Many: the same in long form, with the series' id as the first column.
        ``future_data``: with ``known`` columns, their values at the next ``horizon`` times
        (a frame indexed by them, or a dict / long frame of them by series).
        """
        self.check_fitted()
        futures = None if future_data is None else to_panel(self, future_data, known_only=True)
        return roll_forward(self, to_panel(self, data), self.horizon if steps is None else steps,
                            futures)

    # -- persistence -----------------------------------------------------------------------
    def to(self, device: str) -> "Forecaster":
        """The fitted networks moved to ``device`` (e.g. "cuda"); forecasts come back as NumPy."""
        self.check_fitted()
        self.models_ = [m.to(device) for m in self.models_]
        return self

    def save(self, path: str | Path, data: dict | None = None, run: dict | None = None) -> None:
        """Write the fitted forecaster as an rnnkit model folder
        (:func:`rnnkit.io.files.save_members`; the record: :mod:`.forecaster_files`).

        ``data`` (e.g. the file and columns it was trained on) is kept with it, for ``predict``;
        ``run`` (how it was trained: device, processes) for the record.
        """
        self.check_fitted()
        save_members(path, "Forecaster", self.models_,
                     fitted_record(self) | {"data": data or {}, "run": run or {}})

    @classmethod
    def load(cls, path: str | Path) -> "Forecaster":
        """Rebuild a fitted Forecaster from a folder written by ``save`` (no unpickling).

        ``data_`` holds the ``data`` record saved with it.
        """
        model, members, config = load_members(path, "Forecaster", WINDOW_MODELS, "forecaster")
        with rebuilding(path):
            forecaster = cls(**params_from_record(config["forecaster"], model))
            restore_fitted(forecaster, config, members)
        return forecaster


__all__ = ["Forecaster", "WindowForecasts"]
