"""The figure of a scored stream: the values with the anomaly windows and the detections, and
the anomaly score beneath them with the threshold."""

from pathlib import Path

import numpy as np
import pandas as pd

from rnnkit.io.plots.figure import readable_dates, save_figure


def plot_stream(path: str | Path | None, time: pd.Index, values: np.ndarray,
                scores: np.ndarray, threshold: float, title: str,
                windows: list[tuple[int, int]] = (), probation: int = 0):
    """Two panels sharing the time axis: the stream (black), its anomaly windows (shaded, rows
    ``(first, last)``), its probationary rows (grey) and the detections (scores >=
    ``threshold``, red); then the scores and the threshold. Written to ``path`` (a PNG); the
    Figure is returned."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(12, 5.5))
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[3, 1.4])
    x = np.asarray(time)
    top.plot(x, values, color="black", lw=0.7, label="value")
    for k, (first, last) in enumerate(windows):
        for ax in (top, bottom):
            ax.axvspan(x[first], x[last], color="tab:orange", alpha=0.18, lw=0,
                       label="anomaly window" if k == 0 and ax is top else None)
    if probation:
        top.axvspan(x[0], x[probation - 1], color="0.5", alpha=0.12, lw=0,
                    label="probation (learning, not scored)")
    hits = np.flatnonzero(scores >= threshold)
    top.scatter(x[hits], values[hits], color="tab:red", s=18, zorder=3,
                label=f"detection ({len(hits)})")
    top.set(title=title, ylabel="value")
    top.legend(loc="upper left", fontsize="small")
    bottom.plot(x, scores, color="tab:blue", lw=0.7)
    bottom.axhline(threshold, color="tab:red", lw=0.8, ls="--",
                   label=f"threshold {threshold:.3g}")
    bottom.set(ylabel="anomaly score", xlabel="time", ylim=(-0.02, 1.02))
    bottom.legend(loc="upper left", fontsize="small")
    for ax in (top, bottom):
        ax.grid(alpha=0.3)
    readable_dates(bottom)
    fig.tight_layout()
    if path is not None:
        save_figure(fig, path)
    return fig


__all__ = ["plot_stream"]
