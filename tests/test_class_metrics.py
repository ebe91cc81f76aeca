"""Classification scores against hand-computed values; the UCR baselines against the archive."""

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnkit._checks import InputError
from rnnkit.classify.metrics import classification_scores, majority_baseline, nn1_euclidean

DATASETS = Path(__file__).resolve().parents[1] / "src" / "rnnkit" / "datasets"
EPS = np.finfo(float).eps  # scikit-learn's log_loss clips p to [ε, 1 - ε]

# -- classification_scores: a 3-class example worked out on paper ----------------------------

# true a (4): predicted a, a, a, b;  true b (3): b, b, c;  true c (3): c, a, a
TRUE = ["a"] * 4 + ["b"] * 3 + ["c"] * 3
PRED = ["a", "a", "a", "b", "b", "b", "c", "c", "a", "a"]
CLASSES = ["a", "b", "c"]


def test_three_classes_by_hand():
    s = classification_scores(TRUE, PRED, CLASSES)
    assert s["confusion"] == [[3, 1, 0],
                              [0, 2, 1],
                              [2, 0, 1]]
    assert s["accuracy"] == pytest.approx(6 / 10)  # the diagonal 3 + 2 + 1
    # recall = diagonal / row sum: 3/4, 2/3, 1/3; precision = diagonal / column sum: 3/5, 2/3, 1/2
    # F1 = 2 TP / (2 TP + FP + FN): 6/9, 4/6, 2/5
    expected = {"a": (3 / 5, 3 / 4, 2 / 3, 4), "b": (2 / 3, 2 / 3, 2 / 3, 3),
                "c": (1 / 2, 1 / 3, 2 / 5, 3)}
    for label, (precision, recall, f1, support) in expected.items():
        row = s["per_class"][label]
        assert row["precision"] == pytest.approx(precision)
        assert row["recall"] == pytest.approx(recall)
        assert row["f1"] == pytest.approx(f1)
        assert row["support"] == support
    assert s["balanced_accuracy"] == pytest.approx((3 / 4 + 2 / 3 + 1 / 3) / 3)  # 7/12
    assert s["macro_f1"] == pytest.approx((2 / 3 + 2 / 3 + 2 / 5) / 3)  # 26/45
    assert s["log_loss"] is None
    assert list(s["per_class"]) == CLASSES  # in classes order


def test_log_loss_of_known_probabilities():
    # 0.5 on the predicted class, 0.25 on the others: p[y] = 0.5 on the 6 hits, 0.25 on 4 misses
    proba = [[0.5 if c == p else 0.25 for c in CLASSES] for p in PRED]
    s = classification_scores(TRUE, PRED, CLASSES, proba=proba)
    assert s["log_loss"] == pytest.approx(-(6 * math.log(0.5) + 4 * math.log(0.25)) / 10)
    assert s["log_loss"] == pytest.approx(1.4 * math.log(2))


def test_log_loss_clips_as_scikit_learn():
    s = classification_scores([0, 1], [1, 1], [0, 1], proba=[[0.0, 1.0], [0.0, 1.0]])
    # p[y] = 0 -> ε, p[y] = 1 -> 1 - ε: finite
    assert s["log_loss"] == pytest.approx(-(math.log(EPS) + math.log(1 - EPS)) / 2)


def test_float32_probabilities_are_rescaled():
    p = np.array([[0.1, 0.2, 0.7]], dtype=np.float32) * (1 + 3e-7)  # sums to 1 only in float32
    s = classification_scores(["c"], ["c"], CLASSES, proba=p)
    assert s["log_loss"] == pytest.approx(-math.log(0.7), rel=1e-6)


