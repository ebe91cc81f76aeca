"""One harness over every rnnkit estimator: scikit-learn's parameter contract (get_params,
set_params, clone), fit returns self and leaves the hyperparameters alone, what fit learns ends
in ``_``, an unfitted estimator refuses to predict, and fitting twice equals one fit on the
second data. Then the subset of scikit-learn's own estimator checks that applies."""

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.utils import estimator_checks

from rnnkit._checks import InputError
from rnnkit.anomaly import StreamDetector
from rnnkit.base import Estimator
from rnnkit.classify import NetworkClassifier, ReservoirClassifier, SequenceClassifier
from rnnkit.forecast import Forecaster, NetworkRegressor, ReservoirRegressor
from rnnkit.nn.models import ModelConfig
from rnnkit.reservoir import ESN, ReservoirConfig
from rnnkit.text import CharModel
from rnnkit.training.loop import TrainConfig
from rnnkit.translate import Translator

TINY_TRAIN = TrainConfig(epochs=2, batch_size=8, patience=0)


def _series(seed: int) -> pd.Series:
    rng = np.random.default_rng(seed)
    index = pd.bdate_range("2021-01-01", periods=80)
    return pd.Series(100 + np.sin(np.arange(80) / 4) + 0.1 * rng.standard_normal(80),
                     index=index, name="y")


def _sequences(seed: int) -> tuple[list[np.ndarray], list[str]]:
    rng = np.random.default_rng(seed)
    t = np.arange(16)
    X = [np.sin(t * (0.3 + 0.5 * (k % 2))) + 0.1 * rng.standard_normal(16) for k in range(16)]
    return X, ["slow" if k % 2 == 0 else "fast" for k in range(16)]


def _wave(seed: int) -> tuple[np.ndarray, np.ndarray]:
    x = np.sin(np.arange(120) / 6 + seed)
    return x[:-1], x[1:]


def _text(seed: int) -> str:
    return ("the cat sat on the mat. " if seed == 0 else "a dog ran to the log. ") * 8


def _pairs(seed: int) -> tuple[list[str], list[str]]:
    animals = {"cats": "chats", "dogs": "chiens", "birds": "oiseaux", "fish": "poissons"}
    rows = [(f"I see {n + seed} {a}.", f"Je vois {n + seed} {f}.") for n in range(50)
            for a, f in animals.items()]
    return [e for e, _ in rows], [f for _, f in rows]


@dataclass
class Case:
    """An estimator, how to fit it on data drawn by a seed, and what it predicts."""

    make: Callable[[], Estimator]
    data: Callable[[int], tuple]
    predict: Callable[[Estimator, tuple], np.ndarray]


def _forecast(est, data):
    return est.predict(data[0]).to_numpy()


def _classify(est, data):
    return est.predict_proba(data[0])


CASES = {
    "forecaster-network": Case(
        lambda: Forecaster(NetworkRegressor(ModelConfig(hidden_size=4), TINY_TRAIN),
                           lookback=8, horizon=2, target="y"),
        lambda seed: (_series(seed),), _forecast),
    "forecaster-reservoir": Case(
        lambda: Forecaster(ReservoirRegressor(ReservoirConfig(units=20)), lookback=8,
                           horizon=2, target="y"),
        lambda seed: (_series(seed),), _forecast),
    "classifier-network": Case(
        lambda: SequenceClassifier(NetworkClassifier(ModelConfig(hidden_size=4), TINY_TRAIN,
                                                     patch=4)),
        _sequences, _classify),
    "classifier-reservoir": Case(
        lambda: SequenceClassifier(ReservoirClassifier(units=20)), _sequences, _classify),
    "reservoir-classifier": Case(
        lambda: ReservoirClassifier(units=20),
        lambda seed: (np.asarray(_sequences(seed)[0])[..., None], _sequences(seed)[1]),
        _classify),
    "esn": Case(lambda: ESN(units=20, washout=10), _wave, lambda est, data: est.predict(data[0])),
    "stream-detector": Case(
        lambda: StreamDetector(lookback=8, hidden_size=4, adapt_every=60, adapt_steps=2),
        lambda seed: (np.sin(np.arange(400) / 5) + 0.1 * np.random.default_rng(seed)
                      .standard_normal(400),),
        lambda est, data: (est.check_fitted(), est.anomaly_score_)[1]),
    "translator": Case(
        lambda: Translator(vocab_size=40, embedding_size=8, hidden_size=8, epochs=1,
                           batch_size=32, beam=2),
        _pairs, lambda est, data: np.array(est.translate(data[0][:20]))),
    "char-model": Case(
        lambda: CharModel(ModelConfig(hidden_size=8), TrainConfig(epochs=2, batch_size=2),
                          seq_len=8, val_fraction=0.0),
        lambda seed: (_text(seed),),
        lambda est, data: np.array([ord(c) for c in est.generate("the", 10, seed=0)])),
}
PARAMS = pytest.mark.parametrize("name", list(CASES))


