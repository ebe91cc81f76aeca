"""rnnkit: recurrent neural networks made real.

The public API is imported lazily (PEP 562), so ``import rnnkit`` and ``rnnkit --help`` stay fast
and do not load torch until a layer is used.
"""

from rnnkit._exports import lazy_exports

__version__ = "0.3.0"

_EXPORTS = {
    "RNN": "rnnkit.nn.layers", "LSTM": "rnnkit.nn.layers", "GRU": "rnnkit.nn.layers",
    "RNNCell": "rnnkit.nn.cells", "LSTMCell": "rnnkit.nn.cells", "GRUCell": "rnnkit.nn.cells",
    "InputError": "rnnkit._checks",
}
__all__ = [*_EXPORTS, "__version__"]
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
