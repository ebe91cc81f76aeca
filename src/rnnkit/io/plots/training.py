"""Figures of training: loss curves, and how far back gradients reach."""

from pathlib import Path

import numpy as np

from rnnkit.io.plots.figure import new_figure, save_figure

FEW_EPOCHS = 5  # below this many epochs a loss plot shows every optimizer step


def plot_loss(path: str | Path, histories: list, ylabel: str, title: str = "loss") -> None:
    """Training and validation loss (log scale when every loss is positive), one pair of lines
    per model.

    ``histories``: :class:`rnnkit.training.loop.History` objects. With many epochs the lines are the
    per-epoch means; with fewer than :data:`FEW_EPOCHS` the training line is every optimizer
    step's loss and the validation losses are points at the steps where each epoch ended. A
    model fitted in closed form (one record, no steps) is one point per part.
    """
    fig, ax = new_figure(8, 5)
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
    save_figure(fig, path)


def plot_gradient_flow(path: str | Path, curves: dict[str, list[float]],
                       title: str = "gradient flow", chosen: str = "") -> None:
    """‖∂L/∂h_t‖ against the lag T-1-t (log scale), one line per label: how far back L reaches.

    ``curves`` maps a label (e.g. the cell) to g_0 .. g_{T-1} as
    :func:`rnnkit.nn.diagnostics.gradient_flow` returns them; a straight falling line is a
    geometrically vanishing gradient, a rising one an exploding gradient. The ``chosen``
    label's line is drawn thick and named so; the others are the comparison.
    """
    fig, ax = new_figure(8, 5)
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
    save_figure(fig, path)


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
    fig, ax = new_figure(9, 5)
    mesh = ax.pcolormesh(np.arange(norms.shape[1] + 1) - 0.5, np.arange(len(steps) + 1) - 0.5,
                         image, cmap="viridis", shading="flat")
    every = max(1, len(steps) // 10)  # at most ~10 step labels
    ax.set_yticks(range(0, len(steps), every), [str(s) for s in steps[::every]])
    ax.set(title=title, xlabel="time step t (loss at T-1)", ylabel="training step")
    fig.colorbar(mesh, ax=ax, label="log10 ‖∂L/∂h_t‖")
    save_figure(fig, path)
