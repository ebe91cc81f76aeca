"""rnnkit.classify: whole sequences to labels. ``SequenceClassifier`` over a network member
(a pooled recurrent network) or a reservoir member (ridge on reservoir states), and the
classification metrics and baselines it is scored beside."""

from rnnkit.classify.classifier import NetworkClassifier, SequenceClassifier
from rnnkit.classify.metrics import classification_scores, majority_baseline, nn1_euclidean
from rnnkit.classify.reservoir import ReservoirClassifier

__all__ = ["NetworkClassifier", "ReservoirClassifier", "SequenceClassifier",
           "classification_scores", "majority_baseline", "nn1_euclidean"]
