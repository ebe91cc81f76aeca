"""Figures of echo state networks: predictions beside the truth, and a search's trials."""

from pathlib import Path

import numpy as np
import pandas as pd

from rnnkit.io.plots.figure import save_figure


def plot_predictions(path: str | Path, panels: list[tuple[str, np.ndarray, np.ndarray]],
                     start: int = 0, times=None) -> None:
    """Prediction against truth, one panel per (title, actual, predicted), against ``times``
    (e.g. the held-out dates) or else steps from ``start``, with the error on a second axis."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 3.2 * len(panels)))
    for ax, (title, actual, predicted) in zip(fig.subplots(len(panels), 1, squeeze=False)[:, 0],
                                              panels, strict=True):
        steps = range(start, start + len(actual)) if times is None else times[:len(actual)]
        ax.plot(steps, actual, color="black", lw=1.2, label="truth")
        ax.plot(steps, predicted, color="C1", lw=1, ls="--", label="prediction")
        error = ax.twinx()
        error.plot(steps, [p - a for a, p in zip(actual, predicted, strict=True)], color="C3",
                   lw=0.6, alpha=0.6)
        error.set_ylabel("error", color="C3")
        ax.set(title=title, xlabel="step" if times is None else "time", ylabel="value")
        ax.legend(loc="upper left")
        ax.grid(alpha=0.3)
    fig.tight_layout()
    save_figure(fig, path)


def plot_search(path: str | Path, table: pd.DataFrame, score: str = "nrmse",
                title: str = "random search") -> None:
    """The score of every trial against each searched hyperparameter (log-log), best in red."""
    from matplotlib.figure import Figure

    names = [c for c in table.columns if c not in ("trial", score)]
    fig = Figure(figsize=(3.2 * len(names), 3.4))
    axes = fig.subplots(1, len(names), sharey=True, squeeze=False)[0]
    best = table[score].idxmin()
    for ax, name in zip(axes, names, strict=True):
        ax.scatter(table[name], table[score], s=14, alpha=0.7)
        ax.scatter(table.loc[best, name], table.loc[best, score], s=40, color="C3")
        ax.set(xscale="log", yscale="log", xlabel=name)
        ax.grid(alpha=0.3, which="both")
    axes[0].set_ylabel(score)
    fig.suptitle(title)
    fig.tight_layout()
    save_figure(fig, path)
