"""rnnkit.classify: whole sequences to labels. ``SequenceClassifier`` over a member behind one
protocol (a pooled recurrent network, or ridge on reservoir states), and the classification
metrics and baselines it is scored beside, and the network's settings chosen by
cross-validation on the training sequences (``cross_validate``)."""

from rnnkit.classify.classifier import SequenceClassifier
from rnnkit.classify.members import CLASSIFIER_MEMBERS, ClassifierMember, NetworkClassifier
from rnnkit.classify.metrics import classification_scores, majority_baseline, nn1_euclidean
from rnnkit.classify.reservoir import ReservoirClassifier
from rnnkit.classify.selection import (
    Selection,
    cross_validate,
    default_candidates,
    length_patch,
    with_settings,
)

__all__ = ["CLASSIFIER_MEMBERS", "ClassifierMember", "NetworkClassifier", "ReservoirClassifier",
           "Selection", "SequenceClassifier", "classification_scores", "cross_validate",
           "default_candidates", "length_patch", "majority_baseline", "nn1_euclidean",
           "with_settings"]
