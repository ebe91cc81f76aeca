"""PooledClassifier and SequenceClassifier: padding never seen, pooling as its formula, habits."""

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from rnnkit._checks import InputError
from rnnkit.classify import NetworkClassifier, SequenceClassifier
from rnnkit.classify.classifier import as_padded
from rnnkit.classify.reservoir import ReservoirClassifier
from rnnkit.nn.init import seeded
from rnnkit.nn.models import PooledClassifier
from rnnkit.training.loop import TrainConfig

LENGTHS = (7, 3, 5, 1)


def _ragged(features: int = 2, seed: int = 0) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """A NaN-padded batch of LENGTHS and the same sequences alone."""
    g = torch.Generator().manual_seed(seed)
    alone = [torch.randn(n, features, generator=g, dtype=torch.float64) for n in LENGTHS]
    batch = torch.full((len(LENGTHS), max(LENGTHS), features), float("nan"), dtype=torch.float64)
    for i, s in enumerate(alone):
        batch[i, : len(s)] = s
    return batch, alone


def _model(**kwargs) -> PooledClassifier:
    with seeded(0):
        return PooledClassifier(2, hidden_size=5, num_classes=3, **kwargs).double().eval()


@pytest.mark.parametrize("pooling", ["last", "mean", "attention"])
@pytest.mark.parametrize("cell,bidirectional,patch", [("lstm", False, 1), ("lstm", True, 1),
                                                      ("gru", True, 2), ("rnn", False, 3)])
def test_a_padded_batch_gives_what_each_sequence_gives_alone(pooling, cell, bidirectional,
                                                             patch):
    model = _model(pooling=pooling, cell=cell, bidirectional=bidirectional, patch=patch)
    batch, alone = _ragged()
    with torch.no_grad():
        together, _, _ = model(batch)
        weights = model.encode(batch)[1]
        for i, s in enumerate(alone):
            single, _, _ = model(s[None])
            torch.testing.assert_close(together[i], single[0], rtol=1e-10, atol=1e-12)
            if pooling == "attention":
                torch.testing.assert_close(weights[i, : len(s)], model.encode(s[None])[1][0])


def test_pooling_follows_its_formula():
    """last = [h→_T, h←_1], mean = average of the outputs, attention = softmax(v·tanh(W h + b))."""
    batch, alone = _ragged()
    s = alone[0]
    for pooling in ("last", "mean", "attention"):
        model = _model(pooling=pooling, bidirectional=True)
        with torch.no_grad():
            out, _ = model.rnn(s[None])
            out = out[0]  # (T, 2H)
            z, weights, _ = model.encode(s[None])
            if pooling == "last":
                expected = torch.cat([out[-1, :5], out[0, 5:]])
            elif pooling == "mean":
                expected = out.mean(dim=0)
            else:
                lin, _, v = model.attention
                alpha = torch.softmax(v(torch.tanh(lin(out))).squeeze(-1), dim=0)
                expected = alpha @ out
                torch.testing.assert_close(weights[0], alpha)
            torch.testing.assert_close(z[0], expected)


def test_attention_weights_sum_to_one_are_zero_past_the_end_and_even_within_a_patch():
    model = _model(pooling="attention", patch=2)
    batch, _ = _ragged()
    with torch.no_grad():
        weights = model.encode(batch)[1]
    torch.testing.assert_close(weights.sum(dim=1), torch.ones(len(LENGTHS), dtype=torch.float64))
    for i, n in enumerate(LENGTHS):
        assert (weights[i, n:] == 0).all()
    torch.testing.assert_close(weights[0, 0], weights[0, 1])  # one patch, two steps


def test_weighted_cross_entropy_is_the_mean_of_the_weighted_log_losses():
    model = _model(pooling="mean")
    model.class_weight.copy_(torch.tensor([1.0, 3.0, 0.5]))
    batch, _ = _ragged()
    targets = torch.tensor([0.0, 1.0, 1.0, 2.0])
    with torch.no_grad():
        logits, loss, _ = model(batch, targets)
    w = model.class_weight[targets.long()]
    nll = -F.log_softmax(logits, dim=1)[torch.arange(4), targets.long()]
    torch.testing.assert_close(loss, (w * nll).mean())


def test_gradients_through_packed_attention_pooling_match_finite_differences():
    model = _model(pooling="attention", cell="gru")
    batch, _ = _ragged()
    steps = ~torch.isnan(batch)
    values = batch[steps].clone().requires_grad_(True)

    def loss(v):
        x = torch.full_like(batch, float("nan")).masked_scatter(steps, v)
        return model(x)[0].square().sum()

    assert torch.autograd.gradcheck(loss, (values,))


