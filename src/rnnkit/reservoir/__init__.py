"""rnnkit.reservoir: echo state networks on NumPy and SciPy. The reservoir and its state loop,
its readouts (ridge, recursive least squares), the ESN estimator, its evaluation and search on a
series, and the Mackey-Glass series it is measured on."""

from rnnkit.reservoir.chaos import mackey_glass
from rnnkit.reservoir.esn import ESN
from rnnkit.reservoir.readouts import RIDGE_GRID, RecursiveLeastSquares, ridge_readout
from rnnkit.reservoir.reservoir import (
    Reservoir,
    ReservoirConfig,
    reservoir_features,
    spectral_radius_of,
)

__all__ = ["ESN", "RIDGE_GRID", "RecursiveLeastSquares", "Reservoir", "ReservoirConfig",
           "mackey_glass", "reservoir_features", "ridge_readout", "spectral_radius_of"]
