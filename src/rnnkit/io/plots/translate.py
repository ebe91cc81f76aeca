"""The attention of a translator: for a few sentences, which source pieces each output piece
read (the weights α of :mod:`rnnkit.seq2seq.attention`), one heat map per sentence."""

from pathlib import Path

import numpy as np


def plot_translation_attention(path: str | Path,
                               examples: list[tuple[list[str], list[str], np.ndarray]]) -> None:
    """``examples``: (source pieces, output pieces, weights (output × source)) each."""
    from matplotlib.figure import Figure

    from rnnkit.io.plots.figure import save_figure

    columns = min(2, len(examples))
    rows = -(-len(examples) // columns)
    fig = Figure(figsize=(6.5 * columns, 5 * rows))
    axes = np.atleast_1d(fig.subplots(rows, columns)).ravel()
    for ax, (source, output, weights) in zip(axes, examples, strict=False):
        image = ax.imshow(weights, cmap="viridis", vmin=0, vmax=1, aspect="auto")
        ax.set_xticks(range(len(source)), [p.replace("\u2581", "_") for p in source],
                      rotation=60, ha="right", fontsize=8)
        ax.set_yticks(range(len(output)), [p.replace("\u2581", "_") for p in output],
                      fontsize=8)
        ax.set(xlabel="source piece", ylabel="output piece")
        fig.colorbar(image, ax=ax, fraction=0.04, label="attention α")
    for ax in axes[len(examples):]:
        ax.axis("off")
    fig.suptitle("attention of the translator (greedy output; _ marks a word's start)")
    fig.tight_layout()
    save_figure(fig, path)


__all__ = ["plot_translation_attention"]
