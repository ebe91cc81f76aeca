"""An echo state network on one series, scored and tuned: NRMSE one step ahead and in
closed loop beside the naive forecast, and random search over the hyperparameters ESNs live by.

The series is standardised by the mean and std of its training part only; every score is on
values the readout never fitted.
"""

from collections.abc import Callable

import numpy as np
import pandas as pd

from rnnkit._checks import InputError, check_positive_int
from rnnkit.reservoir.esn import ESN, as_sequences
from rnnkit.reservoir.readouts import RIDGE_GRID


def standardize(series: np.ndarray, train_end: int) -> tuple[np.ndarray, float, float]:
    """(z, mean, std): the series scaled by the mean and std of its first ``train_end`` values
    only, so nothing of the held-out part leaks into the inputs."""
    series = np.asarray(series, float)
    mean, std = series[:train_end].mean(), series[:train_end].std()
    if not std > 0:
        raise InputError(f"the training part ({train_end} values) is constant: nothing to learn")
    return (series - mean) / std, float(mean), float(std)


def score_series(esn: ESN, series: np.ndarray, train_end: int,
                 horizons: tuple[int, ...] = (84, 500)) -> tuple[dict, pd.DataFrame]:
    """Fit ``esn`` to predict x_{t+1} from x_1 .. x_t on series[:train_end]; score the rest.

    One step: teacher-forced predictions of every held-out value (the inputs are observed
    values, never a future one), NRMSE = RMSE / std of the held-out values, beside the naive
    forecast x̂_{t+1} = x_t. Closed loop: from the end of the training part the network runs
    on its own predictions; NRMSE over the first h held-out values for each horizon h (those
    longer than the held-out part are left out), beside the naive constant forecast. Also
    ``valid_steps``: closed-loop steps before the error first exceeds 10% of the training
    part's range, and ``horizon_at_1e-2``: the longest h whose NRMSE over the first h
    held-out values is <= 1e-2 (over the first 2 or 3 values the NRMSE divides by the spread
    of very few values, so "every shorter h too" would be decided by noise).
    Values are scaled by the training part's mean and std inside; results are in the
    series' units. Returns (metrics, per-step predictions).
    """
    series = np.asarray(series, float).ravel()
    n = len(series)
    if not 1 < train_end < n:
        raise InputError(f"train_end must leave training and held-out values, got {train_end} "
                         f"of {n}")
    z, mean, std = standardize(series, train_end)
    esn.fit(z[: train_end - 1], z[1:train_end])
    actual = series[train_end:]
    one_step = esn.predict(z[:-1])[train_end - 1 :, 0] * std + mean
    naive = series[train_end - 1 : -1]
    steps = min(max(horizons), len(actual))
    closed = esn.generate(steps, warmup=z[:train_end])[:, 0] * std + mean
    last = series[train_end - 1]
    error = np.abs(closed - actual[:steps])
    beyond = np.flatnonzero(error > 0.1 * np.ptp(series[:train_end]))
    running = [nrmse(actual[:h], closed[:h]) for h in range(2, steps + 1)]
    within = [h for h, score in zip(range(2, steps + 1), running, strict=True) if score <= 1e-2]
    metrics = {
        "nrmse": nrmse(actual, one_step),
        "naive_nrmse": nrmse(actual, naive),
        "closed_loop": {str(h): nrmse(actual[:h], closed[:h]) for h in horizons if h <= steps},
        "naive_closed_loop": {str(h): nrmse(actual[:h], np.full(h, last))
                              for h in horizons if h <= steps},
        "valid_steps": int(beyond[0]) if len(beyond) else steps,
        "horizon_at_1e-2": max(within, default=0),
        "train_values": train_end, "test_values": len(actual),
    }
    closed_column = np.full(len(actual), np.nan)
    closed_column[:steps] = closed
    predictions = pd.DataFrame({"step": np.arange(train_end, n), "actual": actual,
                                "one_step": one_step, "naive": naive,
                                "closed_loop": closed_column})
    return metrics, predictions


READOUT_GRID = {"ridge": RIDGE_GRID, "input_scaling": (0.1, 0.3, 1.0, 2.0)}

SEARCH_SPACE = {  # name: (low, high), drawn log-uniformly
    "spectral_radius": (0.1, 2.0),
    "leak_rate": (0.05, 1.0),
    "input_scaling": (0.05, 5.0),
    "ridge": (1e-10, 1e-2),
}


