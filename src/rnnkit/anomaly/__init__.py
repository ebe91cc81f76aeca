"""rnnkit.anomaly: anomalies in streams, scored the way the Numenta Anomaly Benchmark scores.

:mod:`.nab` (NAB's windows, scaled sigmoid, profiles, threshold and normalisation; NumPy only),
:mod:`.likelihood` (the online anomaly likelihood of a raw surprise), :mod:`.network` (the
forecaster that knows its spread), :mod:`.detector` (:class:`StreamDetector`: surprise ->
likelihood -> alarms), :mod:`.report` (a corpus's score report), :mod:`.synthetic` (labelled
streams to choose settings on).

>>> from rnnkit.anomaly import PROFILES, score_file
"""

from rnnkit.anomaly.detector import StreamDetector, alarms, log_score, scored
from rnnkit.anomaly.likelihood import anomaly_likelihood, rolling_mean, surprise_z
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
from rnnkit.anomaly.report import LabelledScores, ScoreReport, score_report

__all__ = ["PROFILES", "Costs", "FileScore", "LabelledScores", "RowValues", "ScoreReport",
           "StreamDetector", "alarms", "anomaly_likelihood", "best_threshold", "log_score",
           "normalised", "probation_rows", "rolling_mean", "row_values", "scaled_sigmoid",
           "score_file", "score_report", "scored", "surprise_z", "threshold_curve",
           "window_count"]
