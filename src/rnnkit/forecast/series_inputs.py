"""What a :class:`~rnnkit.forecast.forecaster.Forecaster`'s networks read of one series: its
input columns and target (computed causally), the known columns' future values, the scaled
input windows, the training rows cut into parts, and the constant inputs (the series' id and
static covariates).

Functions of a forecaster (its parameters, its chosen encoding and, for the scaled windows and
the constant inputs, what ``fit`` learned), shared by fitting, checking and forecasting.
"""

import numpy as np
import pandas as pd

from rnnkit.forecast.features import derive_features, known_leads
from rnnkit.forecast.panels import check_target_values
from rnnkit.forecast.targets import encode_targets
from rnnkit.forecast.windows import chronological_split, input_windows, window_parts


def series_inputs(forecaster, frame: pd.DataFrame, future: pd.DataFrame | None = None
                  ) -> tuple[pd.DataFrame, pd.Series]:
    """The model's input columns and the target, computed causally (first rows dropped);
    with ``known`` columns, their values 1 .. H steps ahead too (:func:`known_leads`, read
    on past the data from ``future``)."""
    features = forecaster.encoding_.features
    derived = [f for f in features if f != "level"]
    table = derive_features(frame, forecaster.target,
                            [*forecaster.covariates, *forecaster.known], derived)
    if forecaster.known:
        table = table.join(known_leads(frame, future, forecaster.known, forecaster.horizon))
    inputs = table if "level" in features else table.drop(columns=forecaster.target)
    return inputs, table[forecaster.target]


def known_inputs(forecaster, inputs: pd.DataFrame) -> np.ndarray | None:
    """The known columns' values at the H target times of every row (N, K·H), or None."""
    if not forecaster.known:
        return None
    return inputs[[f"{name}+{h}" for name in forecaster.known
                   for h in range(1, forecaster.horizon + 1)]].to_numpy(float)


def level_columns(forecaster, inputs: pd.DataFrame) -> list[int]:
    """The positions of the input columns that are levels (normalised per window)."""
    levels = {forecaster.target, *forecaster.covariates, *forecaster.known}
    return [i for i, c in enumerate(inputs.columns) if c in levels]


def scaled_windows(forecaster, key: str, inputs: pd.DataFrame) -> np.ndarray:
    """Every input window of one series, scaled by its own scaler (a view): (N-L+1, L, F)."""
    return input_windows(forecaster.input_scalers_[key].transform(inputs.to_numpy(float)),
                         forecaster.lookback)


def training_rows(forecaster, frame: pd.DataFrame):
    """One series' training rows cut: (inputs, split, window parts, y)."""
    inputs, series = series_inputs(forecaster, frame)
    check_target_values(series, forecaster.target)
    split = chronological_split(len(inputs), test_fraction=0.0,
                                val_fraction=forecaster.val_fraction,
                                min_val_rows=forecaster.horizon)
    parts = window_parts(split, forecaster.lookback, forecaster.horizon)
    y = encode_targets(series.to_numpy(float), forecaster.lookback, forecaster.horizon,
                       forecaster.encoding_.target_kind, forecaster.season_)
    return inputs, split, parts, y


def constant_inputs(forecaster, key: str) -> np.ndarray | None:
    """The constant inputs of one series: its one-hot id and its static covariates."""
    parts = []
    if forecaster.series_embedding:
        parts.append(np.eye(len(forecaster.series_))[forecaster.series_.index(key)])
    if forecaster.static_:
        parts.append(np.asarray(forecaster.static_[key]))
    return np.concatenate(parts) if parts else None


def per_piece(constants: list) -> list[np.ndarray] | None:
    """The constant inputs of each piece of windows, or None when the series have none."""
    return None if constants[0] is None else constants


__all__ = ["constant_inputs", "known_inputs", "level_columns", "per_piece", "scaled_windows",
           "series_inputs", "training_rows"]
