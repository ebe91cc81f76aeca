"""Forecasts past the end of the data: the horizon, and beyond it by rolling forward.

Beyond the horizon the forecast rolls forward, feeding its own predictions back as observed
values: the forecast from the data's last window gives the next H values, which are appended
to the series, and so on. That needs inputs derived from the target and the calendar alone
(no covariates). The intervals are those of the first H steps (calibrated up to the horizon
only).
"""

import pandas as pd

from rnnkit._checks import InputError, check_positive_int
from rnnkit.forecast.combine import WindowForecasts
from rnnkit.forecast.windows import future_index


def future_bands(windows: WindowForecasts, index: pd.Index) -> pd.DataFrame:
    """The intervals (lo_<level>, hi_<level>) from the last window of ``windows`` at the future
    times ``index``: the first H of them; NaN past the horizon, where nothing was calibrated."""
    columns = {f"{side}_{level}": band[-1] for level, bands in windows.bands.items()
               for side, band in zip(("lo", "hi"), bands, strict=True)}
    horizon = len(windows.mean[-1])
    return pd.DataFrame(columns, index=index[:horizon]).reindex(index)


def roll_forward(forecaster, panel: dict[str, pd.DataFrame], steps: int,
                 futures: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """The next ``steps`` values of every series of ``panel`` ({id: frame}) from the fitted
    ``forecaster`` (:meth:`~rnnkit.forecast.forecaster.Forecaster.predict` says the layout);
    ``futures``: the values of its ``known`` columns after each frame's end."""
    check_positive_int("steps", steps)
    target, horizon = forecaster.target, forecaster.horizon
    known = tuple(getattr(forecaster, "known", ()))
    if steps > horizon and (forecaster.covariates or known):
        raise InputError(f"steps ({steps}) > horizon ({horizon}) needs future values "
                         f"of the covariates; raise `horizon` instead")
    if known:  # the known values after each series' end, the first horizon of them
        futures = {key: future[future.index > panel[key].index[-1]]
                   for key, future in (futures or {}).items() if key in panel}
        _check_futures(panel, futures, known, horizon)
    panel = {key: frame[[target, *forecaster.covariates, *known]]
             for key, frame in panel.items()}
    done = {key: [] for key in panel}  # (time, value, spread) per series
    first = None  # the forecasts from the data's own last windows
    while len(next(iter(done.values()))) < steps:
        forecasts = forecaster.predict_panel(panel, {key: len(f) - 1 for key, f in panel.items()},
                                             futures)
        first = first or forecasts
        for key, last in forecasts.items():
            future = future_index(panel[key].index, horizon)
            done[key] += list(zip(future, last.mean[-1], last.spread[-1], strict=True))
            panel[key] = pd.concat([panel[key], pd.DataFrame({target: last.mean[-1]},
                                                             index=future)])
    frames, column = [], forecaster.id_column or "series"
    for key, rows in done.items():
        times, values, spreads = zip(*rows[:steps], strict=True)
        index = pd.Index(times, name=panel[key].index.name)
        frame = pd.DataFrame({target: values}, index=index)
        if forecaster.ensemble > 1:
            frame["spread"] = spreads
        frame = frame.join(future_bands(first[key], index))
        frames.append(frame if key == "" else frame.assign(**{column: key})[[column,
                                                                             *frame.columns]])
    return frames[0] if list(done) == [""] else pd.concat(frames)


def _check_futures(panel: dict, futures: dict, known: tuple[str, ...], horizon: int) -> None:
    """Every series has the known columns' values at the next ``horizon`` times (else one
    line naming them)."""
    for key in panel:
        future = futures.get(key)
        rows = 0 if future is None else len(future)
        if rows < horizon or future[list(known)].iloc[:horizon].isna().any(axis=None):
            where = f" of series {key}" if key else ""
            raise InputError(f"the model reads {', '.join(known)} at the {horizon} times after "
                             f"the data{where}; `future_data` has {rows} rows with them: give "
                             "their values for the next horizon")


__all__ = ["future_bands", "roll_forward"]