def test_a_never_predicted_class_has_precision_zero():
    s = classification_scores(["a", "b", "c"], ["a", "a", "b"], CLASSES)
    assert s["per_class"]["c"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert s["per_class"]["b"]["precision"] == 0.0  # predicted once, wrongly


def test_a_class_the_test_part_lacks_changes_no_average():
    s = classification_scores(["a", "b"], ["a", "b"], CLASSES, proba=[[1, 0, 0], [0, 1, 0]])
    assert s["accuracy"] == s["balanced_accuracy"] == s["macro_f1"] == 1.0
    assert s["per_class"]["c"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    assert s["confusion"] == [[1, 0, 0], [0, 1, 0], [0, 0, 0]]


def test_plain_python_numbers_ready_for_json():
    labels = np.array([-1, 1, 1, -1])
    s = classification_scores(labels, np.array([-1, 1, -1, -1]), np.array([-1, 1]),
                              proba=np.full((4, 2), 0.5))
    json.dumps(s, allow_nan=False)
    for key in ("accuracy", "balanced_accuracy", "macro_f1", "log_loss"):
        assert type(s[key]) is float
    assert list(s["per_class"]) == ["-1", "1"]
    assert all(type(v) is float for k, v in s["per_class"]["1"].items() if k != "support")
    assert type(s["per_class"]["1"]["support"]) is int
    assert all(type(n) is int for row in s["confusion"] for n in row)


@pytest.mark.parametrize("args, match", [
    ((["a", "x"], ["a", "b"], CLASSES), r"y_true\[1\] is 'x'"),
    ((["a", "b"], ["a", 7], CLASSES), r"y_pred\[1\] is 7"),
    ((["a", "b"], ["a"], CLASSES), "same length"),
    (([], [], CLASSES), "non-empty"),
    ((["a"], ["a"], ["a"]), "at least 2"),
    ((["a"], ["a"], ["a", "b", "a"]), "distinct"),
    (([1], [1], [1, "1"]), "distinct"),
])
def test_bad_labels_are_named(args, match):
    with pytest.raises(InputError, match=match):
        classification_scores(*args)


@pytest.mark.parametrize("proba, match", [
    ([[0.5, 0.5]], r"proba must have shape \(1, 3\)"),
    ([[0.5, 0.6, -0.1]], r"\[0, 1\]"),
    ([[0.5, np.nan, 0.5]], r"\[0, 1\]"),
    ([[0.5, 0.4, 0.0]], "row 0 sums to 0.9"),
])
def test_bad_probabilities_are_named(proba, match):
    with pytest.raises(InputError, match=match):
        classification_scores(["a"], ["a"], CLASSES, proba=proba)


# -- properties ----------------------------------------------------------------------------

@st.composite
def predictions(draw):
    num_classes = draw(st.integers(2, 5))
    n = draw(st.integers(1, 30))
    codes = st.lists(st.integers(0, num_classes - 1), min_size=n, max_size=n)
    raw = draw(st.lists(st.lists(st.floats(0.01, 1.0), min_size=num_classes,
                                 max_size=num_classes), min_size=n, max_size=n))
    proba = np.array(raw) / np.sum(raw, axis=1, keepdims=True)
    return list(range(10, 10 + num_classes)), draw(codes), draw(codes), proba


@settings(max_examples=60, deadline=None)
@given(predictions())
def test_accuracy_is_the_trace_of_the_confusion_over_n(case):
    classes, true, pred, proba = case
    truth = [classes[c] for c in true]
    s = classification_scores(truth, [classes[c] for c in pred], classes, proba)
    confusion = np.array(s["confusion"])
    assert confusion.sum() == len(true)
    assert s["accuracy"] == pytest.approx(np.trace(confusion) / len(true))
    assert [s["per_class"][str(c)]["support"] for c in classes] == confusion.sum(1).tolist()


@settings(max_examples=60, deadline=None)
@given(predictions())
def test_a_perfect_prediction_scores_one(case):
    classes, true, _, _ = case
    truth = [classes[c] for c in true]
    s = classification_scores(truth, truth, classes)
    assert s["accuracy"] == s["balanced_accuracy"] == s["macro_f1"] == 1.0


@settings(max_examples=60, deadline=None)
@given(predictions(), st.randoms(use_true_random=False))
def test_permuting_the_rows_changes_nothing(case, random):
    classes, true, pred, proba = case
    order = list(range(len(true)))
    random.shuffle(order)
    before = classification_scores([classes[c] for c in true], [classes[c] for c in pred],
                                   classes, proba)
    after = classification_scores([classes[true[i]] for i in order],
                                  [classes[pred[i]] for i in order], classes, proba[order])
    assert after["log_loss"] == pytest.approx(before["log_loss"])  # a sum in another order
    after["log_loss"] = before["log_loss"]
    assert after == before


# -- the UCR archive's baselines on ECG200 ---------------------------------------------------

def _ecg200(part: str) -> tuple[np.ndarray, np.ndarray]:
    table = np.loadtxt(DATASETS / f"ECG200_{part}.tsv", delimiter="\t")
    assert table.shape == (100, 97)  # label, then 96 values
    return table[:, 1:, None], table[:, 0].astype(int)


def test_nn1_euclidean_matches_the_archive_on_ecg200():
    """The UCR archive (2018) publishes a 1-NN Euclidean test error of 0.12 for ECG200."""
    train_x, train_y = _ecg200("TRAIN")
    test_x, test_y = _ecg200("TEST")
    predicted = nn1_euclidean(train_x, train_y, test_x)
    assert int((predicted == test_y).sum()) == 88
    s = classification_scores(test_y, predicted, [-1, 1])
    assert s["accuracy"] == 0.88
    # the same figure from a list of (T_i, F) arrays and from an (N, T) array
    as_list = nn1_euclidean(list(train_x), train_y, list(test_x))
    np.testing.assert_array_equal(as_list, predicted)
    np.testing.assert_array_equal(nn1_euclidean(train_x[:, :, 0], train_y, test_x[:, :, 0]),
                                  predicted)


def test_majority_baseline_on_ecg200():
    _, train_y = _ecg200("TRAIN")  # 69 of class 1, 31 of class -1
    _, test_y = _ecg200("TEST")  # 64 of class 1
    labels, proba = majority_baseline(train_y, [-1, 1], len(test_y))
    assert labels.tolist() == [1] * 100
    np.testing.assert_allclose(proba, np.tile([0.31, 0.69], (100, 1)))
    s = classification_scores(test_y, labels, [-1, 1], proba)
    assert s["accuracy"] == 0.64
    assert s["balanced_accuracy"] == 0.5
    assert s["log_loss"] == pytest.approx(-(64 * math.log(0.69) + 36 * math.log(0.31)) / 100)


# -- majority_baseline -------------------------------------------------------------------------

def test_majority_ties_go_to_the_first_class():
    assert majority_baseline(["b", "a"], ["a", "b"], 1)[0].tolist() == ["a"]
    assert majority_baseline(["b", "a"], ["b", "a"], 1)[0].tolist() == ["b"]


def test_majority_gives_an_unseen_class_probability_zero():
    labels, proba = majority_baseline(["b", "b", "c"], ["a", "b", "c"], 2)
    assert labels.tolist() == ["b", "b"]
    np.testing.assert_allclose(proba, [[0, 2 / 3, 1 / 3]] * 2)


def test_majority_errors():
    with pytest.raises(InputError, match=r"train_labels\[1\] is 'z'"):
        majority_baseline(["a", "z"], ["a", "b"], 1)
    with pytest.raises(InputError, match="n must be a positive int"):
        majority_baseline(["a"], ["a", "b"], 0)


# -- nn1_euclidean -------------------------------------------------------------------------

def _brute_force(train: np.ndarray, labels: list, test: np.ndarray) -> list:
    """The archive's loop: the first training series with a strictly smaller distance wins."""
    out = []
    for x in test:
        best, best_distance = None, math.inf
        for z, label in zip(train, labels, strict=True):
            distance = float(np.sum((x - z) ** 2))
            if distance < best_distance:
                best, best_distance = label, distance
        out.append(best)
    return out


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 8), st.integers(1, 6), st.integers(1, 3), st.integers(1, 5),
       st.integers(0, 2**32 - 1))
