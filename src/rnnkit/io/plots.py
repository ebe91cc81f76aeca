"""Figures (PNG) from results computed elsewhere; matplotlib is imported here only.

Figures are built on ``matplotlib.figure.Figure`` directly, not pyplot, so drawing a file never
touches the session's backend (a notebook keeps its inline plots) and needs no screen.
"""

import io
from pathlib import Path

import numpy as np
import pandas as pd

from rnnkit.io.files import write_bytes_atomic


def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    return fig, fig.subplots()


def _save(fig, path: str | Path) -> None:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    write_bytes_atomic(path, buffer.getvalue())


def save_axes(path: str | Path, axes) -> None:
    """Save the figure of pyplot ``axes`` drawn elsewhere (e.g. Optuna's plots), then close it."""
    import matplotlib.pyplot as plt

    _save(axes.figure, path)
    plt.close(axes.figure)


def plot_forecast(path: str | Path, history: pd.Series, predictions: pd.DataFrame,
                  future: pd.DataFrame | None, target: str, title: str, season: int = 1) -> None:
    """The tutorial's figure, readable for long series: the test part's one-step forecasts.

    ``predictions`` is :func:`rnnkit.forecast.backtesting.backtest`'s long form (origin, step, date, actual,
    model, naive, snaive, drift). The top panel shows the end of the training data and the
    last part of the test part (at most 400 points, or 4 seasons when longer) with the
    one-step-ahead model, naive and seasonal-naive forecasts, then the future. With H > 1 a
    second panel draws three whole H-step forecasts from origins spread over the test part.
    """
    from matplotlib.figure import Figure

    steps = int(predictions["step"].max())
    one = predictions[predictions["step"] == 1]
    shown = one.iloc[-max(400, 4 * season):]
    actual = predictions.drop_duplicates("date")  # every test time, to the end of the data
    actual = actual[actual["date"] >= shown["date"].iloc[0]]
    fig = Figure(figsize=(12, 6 if steps == 1 else 9))
    grid = fig.add_gridspec(1 if steps == 1 else 2, 3)
    ax = fig.add_subplot(grid[0, :])
    context = history.iloc[-len(shown) // 3:] if len(one) == len(shown) else history.iloc[:0]
    if len(context):
        ax.plot(context.index, context.to_numpy(), color="0.55", lw=1, label="training data")
    ax.plot(actual["date"], actual["actual"], color="black", lw=1.2, label="actual")
    ax.plot(shown["date"], shown["naive"], color="tab:orange", lw=1, ls="--",
            label="naive (last value)")
    if season > 1:
        ax.plot(shown["date"], shown["snaive"], color="tab:green", lw=1, ls=":",
                label=f"seasonal naive (m = {season})")
    ax.plot(shown["date"], shown["model"], color="tab:blue", lw=1.2, label="model, 1 step ahead")
    if "spread" in shown:
        ax.fill_between(shown["date"], shown["model"] - 2 * shown["spread"],
                        shown["model"] + 2 * shown["spread"], color="tab:blue", alpha=0.2,
                        lw=0, label="ensemble ±2σ")
    if future is not None and len(future):
        ax.plot(future.index, future[target], color="tab:red", lw=1.5, marker=".",
                label=f"forecast, next {len(future)} steps")
    last_of = "" if len(one) == len(shown) else f" (last {len(shown)} of {len(one)} origins)"
    ax.set(title=title + last_of, xlabel="time", ylabel=target)
    ax.legend(loc="upper left", fontsize="small")
    ax.grid(alpha=0.3)
    if steps > 1:
        origins = predictions["origin"].unique()
        for k, origin in enumerate(origins[np.linspace(0, len(origins) - 1, 3).astype(int)]):
            _plot_path(fig.add_subplot(grid[1, k]), predictions[predictions["origin"] == origin],
                       target if k == 0 else "", steps, legend=k == 0)
    fig.tight_layout()
    _save(fig, path)


def _plot_path(ax, path: pd.DataFrame, target: str, steps: int, legend: bool) -> None:
    """One H-step forecast (model and seasonal naive) against what happened."""
    ax.plot(path["date"], path["actual"], color="black", lw=1.2, label="actual")
    ax.plot(path["date"], path["model"], color="tab:blue", lw=1.2, label="model")
    ax.plot(path["date"], path["snaive"], color="tab:green", lw=1, ls=":", label="seasonal naive")
    ax.set(title=f"{steps} steps from {path['origin'].iloc[0]}", ylabel=target)
    ax.tick_params(axis="x", labelrotation=30, labelsize="small")
    if legend:
        ax.legend(loc="upper left", fontsize="small")
    ax.grid(alpha=0.3)


def plot_error_by_step(path: str | Path, predictions: pd.DataFrame, season: int = 1) -> None:
    """Many series: the mean sMAPE over series at each step h = 1 .. H, model and benchmarks.

    ``predictions`` is the long form of :func:`rnnkit.forecast.backtesting.backtest` for many series.
    """
    fig, ax = _figure(9, 5)
    y = predictions["actual"].to_numpy()
    for k, who in enumerate(w for w in ("model", "naive", "snaive", "naive2", "drift")
                            if w in predictions):
        f = predictions[who].to_numpy()
        denominator = np.abs(y) + np.abs(f)
        smape = 200 * np.divide(np.abs(y - f), denominator, out=np.zeros_like(y),
                                where=denominator > 0)
        by_step = pd.Series(smape).groupby(predictions["step"].to_numpy()).mean()
        label = f"seasonal naive (m = {season})" if who == "snaive" else who
        ax.plot(by_step.index, by_step.to_numpy(), color=f"C{k}", lw=1.5 if k == 0 else 1,
                label=label)
    ax.set(title="error by horizon step, mean over series and origins", xlabel="step h",
           ylabel="sMAPE (%)")
    ax.legend()
    ax.grid(alpha=0.3)
    _save(fig, path)


def plot_series_examples(path: str | Path, predictions: pd.DataFrame, per_series: pd.DataFrame,
                         target: str) -> None:
    """The best, median and worst series by the model's sMAPE: the last test origin's forecast
    (model and seasonal naive) against what happened."""
    from matplotlib.figure import Figure

    column = per_series.columns[0]
    ranked = per_series.sort_values("model_smape", kind="stable")[column].tolist()
    picks = {"best": ranked[0], "median": ranked[len(ranked) // 2], "worst": ranked[-1]}
    fig = Figure(figsize=(14, 4))
    for ax, (name, key) in zip(fig.subplots(1, 3), picks.items(), strict=True):
        rows = predictions[predictions[column] == key]
        rows = rows[rows["origin"] == rows["origin"].iloc[-1]]
        ax.plot(rows["date"], rows["actual"], color="black", lw=1.2, label="actual")
        ax.plot(rows["date"], rows["model"], color="tab:blue", lw=1.2, label="model")
        ax.plot(rows["date"], rows["snaive"], color="tab:green", lw=1, ls=":",
                label="seasonal naive")
        smape = per_series.loc[per_series[column] == key, "model_smape"].iloc[0]
        ax.set(title=f"{name}: {key} (sMAPE {smape:.2f}%)", ylabel=target)
        ax.tick_params(axis="x", labelrotation=30, labelsize="small")
        ax.grid(alpha=0.3)
    fig.axes[0].legend(loc="upper left", fontsize="small")
    fig.tight_layout()
    _save(fig, path)


FEW_EPOCHS = 5  # below this many epochs a loss plot shows every optimizer step


def plot_loss(path: str | Path, histories: list, ylabel: str, title: str = "loss") -> None:
    """Training and validation loss (log scale when every loss is positive), one pair of lines
    per model.

    ``histories``: :class:`rnnkit.training.loop.History` objects. With many epochs the lines are the
    per-epoch means; with fewer than :data:`FEW_EPOCHS` the training line is every optimizer
    step's loss and the validation losses are points at the steps where each epoch ended. A
    model fitted in closed form (one record, no steps) is one point per part.
    """
    fig, ax = _figure(8, 5)
    per_step = all(len(h.records) < FEW_EPOCHS and h.steps for h in histories)
    for k, history in enumerate(histories):
        records, suffix = history.records, f" (member {k})" if len(histories) > 1 else ""
        x = [r["step"] for r in records] if per_step else [r["epoch"] for r in records]
        marker = "o" if len(records) < FEW_EPOCHS else None
        if per_step:
            ax.plot([s["step"] for s in history.steps], [s["loss"] for s in history.steps],
                    color=f"C{k}", lw=0.8, label="train, per step" + suffix)
        else:
            ax.plot(x, [r["train_loss"] for r in records], color=f"C{k}", lw=1, marker=marker,
                    label="train" + suffix)
        if records and records[0].get("val_loss") is not None:
            ax.plot(x, [r["val_loss"] for r in records], color=f"C{k}", lw=1, ls="--",
                    marker="o" if per_step else marker, label="validation" + suffix)
    drawn = [y for line in ax.get_lines() for y in line.get_ydata()]
    positive = bool(drawn) and min(drawn) > 0  # a log axis cannot show a loss of 0
    ax.set(title=title, xlabel="optimizer step" if per_step else "epoch", ylabel=ylabel,
           yscale="log" if positive else "linear")
    ax.legend()
    ax.grid(alpha=0.3)
    _save(fig, path)


def plot_gradient_flow(path: str | Path, curves: dict[str, list[float]],
                       title: str = "gradient flow", chosen: str = "") -> None:
    """‖∂L/∂h_t‖ against the lag T-1-t (log scale), one line per label: how far back L reaches.

    ``curves`` maps a label (e.g. the cell) to g_0 .. g_{T-1} as
    :func:`rnnkit.nn.diagnostics.gradient_flow` returns them; a straight falling line is a
    geometrically vanishing gradient, a rising one an exploding gradient. The ``chosen``
    label's line is drawn thick and named so; the others are the comparison.
    """
    fig, ax = _figure(8, 5)
    for k, (label, norms) in enumerate(curves.items()):
        lags = range(len(norms))  # lag T-1-t: the last step first
        mine = label == chosen
        ax.plot(lags, list(reversed(norms)), color=f"C{k}", lw=2.6 if mine else 1.0,
                alpha=1.0 if mine else 0.7, label=f"{label} (chosen)" if mine else label,
                zorder=3 if mine else 2)
    ax.set(title=title, xlabel="time lag T-1-t (steps back from the loss)",
           ylabel="‖∂L/∂h_t‖ (batch mean)", yscale="log")
    ax.legend()
    ax.grid(alpha=0.3, which="both")
    _save(fig, path)


def plot_gradient_heatmap(path: str | Path, snapshots: list[dict],
                          title: str = "gradient flow during training") -> None:
    """log10 ‖∂L/∂h_t‖ over (training step × time step t), from GradientFlowTracker snapshots.

    One row per snapshot (its "step"), one column per time step; zero norms (underflow) are
    left blank.
    """
    from rnnkit._checks import InputError

    if not snapshots:
        raise InputError("snapshots must hold at least one snapshot, got none")
    norms = np.array([s["grad_norm"] for s in snapshots], dtype=float)  # (snapshots, T)
    with np.errstate(divide="ignore"):
        image = np.ma.masked_invalid(np.log10(norms))
    steps = [s["step"] for s in snapshots]
    fig, ax = _figure(9, 5)
    mesh = ax.pcolormesh(np.arange(norms.shape[1] + 1) - 0.5, np.arange(len(steps) + 1) - 0.5,
                         image, cmap="viridis", shading="flat")
    every = max(1, len(steps) // 10)  # at most ~10 step labels
    ax.set_yticks(range(0, len(steps), every), [str(s) for s in steps[::every]])
    ax.set(title=title, xlabel="time step t (loss at T-1)", ylabel="training step")
    fig.colorbar(mesh, ax=ax, label="log10 ‖∂L/∂h_t‖")
    _save(fig, path)


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
    _save(fig, path)


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
    _save(fig, path)


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
    fig, ax = _figure(side + 1.2, side)
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
    _save(fig, path)


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
    _save(fig, path)
