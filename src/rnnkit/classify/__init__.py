"""rnnkit.classify: whole sequences to labels. ``SequenceClassifier`` over a member behind one
protocol (a pooled recurrent network, or ridge on reservoir states), and the classification
metrics and baselines it is scored beside."""

from rnnkit.classify.classifier import SequenceClassifier
from rnnkit.classify.members import CLASSIFIER_MEMBERS, ClassifierMember, NetworkClassifier
from rnnkit.classify.metrics import classification_scores, majority_baseline, nn1_euclidean
from rnnkit.classify.reservoir import ReservoirClassifier

__all__ = ["CLASSIFIER_MEMBERS", "ClassifierMember", "NetworkClassifier", "ReservoirClassifier",
           "SequenceClassifier", "classification_scores", "majority_baseline", "nn1_euclidean"]
