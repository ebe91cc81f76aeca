"""The window models behind a Forecaster: one protocol, checked the same way for each."""

import math

import numpy as np
import pytest
import torch

from rnnkit.forecast.window_models import WINDOW_MODELS, NetworkRegressor, ReservoirRegressor
from rnnkit.nn.models import ModelConfig
from rnnkit.reservoir import ReservoirConfig
from rnnkit.training.loop import TrainConfig

MODELS = [
    NetworkRegressor(ModelConfig(hidden_size=6), TrainConfig(epochs=2, batch_size=16,
                                                             patience=0)),
    ReservoirRegressor(ReservoirConfig(units=30, ridge=1e-3)),
]


def _windows(n=80, lookback=12, horizon=2, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, lookback, 3))
    y = x[:, -1, :horizon] + 0.1 * rng.normal(size=(n, horizon))  # learnable from the last step
    return x, y


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.kind)
def test_the_protocol(model, tmp_path):
    x, y = _windows()
    fitted = model.reseeded(model.seed + 1)
    assert fitted == model.reseeded(model.seed + 1) and fitted != model  # seed is a parameter
    assert fitted.fit(x[:60], y[:60], (x[60:], y[60:])) is fitted
    assert not hasattr(model, "history_")  # the original is never fitted
    prediction = fitted.predict(x)
    assert prediction.shape == (80, 2) and prediction.dtype == np.float64
    record = fitted.history_.records[-1]
    assert math.isfinite(record["train_loss"]) and math.isfinite(record["val_loss"])
    kind = WINDOW_MODELS[fitted.kind]
    again = kind.from_params(fitted.params())
    assert again == fitted
    loaded = again.load_tensors({k: v.clone() for k, v in fitted.tensors().items()})
    np.testing.assert_array_equal(loaded.predict(x), prediction)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.kind)
def test_same_seed_same_predictions_other_seed_differs(model):
    x, y = _windows()
    one = model.reseeded(3).fit(x, y).predict(x)
    same = model.reseeded(3).fit(x, y).predict(x)
    other = model.reseeded(4).fit(x, y).predict(x)
    np.testing.assert_array_equal(one, same)
    assert not np.array_equal(one, other)


def test_network_batches_follow_the_train_config():
    x, y = _windows(n=50)
    model = NetworkRegressor(ModelConfig(hidden_size=4), TrainConfig(epochs=2, batch_size=16))
    history = model.fit(x, y).history_
    assert len(history.steps) == 2 * math.ceil(50 / 16)
    capped = NetworkRegressor(ModelConfig(hidden_size=4),
                              TrainConfig(epochs=3, batch_size=8, epoch_batches=2))
    assert len(capped.fit(x, y).history_.steps) == 3 * 2  # 2 of the 7 batches per epoch


def test_network_is_its_sequence_regressor_on_each_window():
    x, y = _windows(n=10)
    model = NetworkRegressor(ModelConfig(cell="gru", hidden_size=5),
                             TrainConfig(epochs=1)).fit(x, y)
    with torch.no_grad():
        expected = model.module_(torch.from_numpy(x.astype(np.float32)))[0].double().numpy()
    np.testing.assert_array_equal(model.predict(x), expected)
    assert model.module_.rnn.weight_hh_l0.shape == (15, 5)  # --hidden-size reaches W_hh


def test_reservoir_readout_is_ridge_on_the_last_window_state():
    x, y = _windows(n=40)
    model = ReservoirRegressor(ReservoirConfig(units=20, ridge=1e-2)).fit(x, y)
    esn = model.esn_
    h = esn.reservoir_.run(x)[:, -1]  # (M, N): each window's last state from the zero state
    np.testing.assert_allclose(model.predict(x), h @ esn.weight_out_.T + esn.bias_out_,
                               rtol=1e-10, atol=1e-12)
