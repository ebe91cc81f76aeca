"""Figures of classification: the confusion matrix, and what attention pooling looks at."""

from pathlib import Path

import numpy as np

from rnnkit.io.plots.figure import new_figure, save_figure


def plot_confusion(path: str | Path, confusion, classes, title: str) -> None:
    """A confusion matrix heat map: true class down (y), predicted class across (x).

    Each cell shows its count M[a, b] and its share of the true class's row, M[a, b] / Σ_b M[a, b]
    (the diagonal is each class's recall); the colour is that share, so rows of rare and common
    classes read alike. A class with no true series has an empty row (share 0).

    Raises
    ------
    InputError
        ``confusion`` not (C, C) for C = len(classes) >= 1, or a count that is negative or not
        finite; nothing is written then.
    """
    from rnnkit._checks import InputError, check_shape

    names = [str(c) for c in classes]
    counts = np.asarray(confusion, dtype=float)
    check_shape("confusion", counts.shape, (len(names), len(names)),
                f"({len(names)}, {len(names)}), one row and column per class")
    if not names or not (np.isfinite(counts) & (counts >= 0)).all():
        raise InputError(f"confusion must hold counts >= 0 for at least one class, got {counts}")
    totals = counts.sum(axis=1, keepdims=True)
    share = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)  # (C, C)
    side = 3.0 + 0.7 * len(names)
    fig, ax = new_figure(side + 1.2, side)
    image = ax.imshow(share, cmap="Blues", vmin=0.0, vmax=1.0)
    for (a, b), n in np.ndenumerate(counts):
        ax.text(b, a, f"{n:g}\n{share[a, b]:.0%}", ha="center", va="center",
                fontsize="small" if len(names) > 6 else "medium",
                color="white" if share[a, b] > 0.5 else "black")
    ticks, long = range(len(names)), max(map(len, names)) > 3
    ax.set_xticks(ticks, names, rotation=45 if long else 0, ha="right" if long else "center")
    ax.set_yticks(ticks, names)
    ax.set(title=f"{title} ({counts.sum():g} series)", xlabel="predicted class",
           ylabel="true class")
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04,
                 label="share of the true class (recall on the diagonal)")
    save_figure(fig, path)


def plot_attention(path: str | Path, series, weights, titles, feature_names=("value",)) -> None:
    """A few series, one panel each, with the attention weights α_t the model put on each step.

    The series' features are lines against the step t; α_t is a red filled area on a second y
    axis (starting at 0), so the steps the pooled representation drew on stand out. ``series``
    holds (T_i, F) or (T_i,) arrays (trailing all-NaN steps are padding and are dropped);
    ``weights`` the (T_i,) weights of each (meant to sum to 1), or rows of an (N, T) array
    whose entries past a series' end are 0, as ``NetworkClassifier.attention`` returns them;
    ``titles`` one string per panel, e.g. "id 12: true 1, predicted -1".

    Raises
    ------
    InputError
        Counts of series, weights and titles that differ or are 0, a series with no steps, a
        weight row whose length is not its series' (beyond zero padding), weights that are
        negative or not finite, ``feature_names`` not one name per feature; nothing is
        written then.
    """
    from matplotlib.figure import Figure

    from rnnkit._checks import InputError

    series, weights, titles = list(series), list(weights), list(titles)
    if not series or not len(series) == len(weights) == len(titles):
        raise InputError(f"series, weights and titles must have the same, non-zero length, "
                         f"got {len(series)}, {len(weights)} and {len(titles)}")
    panels = []
    for i, (values, alpha) in enumerate(zip(series, weights, strict=True)):
        x = np.asarray(values, dtype=float)
        x = x[:, None] if x.ndim == 1 else x
        if x.ndim != 2:
            raise InputError(f"series[{i}] must have shape (T, F) or (T,), got {x.shape}")
        kept = ~np.isnan(x).all(axis=1)
        x = x[: int(np.flatnonzero(kept)[-1]) + 1] if kept.any() else x[:0]  # drop padding
        w = np.asarray(alpha, dtype=float).ravel()
        if len(x) == 0:
            raise InputError(f"series[{i}] has no steps")
        tail = w[len(x):]  # past the series' end: only padding (0 or NaN) may sit there
        if len(w) < len(x) or ((tail != 0) & ~np.isnan(tail)).any():
            raise InputError(f"weights[{i}] must have one value per step of series[{i}] "
                             f"({len(x)}), got {len(w)}")
        w = w[: len(x)]
        if not (np.isfinite(w) & (w >= 0)).all():
            raise InputError(f"weights[{i}] must be finite and >= 0")
        if x.shape[1] != len(feature_names):
            raise InputError(f"feature_names must name the {x.shape[1]} features of "
                             f"series[{i}], got {list(feature_names)}")
        panels.append((x, w))
    fig = Figure(figsize=(10, 2.3 * len(panels) + 0.4))
    for k, (ax, (x, w)) in enumerate(zip(fig.subplots(len(panels), 1, squeeze=False)[:, 0],
                                         panels, strict=True)):
        steps = np.arange(len(x))
        share = ax.twinx()
        share.fill_between(steps, 0, w, step="mid", color="tab:red", alpha=0.3, lw=0,
                           label="attention α_t")
        share.set_ylim(0, 1.15 * max(float(w.max()), 1e-12))
        share.set_ylabel("attention α_t", color="tab:red")
        ax.set_zorder(share.get_zorder() + 1)  # the series above the area
        ax.patch.set_visible(False)
        for f, name in enumerate(feature_names):
            ax.plot(steps, x[:, f], color="black" if len(feature_names) == 1 else f"C{f}",
                    lw=1.2, label=str(name))
        ax.set(title=str(titles[k]), ylabel="value")
        ax.grid(alpha=0.3)
        if k == 0:
            lines, labels = ax.get_legend_handles_labels()
            area, label = share.get_legend_handles_labels()
            ax.legend(lines + area, labels + label, loc="upper right", fontsize="small")
    ax.set_xlabel("time step t")
    fig.tight_layout()
    save_figure(fig, path)
