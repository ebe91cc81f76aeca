"""The hand-written BPTT of rnnkit.nn.bptt against autograd on the step functions of
rnnkit.nn.cells."""

import pytest
import torch
from torch.autograd import gradcheck

from rnnkit.nn import bptt, cells

T, B, H = 5, 3, 4


def _leaves(*shapes, dtype=torch.float64, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return [torch.randn(s, generator=gen, dtype=dtype).requires_grad_() for s in shapes]


def _loop(update, x_proj, state, *weights):
    """The reference: autograd through a plain loop over the step function."""
    outputs = []
    for t in range(x_proj.shape[0]):
        new = update(x_proj[t], *state, *weights)
        state = new if isinstance(new, tuple) else (new,)
        outputs.append(state[0])
    return torch.stack(outputs), state


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_elman_gradcheck(nonlinearity):
    args = _leaves((T, B, H), (B, H), (H, H))
    assert gradcheck(lambda *a: bptt.elman_sequence(*a, nonlinearity), args)


def test_lstm_gradcheck():
    args = _leaves((T, B, 4 * H), (B, H), (B, H), (4 * H, H))
    assert gradcheck(bptt.lstm_sequence, args)


@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("bias", [True, False])
def test_gru_gradcheck(reset_after, bias):
    x_proj, h0, w, b = _leaves((T, B, 3 * H), (B, H), (3 * H, H), (3 * H,))
    args = (x_proj, h0, w, b if bias else None)
    assert gradcheck(lambda *a: bptt.gru_sequence(*a, reset_after), args)


def _assert_same_values_and_grads(ours, ref, inputs, dtype):
    tol = {"atol": 1e-12, "rtol": 1e-10} if dtype == torch.float64 else {"atol": 1e-5, "rtol": 1e-5}
    for a, b in zip(ours, ref, strict=True):
        torch.testing.assert_close(a, b, **tol)
    gen = torch.Generator().manual_seed(1)
    weights = [torch.randn(r.shape, generator=gen, dtype=dtype) for r in ref]
    grads_ours = torch.autograd.grad(ours, inputs, weights, allow_unused=True)
    grads_ref = torch.autograd.grad(ref, inputs, weights, allow_unused=True)
    for a, b in zip(grads_ours, grads_ref, strict=True):
        torch.testing.assert_close(a, b, **tol)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_elman_matches_autograd_loop(dtype, nonlinearity):
    x_proj, h0, w = _leaves((7, 6, 5), (6, 5), (5, 5), dtype=dtype)
    out = bptt.elman_sequence(x_proj, h0, w, nonlinearity)
    ref, _ = _loop(cells.rnn_update, x_proj, (h0,), w, None, nonlinearity)
    _assert_same_values_and_grads([out], [ref], [x_proj, h0, w], dtype)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_lstm_matches_autograd_loop(dtype):
    x_proj, h0, c0, w = _leaves((7, 6, 20), (6, 5), (6, 5), (20, 5), dtype=dtype)
    out, c_n = bptt.lstm_sequence(x_proj, h0, c0, w)
    ref, (_, c_ref) = _loop(cells.lstm_update, x_proj, (h0, c0), w)
    _assert_same_values_and_grads([out, c_n], [ref, c_ref], [x_proj, h0, c0, w], dtype)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_matches_autograd_loop(dtype, reset_after):
    x_proj, h0, w, b = _leaves((7, 6, 15), (6, 5), (15, 5), (15,), dtype=dtype)
    out = bptt.gru_sequence(x_proj, h0, w, b, reset_after)
    ref, _ = _loop(cells.gru_update, x_proj, (h0,), w, b, reset_after)
    _assert_same_values_and_grads([out], [ref], [x_proj, h0, w, b], dtype)


def test_outputs_can_be_edited_in_place_like_torch_nn():
    x_proj, h0, w = _leaves((4, 2, 3), (2, 3), (3, 3))
    out = bptt.elman_sequence(x_proj, h0, w)
    expected = torch.autograd.grad(out.sum() * 2, w, retain_graph=True)[0]
    out.mul_(2)  # the output is the caller's own tensor, not a view of saved buffers
    torch.testing.assert_close(torch.autograd.grad(out.sum(), w)[0], expected)
