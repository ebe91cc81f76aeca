"""Series by id: one series or many, as the Forecaster reads them, and where each is cut.

A panel is a dict {id: frame}, each frame one series indexed by time; one series is the panel
{"": frame}, so every code path serves one series and many alike.
"""

import warnings

import numpy as np
import pandas as pd

from rnnkit._checks import InputError
from rnnkit.forecast.windows import chronological_split
from rnnkit.io.parsing import DATE_NAMES
from rnnkit.io.tables import read_series
from rnnkit.training.scaling import Scaler


def as_frame(data: pd.DataFrame | pd.Series, target: str) -> pd.DataFrame:
    """``data`` as a DataFrame holding the column ``target`` (a Series becomes one column).

    A frame as ``pd.read_csv`` returns it (row numbers for index, the times in a column of
    datetimes or named date, datetime, timestamp or time) is indexed by that column as a file
    is (:func:`rnnkit.io.tables.read_series`: parsed, sorted, gaps filled)."""
    if isinstance(data, pd.Series):
        data = data.to_frame(target if data.name is None else data.name)
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame or Series, got {type(data).__name__}")
    if isinstance(data.index, pd.RangeIndex) and any(
            pd.api.types.is_datetime64_any_dtype(data[c]) or str(c).lower() in DATE_NAMES[:4]
            for c in data.columns):
        data = read_series(data)[0]
    if target not in data.columns:
        raise InputError(f"target column {target!r} not found; columns: {list(data.columns)}")
    return data


def test_split(n_rows: int, key: str, test_fraction: float, test_size: int | dict) -> int:
    """Where a series' test part starts: its last ``test_size`` rows (one number, or one per
    series id), else its last ``test_fraction`` (the tutorial's ceil(0.8 N) split)."""
    size = test_size.get(key, 0) if isinstance(test_size, dict) else test_size
    end = n_rows - size if size else chronological_split(n_rows, test_fraction, 0.0).train_end
    if not 0 < end < n_rows:
        raise InputError(f"the test part leaves no training or no test rows"
                         f"{' in series ' + key if key else ''} ({n_rows} rows)")
    return end


def to_panel(forecaster, data, known_only: bool = False) -> dict[str, pd.DataFrame]:
    """The series of ``data`` by id: a dict of frames, a long frame split on the forecaster's
    ``id_column``, or one series (DataFrame / Series) under the id "". ``known_only``: the
    frames hold the forecaster's ``known`` columns alone (the future of ``predict``)."""
    target = forecaster.known[0] if known_only else forecaster.target
    if isinstance(data, dict):
        panel = {str(key): as_frame(frame, target) for key, frame in data.items()}
    elif forecaster.id_column:
        if not isinstance(data, pd.DataFrame) or forecaster.id_column not in data.columns:
            raise InputError(f"id_column {forecaster.id_column!r} not found; columns: "
                             f"{list(getattr(data, 'columns', []))}")
        row_numbers = isinstance(data.index, pd.RangeIndex)  # each series' own, then
        panel = {str(key): as_frame(rows.drop(columns=forecaster.id_column).reset_index(
                     drop=True) if row_numbers else rows.drop(columns=forecaster.id_column),
                                    target)
                 for key, rows in data.groupby(forecaster.id_column, sort=False)}
    else:
        return {"": as_frame(data, target)}
    if not panel:
        raise InputError("data holds no series")
    return panel

def usable(forecaster, panel: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The series long enough for a fitting window; with many, the others are left out of the
    fitting with a warning (the Forecaster's ``fallback_``), and one series too short is an
    error (raised by window_parts)."""
    if len(panel) == 1:
        return panel
    need = forecaster.lookback + forecaster.horizon
    short = [key for key, frame in panel.items() if len(frame) < need + 2]
    if len(short) == len(panel):
        raise InputError(f"every series is shorter than lookback ({forecaster.lookback}) + horizon "
                         f"({forecaster.horizon}) + 2 rows")
    if short:
        warnings.warn(f"{len(short)} of {len(panel)} series are too short for lookback "
                      f"{forecaster.lookback} + horizon {forecaster.horizon}; the model does "
                      f"not learn from them and forecasts them by seasonal naive: "
                      f"{', '.join(short[:5])}{' ...' if len(short) > 5 else ''}",
                      stacklevel=3)
    return {key: frame for key, frame in panel.items() if key not in short}


def standardised_static(static: pd.DataFrame | None, keys: list[str]) -> dict:
    """Each series' static covariates (a frame indexed by series id), standardised over the
    series: {id: [values]}, {} without them."""
    if static is None:
        return {}
    static = static.copy()
    static.index = static.index.astype(str)
    missing = [key for key in keys if key not in static.index]
    if missing:
        raise InputError(f"static covariates lack the series {', '.join(missing[:5])}")
    values = Scaler("standard").fit_transform(static.loc[keys].to_numpy(float))
    return {key: row.tolist() for key, row in zip(keys, values, strict=True)}


def check_target_values(values: pd.Series, target: str) -> None:
    """Refuse a target with NaN left after cleaning, or a constant one."""
    values = values.to_numpy(float)
    if np.isnan(values).any():
        raise InputError(f"column {target!r} has NaN values left after cleaning")
    if np.ptp(values) == 0:
        raise InputError(f"column {target!r} is constant: there is nothing to forecast")


MIN_LOOKBACK = 4  # below this a window shows too little to learn from: such series fall back


def fitting_lookback(panel: dict[str, pd.DataFrame], lookback: int, horizon: int,
                     val_fraction: float, test_fraction: float = 0.2,
                     test_size: int | dict = 0) -> tuple[int, str | None]:
    """The largest lookback <= ``lookback`` with which every series' fitting part holds a
    window (lookback + horizon rows, and the 2 rows derived inputs may drop), and the series
    that set it; (``lookback``, None) when all fit already.

    Math (series k, n_k rows): train_k = its training rows (:func:`test_split`),
    v_k = max(round(val_fraction train_k), H) its validation rows, so the fitting part has
    f_k = train_k - v_k rows and L = min(lookback, min_k f_k - H - 2). A series too short even
    for L = MIN_LOOKBACK keeps the lookback at MIN_LOOKBACK and is left out when fitting
    (:func:`usable` says how many, in one warning).
    """
    fit_rows = {}
    for key, frame in panel.items():
        train = test_split(len(frame), key, test_fraction, test_size)
        fit_rows[key] = chronological_split(train, 0.0, val_fraction, horizon).fit_end
    shortest = min(fit_rows, key=fit_rows.get)
    fits = fit_rows[shortest] - horizon - 2
    if fits >= lookback:
        return lookback, None
    return max(fits, MIN_LOOKBACK), shortest