def test_nn1_equals_the_loop_over_pairs(num_train, length, features, num_test, seed):
    rng = np.random.default_rng(seed)
    # small integers: equal distances (ties) are common
    train = rng.integers(-2, 3, size=(num_train, length, features)).astype(float)
    test = rng.integers(-2, 3, size=(num_test, length, features)).astype(float)
    labels = list(range(num_train))
    assert nn1_euclidean(train, labels, test).tolist() == _brute_force(train, labels, test)


def test_ties_go_to_the_first_training_series():
    rng = np.random.default_rng(0)
    train = rng.normal(size=(50, 30, 2))
    train[33] = train[7]  # an exact copy, later in the order
    test = train[[7]] + 1e-3 * rng.normal(size=(1, 30, 2))
    assert nn1_euclidean(train, np.arange(50), test).tolist() == [7]
    # equidistant but different: +1 and -1 around a test series of zeros
    both = np.stack([np.ones((4, 1)), -np.ones((4, 1)), 3 * np.ones((4, 1))])
    assert nn1_euclidean(both, ["plus", "minus", "far"], np.zeros((1, 4, 1))).tolist() == ["plus"]
    assert nn1_euclidean(both[[1, 0]], ["minus", "plus"], np.zeros((1, 4, 1))).tolist() == [
        "minus"]


