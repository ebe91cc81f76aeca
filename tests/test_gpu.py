"""On a CUDA machine: the fused cuDNN path against torch.nn, training on the GPU, bf16 autocast.

Marked ``gpu``; skipped where torch sees no CUDA device (the CPU paths are tested elsewhere).
"""

import json

import numpy as np
import pytest
import torch

from rnnkit.cli.app import main

pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")]


def test_every_layer_path_matches_torch_nn_on_the_gpu():
    from rnnkit.nn.verify import compare_layers

    rows = compare_layers(32, 40, 3, 64, repeats=3, seed=0, device="cuda")
    assert {r["layer"] for r in rows} == {"RNN", "LSTM", "GRU"}
    for r in rows:
        assert r["max_rel_diff"] < 1e-3, r  # cuDNN's float32 (TF32 off by default for RNNs)


@pytest.mark.parametrize("amp", [False, True])
def test_training_on_the_gpu_learns_and_keeps_float32_weights(amp):
    from rnnkit.nn.models import SequenceRegressor
    from rnnkit.training.batches import Batches
    from rnnkit.training.loop import TrainConfig, train

    rng = np.random.default_rng(0)
    x = rng.normal(size=(512, 20, 2)).astype(np.float32)
    y = x[:, -5:, :1].sum(axis=1).astype(np.float32)
    torch.manual_seed(0)
    model = SequenceRegressor(2, output_size=1, cell="lstm", hidden_size=32).cuda()
    history = train(model, Batches(x, y, 64), TrainConfig(epochs=5, amp=amp))
    losses = [r["train_loss"] for r in history.records]
    assert losses[-1] < 0.5 * losses[0], losses
    assert all(p.is_cuda and p.dtype == torch.float32 for p in model.parameters())


def test_forecast_and_predict_on_the_gpu(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["forecast", "--device", "cuda", "--epochs", "2", "--no-progress",
                 "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["runtime"]["device"] == "cuda"
    assert main(["predict", "--model", str(out / "model"), "--device", "cuda"]) == 0
    assert main(["text", "train", "--device", "cuda", "--steps", "5", "--hidden-size", "32",
                 "--no-progress", "--out", str(tmp_path / "text")]) == 0
