"""Truncated BPTT on streamed chunks, per-step gradient norms, spectral constraints."""

import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from rnnkit.nn.layers import GRU, LSTM
from rnnkit.training.batches import StreamBatches
from rnnkit.training.loop import TrainConfig, tbptt_loss, train


class StatefulTagger(nn.Module):
    """y_t = W h_t + b at every step; forward carries the state: (prediction, loss, state)."""

    def __init__(self, hidden: int = 8, layer=GRU) -> None:
        super().__init__()
        self.rnn = layer(1, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x, y, state=None):
        out, state = self.rnn(x, state)
        prediction = self.head(out)
        return prediction, F.mse_loss(prediction, y), state


def _series(n=400, seed=0, delay=1):
    """x_t = ±1 at random, y_t = x_{t-delay}: a chunk's first ``delay`` targets need the chunk
    before it."""
    x = np.random.default_rng(seed).choice([-1.0, 1.0], size=(n, 1)).astype(np.float32)
    y = np.roll(x, delay, axis=0)
    y[:delay] = 0
    return x, y


def test_stream_batches_continue_each_row():
    x = np.arange(40, dtype=np.float32)[:, None]
    batches = StreamBatches(x, x, batch_size=4, seq_len=3)
    chunks = [c for c, _ in batches.epoch(0)]
    assert len(batches) == len(chunks) == 4  # 10 steps per stream: chunks of 3, 3, 3, 1
    streams = torch.cat(chunks, dim=1)[..., 0]
    assert streams.tolist() == [list(range(b * 10, b * 10 + 10)) for b in range(4)]


@pytest.mark.parametrize("k2", [0, 2])
def test_truncation_keeps_forward_values(k2):
    """Chunked, state-carrying forward equals one forward over the whole stream."""
    torch.manual_seed(0)
    model = StatefulTagger(layer=LSTM)
    x = torch.randn(3, 12, 1)
    y = torch.randn(3, 12, 1)
    full = F.mse_loss(model(x, y)[0], y)
    state, total = None, 0.0
    for start in range(0, 12, 4):
        loss, state = tbptt_loss(model, x[:, start:start + 4], y[:, start:start + 4], state, k2)
        total += loss.item() / 3
    assert total == pytest.approx(full.item(), rel=1e-5)


def test_gradients_stop_every_k2_steps():
    torch.manual_seed(0)
    model = StatefulTagger()
    x = torch.randn(2, 6, 1, requires_grad=True)
    y = torch.randn(2, 6, 1)
    loss, _ = tbptt_loss(model, x, y, None, k2=3)
    grad = torch.autograd.grad(loss, x)[0]
    # the first segment's inputs only feel the first segment's loss
    first_only = torch.autograd.grad(model(x[:, :3], y[:, :3])[1] * 0.5, x)[0]
    torch.testing.assert_close(grad[:, :3], first_only[:, :3])
    assert grad[:, 3:].abs().sum() > 0


class Forgetful(StreamBatches):
    stateful = False  # the same chunks, but train() starts each one from the zero state


def _stream_error(model, batches) -> float:
    """Mean |prediction - target| over a stream, the state carried from chunk to chunk (how a
    streamed model is used), the first two chunks left out while the state fills."""
    with torch.no_grad():
        state, errors = None, []
        for cx, cy in batches.epoch(0):
            prediction, _, state = model(cx, cy, state)
            errors.append((prediction - cy).abs().mean().item())
    return float(np.mean(errors[2:]))


def test_carried_state_is_what_makes_the_boundary_learnable():
    """y_t = x_{t-2} in chunks of 4: half the targets need the previous chunk. Two models
    trained on the same chunks from the same weights, one with the state carried and one
    from a fresh state per chunk, scored the same way on a new stream: only the first learns."""
    x, y = _series(delay=2)
    test = StreamBatches(*_series(seed=99, delay=2), batch_size=8, seq_len=4)
    cfg = TrainConfig(epochs=40, learning_rate=3e-2, lr_schedule="constant", patience=0)
    errors = {}
    for name, kind in (("carried", StreamBatches), ("fresh", Forgetful)):
        torch.manual_seed(0)
        model = StatefulTagger()
        train(model, kind(x, y, batch_size=8, seq_len=4), cfg)
        errors[name] = _stream_error(model, test)
    assert errors["carried"] < 0.1, errors
    assert errors["fresh"] > 0.5, errors  # it never saw the boundary targets' inputs


