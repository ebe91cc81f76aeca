"""Figures (PNG) from results computed elsewhere; matplotlib is imported here only, one
module per kind of result."""

from rnnkit.io.plots.anomaly import plot_stream
from rnnkit.io.plots.classify import plot_attention, plot_confusion
from rnnkit.io.plots.figure import save_axes
from rnnkit.io.plots.forecast import plot_error_by_step, plot_forecast, plot_series_examples
from rnnkit.io.plots.reservoir import plot_predictions, plot_search
from rnnkit.io.plots.speech import plot_alignment
from rnnkit.io.plots.training import plot_gradient_flow, plot_gradient_heatmap, plot_loss
from rnnkit.io.plots.translate import plot_translation_attention

__all__ = ["plot_alignment", "plot_attention", "plot_confusion", "plot_error_by_step",
           "plot_forecast", "plot_gradient_flow", "plot_gradient_heatmap", "plot_loss",
           "plot_predictions", "plot_search", "plot_series_examples", "plot_stream",
           "plot_translation_attention", "save_axes"]
