"""The hybrid of exponential smoothing and a recurrent network that won M4 (ES-RNN).

:mod:`.smoothing` (Holt–Winters per series), :mod:`.network` (the dilated LSTM over the
deseasonalised series, the pinball loss), :mod:`.series` (the data it reads),
:mod:`.snapshots` (a seed's training and its best epochs), :mod:`.calibration` (weights and
intervals from validation), :mod:`.estimator` (``HybridForecaster``), :mod:`.files` (its
model folder), :mod:`.config` (its job settings). The names below
load on first use.

>>> from rnnkit.forecast.hybrid import HybridForecaster
"""

from rnnkit._exports import lazy_exports

_MODULES = {
    "config": ["HYBRID_TRAIN", "HybridConfig"],
    "estimator": ["HybridForecaster"],
    "network": ["HybridNetwork"],
    "smoothing": ["HoltWinters"],
}
_EXPORTS = {name: f"{__name__}.{module}" for module, names in _MODULES.items() for name in names}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