def _truncated_loss(model, x, y, state, k2):
    """The reference, written out: the chunk's mean squared error, state cut every k2 steps."""
    total = 0.0
    for start in range(0, x.shape[1], k2):
        part = slice(start, start + k2)
        prediction, _, state = model(x[:, part], y[:, part], state)
        total = total + ((prediction - y[:, part]) ** 2).sum()
        state = tuple(s.detach() for s in state)
    return total / y.numel(), state


@pytest.mark.parametrize("k2", [2, 3])
def test_train_detaches_every_tbptt_steps_inside_a_chunk(k2):
    """train() with tbptt_steps=k2 < seq_len=5 takes exactly the steps of a hand-written loop
    over the same chunks (state carried, cut every k2 steps), which differ from full-chunk
    steps; the loss it records is the plain forward's: truncation changes no value."""
    x, y = np.random.default_rng(1).standard_normal((2, 40, 1)).astype(np.float32)
    batches = StreamBatches(x, y, batch_size=2, seq_len=5)  # 4 chunks of 5 steps
    cfg = TrainConfig(epochs=1, optimizer="sgd", learning_rate=0.1, grad_clip=0.0,
                      lr_schedule="constant", patience=0, tbptt_steps=k2)
    torch.manual_seed(0)
    initial = StatefulTagger(layer=LSTM)
    ours = copy.deepcopy(initial)
    history = train(ours, batches, cfg)

    def by_hand(k):
        model = copy.deepcopy(initial)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        state, losses = None, []
        for cx, cy in batches.epoch(0):
            with torch.no_grad():
                losses.append(F.mse_loss(model(cx, cy, state)[0], cy).item())
            loss, state = _truncated_loss(model, cx, cy, state, k)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
        return model, losses

    truncated, losses = by_hand(k2)
    full, _ = by_hand(5)
    assert len(history.steps) == 4
    for (name, p), q, r in zip(ours.named_parameters(), truncated.parameters(),
                               full.parameters(), strict=True):
        torch.testing.assert_close(p, q, msg=name)
        if name.startswith("rnn."):  # (the head saw the same values at the first step)
            assert not torch.allclose(p, r, rtol=0, atol=1e-6), name
    np.testing.assert_allclose([s["loss"] for s in history.steps], losses, rtol=1e-5)


def test_every_step_reports_its_pre_clip_norm():
    x, y = _series(n=64)
    seen = []
    torch.manual_seed(0)
    history = train(StatefulTagger(), StreamBatches(x, y, 4, 4),
                    TrainConfig(epochs=2, grad_clip=1e-3, patience=0),
                    on_step=lambda step, record: seen.append((step, record["grad_norm"])))
    assert [s for s, _ in seen] == list(range(1, 9))
    assert [r["grad_norm"] for r in history.steps] == [n for _, n in seen]
    assert all(n > 1e-3 for _, n in seen)  # recorded before clipping to 1e-3


def test_spectral_max_clamps_every_gate_block():
    x, y = _series(n=64)
    torch.manual_seed(0)
    model = StatefulTagger(layer=LSTM)
    with torch.no_grad():
        model.rnn.weight_hh_l0.mul_(20)  # singular values far above 0.5
    train(model, StreamBatches(x, y, 4, 4), TrainConfig(epochs=1, spectral_max=0.5, patience=0))
    for block in model.rnn.weight_hh_l0.detach().split(8):
        assert torch.linalg.matrix_norm(block, ord=2) <= 0.5 + 1e-5


def test_spectral_norm_reparametrises_and_the_fused_path_still_runs():
    x, y = _series(n=64)
    torch.manual_seed(0)
    model = StatefulTagger(layer=LSTM)
    train(model, StreamBatches(x, y, 4, 4), TrainConfig(epochs=2, spectral_norm=True,
                                                        patience=0))
    sigma_max = torch.linalg.matrix_norm(model.rnn.weight_hh_l0.detach(), ord=2).item()
    assert sigma_max == pytest.approx(1.0, abs=0.05)
    model.rnn(torch.zeros(2, 3, 1))
    assert model.rnn.last_backend == "fused"


def test_stream_batches_too_short():
    with pytest.raises(ValueError, match="batch_size=8 is larger than the series"):
        StreamBatches(np.zeros((5, 1)), np.zeros((5, 1)), 8, 2)
