"""Figures (PNG) from results computed elsewhere; matplotlib is imported here only.

Figures are built on ``matplotlib.figure.Figure`` directly, not pyplot, so drawing a file never
touches the session's backend (a notebook keeps its inline plots) and needs no screen.
"""

import io
from pathlib import Path

import pandas as pd

from rnnkit.io import write_bytes_atomic


def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    return fig, fig.subplots()


def _save(fig, path: str | Path) -> None:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    write_bytes_atomic(path, buffer.getvalue())


def plot_forecast(path: str | Path, history: pd.Series, predictions: pd.DataFrame,
                  future: pd.DataFrame | None, target: str, title: str) -> None:
    """The tutorial's figure: training data, actual and predicted test values, plus the naive
    forecast and the future steps beyond the data."""
    fig, ax = _figure(12, 6)
    ax.plot(history.index, history.to_numpy(), color="0.55", lw=1, label="training data")
    dates = pd.DatetimeIndex(predictions["date"])
    ax.plot(dates, predictions["actual"], color="black", lw=1.2, label="actual")
    ax.plot(dates, predictions["naive"], color="tab:orange", lw=1, ls="--",
            label="naive (last value)")
    ax.plot(dates, predictions["model"], color="tab:blue", lw=1.2, label="model")
    if "spread" in predictions:
        ax.fill_between(dates, predictions["model"] - 2 * predictions["spread"],
                        predictions["model"] + 2 * predictions["spread"], color="tab:blue",
                        alpha=0.2, lw=0, label="ensemble ±2σ")
    if future is not None and len(future):
        ax.plot(future.index, future[target], color="tab:red", lw=1.5, marker=".",
                label=f"forecast, next {len(future)} steps")
    ax.set(title=title, xlabel="date", ylabel=target)
    ax.legend(loc="upper left")
    ax.grid(alpha=0.3)
    _save(fig, path)


def plot_loss(path: str | Path, histories: list[list[dict]], title: str = "loss") -> None:
    """Training and validation loss per epoch (log scale), one pair of lines per model."""
    fig, ax = _figure(8, 5)
    for k, records in enumerate(histories):
        epochs = [r["epoch"] for r in records]
        suffix = f" (member {k})" if len(histories) > 1 else ""
        ax.plot(epochs, [r["train_loss"] for r in records], color=f"C{k}", lw=1,
                label="train" + suffix)
        if records and records[0].get("val_loss") is not None:
            ax.plot(epochs, [r["val_loss"] for r in records], color=f"C{k}", lw=1, ls="--",
                    label="validation" + suffix)
    ax.set(title=title, xlabel="epoch", ylabel="loss (scaled units)", yscale="log")
    ax.legend()
    ax.grid(alpha=0.3)
    _save(fig, path)