def test_input_noise_is_training_only():
    model = _model(pooling="mean", input_noise=0.5)
    batch, _ = _ragged()
    with torch.no_grad():
        assert torch.equal(model(batch)[0], model(batch)[0])
        model.train()
        assert not torch.equal(model(batch)[0], model(batch)[0])


def test_as_padded_reads_lists_and_arrays_and_refuses_nan_inside():
    x, labels = as_padded([np.arange(3.0), np.arange(5.0)])
    assert x.shape == (2, 5, 1) and labels is None
    assert np.isnan(x[0, 3:]).all() and (x[1, :, 0] == np.arange(5.0)).all()
    assert as_padded(np.zeros((4, 6)))[0].shape == (4, 6, 1)
    bad = np.zeros((2, 4))
    bad[1, 1] = np.nan
    with pytest.raises(InputError, match="series 1 has NaN"):
        as_padded(bad)


def _two_classes(n: int = 40, seed: int = 0):
    """Slow and fast sines of different lengths, with noise: an easy two-class problem."""
    rng = np.random.default_rng(seed)
    X, y = [], []
    for k in range(n):
        length = int(rng.integers(12, 24))
        t = np.arange(length)
        X.append(np.sin(t * (0.4 if k % 2 else 1.6)) + 0.1 * rng.standard_normal(length))
        y.append("fast" if k % 2 == 0 else "slow")
    return X, np.array(y)


# 12 epochs score 1.0 on three test draws (8 score 0.95-1.0): enough to learn, fast to run
QUICK = NetworkClassifier(train=TrainConfig(epochs=12, batch_size=8, patience=0), patch=2)
FITTED = NetworkClassifier(train=TrainConfig(epochs=1, batch_size=8, patience=0), patch=2)


def test_the_classifier_learns_an_easy_problem_and_keeps_sklearn_habits(tmp_path):
    X, y = _two_classes()
    clf = SequenceClassifier(QUICK, ensemble=2)
    assert not hasattr(clf, "classes_")  # nothing learned in __init__
    clf.fit(X, y)
    Xt, yt = _two_classes(seed=1)
    assert clf.classes_.tolist() == ["fast", "slow"]
    proba = clf.predict_proba(Xt)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    members = np.mean([m.predict_proba(clf._inputs(Xt)) for m in clf.models_], axis=0)
    np.testing.assert_allclose(proba, members)  # the ensemble's mean
    assert clf.score(Xt, yt) >= 0.9
    clf.save(tmp_path / "model")
    again = SequenceClassifier.load(tmp_path / "model")
    np.testing.assert_allclose(again.predict_proba(Xt), proba, rtol=1e-6)


def test_the_scaler_sees_the_training_sequences_only():
    X, y = _two_classes()
    clf = SequenceClassifier(FITTED).fit([x * 3 + 5 for x in X], y)
    steps = np.concatenate([x * 3 + 5 for x in X])
    np.testing.assert_allclose(clf.scaler_.mean_, [steps.mean()])
    np.testing.assert_allclose(clf.scaler_.scale_, [steps.std()])


def test_a_class_too_rare_to_split_stays_in_training_with_a_warning():
    X, y = _two_classes()
    y = y.copy()
    y[0] = "rare"
    with pytest.warns(UserWarning, match="class rare has too few"):
        clf = SequenceClassifier(FITTED, val_fraction=0.2).fit(X, y)
    assert clf.rare_classes_ == ("rare",)


def test_errors_are_one_line():
    X, y = _two_classes()
    with pytest.raises(InputError, match="single class"):
        SequenceClassifier(FITTED).fit(X, ["a"] * len(X))
    with pytest.raises(InputError, match="not fitted"):
        SequenceClassifier(FITTED).predict(X)
    clf = SequenceClassifier(FITTED).fit(X, y)
    with pytest.raises(InputError, match="2 features per step; the model was trained on 1"):
        clf.predict(np.zeros((2, 5, 2)))
    with pytest.raises(InputError, match="one label per sequence"):
        SequenceClassifier(FITTED).fit(X, y[:-1])
    with pytest.raises(InputError, match="attention weights need"):
        clf.attention(X)


def test_an_echo_state_network_can_sit_under_the_classifier(tmp_path):
    X, y = _two_classes()
    clf = SequenceClassifier(ReservoirClassifier(units=50), ensemble=2).fit(X, y)
    Xt, yt = _two_classes(seed=1)
    assert clf.score(Xt, yt) >= 0.9
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clf.save(tmp_path / "model")
    again = SequenceClassifier.load(tmp_path / "model")
    np.testing.assert_allclose(again.predict_proba(Xt), clf.predict_proba(Xt))
