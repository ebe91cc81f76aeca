"""A run stopped by SIGINT or SIGTERM inside an epoch saves where it was and resumes to exactly
the parameters of a run that was never stopped (windows with dropout, streamed chunks)."""

import os
import signal

import numpy as np
import pytest
import torch

from rnnkit.nn.init import seeded
from rnnkit.nn.models import CharLM, SequenceRegressor
from rnnkit.training.batches import Batches, StreamBatches
from rnnkit.training.loop import TrainConfig, train


def _windows():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(160, 8, 2)).astype(np.float32)
    model_args = {"cell": "lstm", "hidden_size": 8, "num_layers": 2, "dropout": 0.3}
    with seeded(0):
        model = SequenceRegressor(2, output_size=1, **model_args)
    return (model, Batches(x, x[:, -1, :1] * 2, 16, seed=3), Batches(x[:32], x[:32, -1, :1], 32),
            TrainConfig(epochs=3, batch_size=16, learning_rate=1e-2))


def _streams():
    ids = np.random.default_rng(2).integers(0, 5, size=1500)
    with seeded(0):
        model = CharLM(5, cell="gru", hidden_size=8)
    return (model, StreamBatches(ids[:-1], ids[1:], 4, 20), None,
            TrainConfig(epochs=2, batch_size=4, learning_rate=1e-2, tbptt_steps=7))


@pytest.mark.parametrize("make", [_windows, _streams], ids=["windows", "streams"])
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_stop_inside_an_epoch_resumes_exactly(tmp_path, make, sig):
    model, batches, val, cfg = make()
    stop_at = len(batches) + len(batches) // 2  # halfway through the second epoch

    def send(step, record):
        if step == stop_at:
            os.kill(os.getpid(), sig)
    with pytest.raises(KeyboardInterrupt):
        train(model, batches, cfg, val_batches=val, checkpoint_dir=tmp_path, on_step=send)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handlers restored
    resumed, batches, val, cfg = make()
    history = train(resumed, batches, cfg, val_batches=val, checkpoint_dir=tmp_path,
                    resume=True)
    straight, batches, val, cfg = make()
    expected = train(straight, batches, cfg, val_batches=val)
    assert len(history.steps) == len(expected.steps)
    for name, value in straight.state_dict().items():
        torch.testing.assert_close(resumed.state_dict()[name], value, rtol=0, atol=0)
    assert [r["train_loss"] for r in history.records] == pytest.approx(
        [r["train_loss"] for r in expected.records], rel=1e-12)
