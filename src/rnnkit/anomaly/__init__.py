"""rnnkit.anomaly: anomalies in streams, scored the way the Numenta Anomaly Benchmark scores.

:mod:`.nab` (NAB's windows, scaled sigmoid, profiles, threshold and normalisation; NumPy only),
:mod:`.likelihood` (the online anomaly likelihood of a raw surprise). The detector and
``rnnkit detect`` are to come.

>>> from rnnkit.anomaly import PROFILES, score_file
"""

from rnnkit.anomaly.likelihood import anomaly_likelihood, rolling_mean
from rnnkit.anomaly.nab import (
    PROFILES,
    Costs,
    FileScore,
    RowValues,
    best_threshold,
    normalised,
    probation_rows,
    row_values,
    scaled_sigmoid,
    score_file,
    threshold_curve,
    window_count,
)

__all__ = ["PROFILES", "Costs", "FileScore", "RowValues", "anomaly_likelihood", "best_threshold",
           "normalised", "probation_rows", "rolling_mean", "row_values", "scaled_sigmoid",
           "score_file", "threshold_curve", "window_count"]
