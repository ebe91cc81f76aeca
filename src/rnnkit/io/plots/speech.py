"""The figure of one utterance: its log-mel frames, and CTC's most likely label per step."""

from pathlib import Path

import numpy as np


def plot_alignment(path: str | Path, frames: np.ndarray, log_probs: np.ndarray, labels: str,
                   title: str) -> None:
    """Top: the frames (T, M) as an image; bottom: each output step's probability of every
    label (blank in grey), the most likely label written where it first wins."""
    from matplotlib.figure import Figure

    from rnnkit.io.plots.figure import save_figure

    fig = Figure(figsize=(12, 6))
    top, bottom = fig.subplots(2, 1, height_ratios=[2, 1.4])
    top.imshow(frames.T, origin="lower", aspect="auto", cmap="magma",
               extent=(0, len(frames) * 0.01, 0, frames.shape[1]))
    top.set(title=title, ylabel="mel band", xlabel="time (s)")
    probs = np.exp(log_probs)
    step = len(frames) * 0.01 / max(1, len(probs))
    t = (np.arange(len(probs)) + 0.5) * step
    bottom.plot(t, probs[:, 0], color="0.6", lw=0.8, label="blank")
    best = probs.argmax(axis=1)
    for k, label in enumerate(labels, 1):
        bottom.plot(t, probs[:, k], lw=1)
        starts = np.flatnonzero((best == k) & np.r_[True, best[1:] != best[:-1]])
        for s in starts:
            bottom.text(t[s], 1.02, label, ha="center", fontsize=10)
    bottom.set(ylabel="p(label)", xlabel="time (s)", ylim=(0, 1.12), xlim=(0, len(frames) * 0.01))
    bottom.legend(loc="upper right", fontsize="small")
    fig.tight_layout()
    save_figure(fig, path)


__all__ = ["plot_alignment"]
