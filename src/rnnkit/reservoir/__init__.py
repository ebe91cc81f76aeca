"""rnnkit.reservoir: echo state networks on NumPy and SciPy. The reservoir, its readouts
(ridge, recursive least squares), the ESN estimator, its evaluation and search on a series, and
the Mackey-Glass series it is measured on."""

from rnnkit.reservoir.chaos import mackey_glass
from rnnkit.reservoir.esn import (
           ESN,
           RecursiveLeastSquares,
           Reservoir,
           ReservoirConfig,
           ridge_readout,
)

__all__ = ["ESN", "RecursiveLeastSquares", "Reservoir", "ReservoirConfig", "mackey_glass",
           "ridge_readout"]
