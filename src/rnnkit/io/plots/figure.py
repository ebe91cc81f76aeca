"""What every figure shares: a pyplot-free Figure, and an atomic PNG write.

Figures are built on ``matplotlib.figure.Figure`` directly, not pyplot, so drawing a file never
touches the session's backend (a notebook keeps its inline plots) and needs no screen.
"""

import io
from pathlib import Path

from rnnkit.io.files import write_bytes_atomic


def new_figure(width: float, height: float):
    """A Figure with one Axes, drawn without pyplot (no backend, no screen)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    return fig, fig.subplots()


def readable_dates(ax) -> None:
    """Concise date ticks (2022-06, then 03, 06, ... and hours within a day) that do not
    overlap, when the x axis holds dates; steps are left alone."""
    import matplotlib.dates as mdates

    if isinstance(ax.xaxis.get_major_formatter(), mdates.AutoDateFormatter):
        locator = mdates.AutoDateLocator(minticks=3, maxticks=6)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def save_figure(fig, path: str | Path) -> None:
    """Write ``fig`` as a PNG at ``path``, atomically."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    write_bytes_atomic(path, buffer.getvalue())


def save_axes(path: str | Path, axes) -> None:
    """Save the figure of pyplot ``axes`` drawn elsewhere (e.g. Optuna's plots), then close it."""
    import matplotlib.pyplot as plt

    save_figure(axes.figure, path)
    plt.close(axes.figure)