def test_ragged_series_are_resampled_to_the_longest_training_length():
    # the test ramp 0 -> 1 in 3 steps, resampled to 9, is exactly the 9-step ramp; comparing
    # only the first 3 steps, or padding with the last value, would pick the plateau instead
    ramp = np.linspace(0, 1, 9)[:, None]
    plateau = np.array([0, 0.5, 1, 1, 1, 1, 1, 1, 1.0])[:, None]
    test = [np.array([0, 0.5, 1.0])[:, None]]
    assert nn1_euclidean([ramp, plateau], ["ramp", "plateau"], test).tolist() == ["ramp"]
    assert nn1_euclidean([plateau, ramp], ["plateau", "ramp"], test).tolist() == ["ramp"]


def test_a_stretched_series_is_its_nearest_neighbour():
    t = np.linspace(0, 1, 25)
    heartbeat = np.exp(-((t - 0.3) / 0.05) ** 2) - 0.4 * np.exp(-((t - 0.6) / 0.1) ** 2)
    other = np.sin(2 * np.pi * np.linspace(0, 1, 40))
    # the heartbeat stretched to 40 steps, and squeezed to 15, as NaN-padded (N, T) arrays
    stretched = np.interp(np.linspace(0, 1, 40), t, heartbeat)
    squeezed = np.interp(np.linspace(0, 1, 15), t, heartbeat)
    train = np.full((3, 40), np.nan)
    train[0], train[1, :25], train[2] = other, heartbeat, -stretched
    test = np.full((2, 40), np.nan)
    test[0], test[1, :15] = stretched, squeezed
    assert nn1_euclidean(train, ["sine", "beat", "inverted"], test).tolist() == ["beat", "beat"]


def test_test_series_longer_than_the_training_ones():
    t = np.linspace(0, 1, 10)
    train = [np.sin(3 * t), np.cos(3 * t)]
    test = [np.sin(3 * np.linspace(0, 1, 60)), np.cos(3 * np.linspace(0, 1, 4))]
    assert nn1_euclidean(train, ["sin", "cos"], test).tolist() == ["sin", "cos"]


@pytest.mark.parametrize("train, labels, test, match", [
    (np.array([[1.0, np.nan, 2.0]]), [0], np.zeros((1, 3)), "train_values series 0"),
    (np.zeros((1, 3)), [0], np.array([[np.nan, 1.0, 1.0]]), "test_values series 0"),
    (np.zeros((1, 3)), [0], np.array([[1.0, np.inf, 1.0]]), "test_values series 0"),
    (np.array([[[1.0, np.nan]]]), [0], np.zeros((1, 1, 2)), "train_values series 0"),
    (np.zeros((2, 3, 2)), [0, 1], np.zeros((1, 3, 1)), "2 features per step"),
    (np.zeros((2, 3)), [0], np.zeros((1, 3)), r"train_labels must have shape \(2,\)"),
    (np.zeros((0, 3)), [], np.zeros((1, 3)), "train_values must hold series"),
    ([np.zeros((3, 1)), np.zeros((3, 2))], [0, 1], np.zeros((1, 3)), "one F"),
])
def test_nn1_errors_name_the_argument(train, labels, test, match):
    with pytest.raises(InputError, match=match):
        nn1_euclidean(train, labels, test)