def random_search(x, y, val_start: int, trials: int, *, search_seed: int = 0,
                  on_trial: Callable[[dict], None] | None = None, **fixed) -> pd.DataFrame:
    """Random search (Bergstra & Bengio 2012) over the four hyperparameters ESNs live by.

    Each trial draws spectral radius, leak rate, input scaling and ridge λ log-uniformly from
    :data:`SEARCH_SPACE`, fits ``ESN(**fixed, **drawn)`` on steps [0, val_start) of the one
    sequence (x, y) and scores the one-step NRMSE of its teacher-forced outputs on steps
    [val_start, T), which it never fitted. The reservoir's own seed stays fixed (``fixed``), so
    trials differ by their hyperparameters alone; ``search_seed`` seeds the draws. Returns one
    row per trial, best first; ``on_trial`` receives each row as it is scored.
    """
    check_positive_int("trials", trials)
    seqs = as_sequences("x", x)
    check_positive_int("val_start", val_start)
    if not seqs.single or val_start >= seqs.values.shape[1]:
        raise InputError(f"val_start ({val_start}) must fall inside the one sequence x "
                         f"({seqs.values.shape[1]} steps)")
    y = as_sequences("y", y).values[0]
    rng = np.random.default_rng(search_seed)
    trials_drawn = [{name: float(np.exp(rng.uniform(np.log(low), np.log(high))))
                     for name, (low, high) in SEARCH_SPACE.items()} for _ in range(trials)]
    return _score_trials(seqs.values[0], y, val_start, trials_drawn, fixed, on_trial)


def grid_search(x, y, val_start: int, grid: dict[str, tuple[float, ...]] | None = None, *,
                on_trial: Callable[[dict], None] | None = None, **fixed) -> pd.DataFrame:
    """Every combination of :data:`READOUT_GRID` (ridge λ × input scaling) fitted on steps
    [0, val_start) of the one sequence; best first by the geometric mean of two NRMSEs on
    [val_start, T): one step ahead (teacher-forced) and in closed loop (from val_start on its
    own outputs, so y must be x one step ahead), so that the choice forecasts well and stays
    stable.

    What ``rnnkit esn`` does by default: the two settings a new series most often needs
    changed (a ridge too small overfits a noisy series; inputs scaled too far saturate tanh).
    """
    seqs = as_sequences("x", x)
    check_positive_int("val_start", val_start)
    if not seqs.single or val_start >= seqs.values.shape[1]:
        raise InputError(f"val_start ({val_start}) must fall inside the one sequence x "
                         f"({seqs.values.shape[1]} steps)")
    grid = grid or READOUT_GRID
    names = list(grid)
    combos = [dict(zip(names, values, strict=True))
              for values in np.array(np.meshgrid(*grid.values())).reshape(len(names), -1).T]
    return _score_trials(seqs.values[0], as_sequences("y", y).values[0], val_start,
                         [{k: float(v) for k, v in c.items()} for c in combos], fixed, on_trial,
                         closed_loop=True)


def _score_trials(x: np.ndarray, y: np.ndarray, val_start: int, trials: list[dict],
                  fixed: dict, on_trial, closed_loop: bool = False) -> pd.DataFrame:
    """Fit ``ESN(**fixed, **trial)`` on [0, val_start) for each trial; NRMSE on the rest
    (with ``closed_loop``, the geometric mean of the one-step and the closed-loop NRMSE)."""
    rows = []
    for k, drawn in enumerate(trials):
        esn = ESN(**fixed | drawn).fit(x[:val_start], y[:val_start])
        score = nrmse(y[val_start:], esn.predict(x)[val_start:])
        row = {"trial": k, **drawn, "one_step_nrmse": score}
        if closed_loop:
            closed = esn.generate(len(y) - val_start, warmup=x[: val_start + 1])
            row["closed_loop_nrmse"] = nrmse(y[val_start:], closed)
            score = float(np.sqrt(score * row["closed_loop_nrmse"]))
        rows.append(row | {"nrmse": score})
        if on_trial is not None:
            on_trial(rows[-1])
    return pd.DataFrame(rows).sort_values("nrmse", ignore_index=True)


def nrmse(actual: np.ndarray, predicted: np.ndarray) -> float:
    """Normalised RMSE: RMSE / standard deviation of the target (0 = perfect, 1 = its mean)."""
    actual, predicted = np.asarray(actual, float), np.asarray(predicted, float)
    if actual.size != predicted.size:
        raise InputError(f"nrmse: {actual.size} actual values but {predicted.size} predicted")
    actual, predicted = actual.ravel(), predicted.ravel()
    return float(np.sqrt(np.mean((actual - predicted) ** 2)) / np.std(actual))


__all__ = ["READOUT_GRID", "SEARCH_SPACE", "grid_search", "nrmse", "random_search", "score_series",
           "standardize"]