def _same(a: dict, b: dict) -> bool:
    """Equal parameters, nested estimators compared by their own parameters."""
    def plain(value):
        return (type(value), plain(value.get_params(deep=False))) if isinstance(
            value, Estimator) else {k: plain(v) for k, v in value.items()} if isinstance(
            value, dict) else value
    return plain(a) == plain(b)


def _fit(case: Case, est: Estimator, seed: int) -> Estimator:
    data = case.data(seed)
    if isinstance(est, ReservoirClassifier | SequenceClassifier | ESN | Translator):
        return est.fit(*data)
    return est.fit(data[0])


@PARAMS
def test_params_round_trip_through_get_set_params_and_clone(name):
    est = CASES[name].make()
    params = est.get_params(deep=False)
    assert est.set_params(**params) is est
    assert est.get_params(deep=False) == params
    copy = clone(est)
    assert type(copy) is type(est) and _same(copy.get_params(deep=False), params)
    with pytest.raises(InputError, match=f"{type(est).__name__} has no parameter 'nope'"):
        est.set_params(nope=1)


@PARAMS
def test_fit_returns_self_keeps_params_and_learns_only_underscored_attributes(name):
    case = CASES[name]
    est = case.make()
    params, before = est.get_params(deep=False), dict(vars(est))
    assert _fit(case, est, 0) is est
    assert est.get_params(deep=False) == params
    learned = set(vars(est)) - set(before)
    assert learned and all(attr.endswith("_") for attr in learned)
    assert all(vars(est)[attr] is before[attr] for attr in before)
    unfitted = clone(est)  # a fitted estimator clones to an unfitted copy with equal params
    assert _same(unfitted.get_params(deep=False), params)
    with pytest.raises(InputError, match=f"this {type(est).__name__} is not fitted yet"):
        unfitted.check_fitted()


@PARAMS
def test_predict_before_fit_raises_naming_the_class(name):
    case = CASES[name]
    with pytest.raises(InputError, match=f"this {type(case.make()).__name__} is not fitted yet"):
        case.predict(case.make(), case.data(0))


@PARAMS
def test_fitting_twice_equals_one_fit_on_the_second_data(name):
    case = CASES[name]
    twice = _fit(case, _fit(case, case.make(), 0), 1)
    once = _fit(case, case.make(), 1)
    np.testing.assert_array_equal(case.predict(twice, case.data(1)),
                                  case.predict(once, case.data(1)))


SKLEARN_CHECKS = [
    estimator_checks.check_get_params_invariance,
    estimator_checks.check_set_params,
    estimator_checks.check_no_attributes_set_in_init,
    estimator_checks.check_estimator_cloneable,
    estimator_checks.check_estimator_repr,
    estimator_checks.check_do_not_raise_errors_in_init_or_set_params,
]
# Defaults of plain types only: the others' defaults are frozen configs (ModelConfig,
# TrainConfig) or an unfitted member, which the check refuses by type
PLAIN_DEFAULTS = ["esn", "reservoir-classifier", "stream-detector", "translator"]


@PARAMS
@pytest.mark.parametrize("check", SKLEARN_CHECKS, ids=lambda check: check.__name__)
def test_scikit_learn_checks_that_apply(name, check):
    """The checks that need no fit on scikit-learn's own 2-D arrays: rnnkit's estimators read
    series, sequences or text, so the data-driven checks (check_estimator's fit on (n, 2)
    blobs, check_estimators_unfitted's predict on them) do not apply."""
    est = CASES[name].make()
    check(type(est).__name__, est)


@pytest.mark.parametrize("name", PLAIN_DEFAULTS)
def test_scikit_learn_default_constructible(name):
    est = CASES[name].make()
    estimator_checks.check_parameters_default_constructible(type(est).__name__, est)


def test_char_model_learns_and_a_saved_model_samples_the_same(tmp_path):
    text = "the cat sat on the mat. " * 20
    model = CharModel(ModelConfig(hidden_size=16), TrainConfig(epochs=15, batch_size=4,
                                                               learning_rate=1e-2, patience=0),
                      seq_len=12, val_fraction=0.1).fit(text)
    losses = [r["train_loss"] for r in model.history_.records]
    assert losses[-1] < 0.5 * losses[0] and all(map(math.isfinite, losses))
    model.save(tmp_path / "m", prompt="the")
    again = CharModel.load(tmp_path / "m")
    assert again.get_params(deep=False) == model.get_params(deep=False)
    assert again.prompt_ == "the" and again.vocab_.chars == model.vocab_.chars
    for seed in (0, 1):
        assert again.generate("the ", 30, seed=seed) == model.generate("the ", 30, seed=seed)
    with pytest.raises(InputError, match="too few"):
        CharModel(seq_len=64).fit("short text")
