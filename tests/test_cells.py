"""rnnkit.nn.cells: gradcheck, the tutorial's equations in NumPy, torch.nn twins, errors, shapes."""

import re

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.autograd import gradcheck
from torch.testing import assert_close

from rnnkit._checks import InputError
from rnnkit.nn.cells import GRUCell, LSTMCell, RNNCell, gru_step, lstm_step, rnn_step

F64 = torch.float64
TOL = {torch.float32: {"atol": 1e-5, "rtol": 1e-5}, torch.float64: {"atol": 1e-10, "rtol": 1e-10}}

# id: (ours, torch.nn's, constructor keywords)
CELLS = {
    "rnn_tanh": (RNNCell, torch.nn.RNNCell, {"nonlinearity": "tanh"}),
    "rnn_relu": (RNNCell, torch.nn.RNNCell, {"nonlinearity": "relu"}),
    "lstm": (LSTMCell, torch.nn.LSTMCell, {}),
    "gru": (GRUCell, torch.nn.GRUCell, {}),
}


# ---------------------------------------------------------------------------------------------
# 1. gradcheck on the pure step functions (float64, sizes <= 5)


def _leaf(gen: torch.Generator, *shape: int) -> torch.Tensor:
    return torch.randn(*shape, generator=gen, dtype=F64).requires_grad_()


def _gradcheck(step, args, **kw) -> bool:
    """gradcheck ``step(*args, **kw)`` w.r.t. every tensor of ``args`` (None slots stay None)."""
    slots = [i for i, a in enumerate(args) if a is not None]

    def f(*tensors):
        full = list(args)
        for i, t in zip(slots, tensors, strict=True):
            full[i] = t
        return step(*full, **kw)

    return gradcheck(f, tuple(args[i] for i in slots))


def _biases(gen, size, bias):
    return [_leaf(gen, size), _leaf(gen, size)] if bias else [None, None]


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_rnn_step_gradcheck(nonlinearity, bias):
    gen = torch.Generator().manual_seed(0)
    B, F, H = 2, 3, 4
    args = [_leaf(gen, B, F), _leaf(gen, B, H), _leaf(gen, H, F), _leaf(gen, H, H),
            *_biases(gen, H, bias)]
    assert _gradcheck(rnn_step, args, nonlinearity=nonlinearity)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("proj_size", [0, 2])
def test_lstm_step_gradcheck(proj_size, bias):
    gen = torch.Generator().manual_seed(1)
    B, F, H = 2, 3, 4
    H_out = proj_size or H  # with weight_hr the carried state h has P features
    weight_hr = _leaf(gen, proj_size, H) if proj_size else None
    args = [_leaf(gen, B, F), _leaf(gen, B, H_out), _leaf(gen, B, H), _leaf(gen, 4 * H, F),
            _leaf(gen, 4 * H, H_out), *_biases(gen, 4 * H, bias), weight_hr]
    assert _gradcheck(lstm_step, args)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_step_gradcheck(reset_after, bias):
    gen = torch.Generator().manual_seed(2)
    B, F, H = 2, 3, 4
    args = [_leaf(gen, B, F), _leaf(gen, B, H), _leaf(gen, 3 * H, F), _leaf(gen, 3 * H, H),
            *_biases(gen, 3 * H, bias)]
    assert _gradcheck(gru_step, args, reset_after=reset_after)


# ---------------------------------------------------------------------------------------------
# 2. The tutorial's equations, transcribed in plain NumPy (no torch inside the references).
#    The tutorial writes column vectors, W h_{t-1}; a row batch h (B, H) computes it as h @ W.T.

B, F, H, T = 3, 4, 5, 6
NP_TOL = {"atol": 1e-12, "rtol": 1e-12}


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def np_elman(xs, h, W_xh, W_hh, b_h, nonlinearity):
    """h_t = σ(W_hh h_{t-1} + W_xh x_t + b_h), σ = tanh or ReLU; returns every h_t (T, B, H)."""
    sigma = np.tanh if nonlinearity == "tanh" else (lambda a: np.maximum(a, 0.0))
    out = []
    for x in xs:
        h = sigma(h @ W_hh.T + x @ W_xh.T + b_h)
        out.append(h)
    return np.stack(out)


def np_lstm(xs, h, c, W, b):
    """The tutorial's LSTM, W[k] acting on the concatenation [h_{t-1}, x_t]."""
    hs, cs = [], []
    for x in xs:
        hx = np.concatenate([h, x], axis=1)  # [h_{t-1}, x_t] per row, (B, H + F)
        f = sigmoid(hx @ W["f"].T + b["f"])
        i = sigmoid(hx @ W["i"].T + b["i"])
        c_tilde = np.tanh(hx @ W["c"].T + b["c"])
        c = f * c + i * c_tilde
        o = sigmoid(hx @ W["o"].T + b["o"])
        h = o * np.tanh(c)
        hs.append(h)
        cs.append(c)
    return np.stack(hs), np.stack(cs)


def np_gru_tutorial(xs, h, W, b):
    """The tutorial's GRU: reset before the product, h_t = (1 - z'_t) h_{t-1} + z'_t h̃_t."""
    out = []
    for x in xs:
        hx = np.concatenate([h, x], axis=1)
        r = sigmoid(hx @ W["r"].T + b["r"])
        z = sigmoid(hx @ W["z"].T + b["z"])  # the tutorial's z'_t
        h_tilde = np.tanh(np.concatenate([r * h, x], axis=1) @ W["h"].T + b["h"])
        h = (1.0 - z) * h + z * h_tilde
        out.append(h)
    return np.stack(out)


def np_gru_torch(xs, h, W_x, W_h, b_x, b_h):
    """torch.nn.GRU's form: the reset gate multiplies W_hn h_{t-1} + b_hn (reset after)."""
    out = []
    for x in xs:
        r = sigmoid(x @ W_x["r"].T + b_x["r"] + h @ W_h["r"].T + b_h["r"])
        z = sigmoid(x @ W_x["z"].T + b_x["z"] + h @ W_h["z"].T + b_h["z"])
        n = np.tanh(x @ W_x["n"].T + b_x["n"] + r * (h @ W_h["n"].T + b_h["n"]))
        h = (1.0 - z) * n + z * h
        out.append(h)
    return np.stack(out)


def _np_params(rng, gates, bias):
    """Random torch-layout parameters (gates stacked on dim 0), as NumPy float64 arrays."""
    p = {"weight_ih": rng.normal(0, 0.5, (gates * H, F)),
         "weight_hh": rng.normal(0, 0.5, (gates * H, H))}
    if bias:
        p |= {"bias_ih": rng.normal(0, 0.5, gates * H), "bias_hh": rng.normal(0, 0.5, gates * H)}
    return p


def _blocks(p, names, key):
    """Split a stacked torch-layout array into its named (H, ...) gate blocks; zeros if absent."""
    gates = len(names)
    a = p.get(key, np.zeros(gates * H))
    return dict(zip(names, np.split(a, gates, axis=0), strict=True))


def _load(cell, params):
    cell.load_state_dict({k: torch.from_numpy(v) for k, v in params.items()})
    return cell


def _run(cell, xs, state):
    """Loop ``cell`` over the rows of xs (T, B, F); return each step's output, stacked."""
    outs = []
    for x in xs:
        state = cell(torch.from_numpy(x), state)
        outs.append(state)
    if isinstance(state, tuple):
        return tuple(torch.stack(s) for s in zip(*outs, strict=True))
    return torch.stack(outs)


def _data(rng):
    return rng.normal(size=(T, B, F)), rng.normal(size=(B, H)), rng.normal(size=(B, H))


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_rnn_cell_is_the_tutorial_elman_equation(nonlinearity, bias):
    rng = np.random.default_rng(0)
    p = _np_params(rng, 1, bias)
    xs, h0, _ = _data(rng)
    b_h = p["bias_ih"] + p["bias_hh"] if bias else np.zeros(H)  # torch's two biases sum to b_h
    expected = np_elman(xs, h0, p["weight_ih"], p["weight_hh"], b_h, nonlinearity)
    cell = _load(RNNCell(F, H, bias=bias, nonlinearity=nonlinearity, dtype=F64), p)
    got = _run(cell, xs, torch.from_numpy(h0))
    assert_close(got, torch.from_numpy(expected), **NP_TOL)


@pytest.mark.parametrize("bias", [True, False])
def test_lstm_cell_is_the_tutorial_lstm(bias):
    rng = np.random.default_rng(1)
    p = _np_params(rng, 4, bias)
    xs, h0, c0 = _data(rng)
    # torch stacks the gates (i, f, g, o); the tutorial's c̃_t is torch's g_t. Its W_f acting
    # on [h_{t-1}, x_t] is the columns of W_hf next to those of W_xf: W_f = [W_hf, W_xf].
    torch_to_tutorial = {"i": "i", "f": "f", "g": "c", "o": "o"}
    w_ih, w_hh = _blocks(p, "ifgo", "weight_ih"), _blocks(p, "ifgo", "weight_hh")
    b_ih, b_hh = _blocks(p, "ifgo", "bias_ih"), _blocks(p, "ifgo", "bias_hh")
    W = {torch_to_tutorial[g]: np.hstack([w_hh[g], w_ih[g]]) for g in "ifgo"}
    b = {torch_to_tutorial[g]: b_ih[g] + b_hh[g] for g in "ifgo"}
    assert all(W[k].shape == (H, H + F) for k in W)
    hs, cs = np_lstm(xs, h0, c0, W, b)
    cell = _load(LSTMCell(F, H, bias=bias, dtype=F64), p)
    got_h, got_c = _run(cell, xs, (torch.from_numpy(h0), torch.from_numpy(c0)))
    assert_close(got_h, torch.from_numpy(hs), **NP_TOL)
    assert_close(got_c, torch.from_numpy(cs), **NP_TOL)


@pytest.mark.parametrize("bias", [True, False])
def test_gru_reset_before_is_the_tutorial_gru(bias):
    rng = np.random.default_rng(2)
    p = _np_params(rng, 3, bias)
    xs, h0, _ = _data(rng)
    w_ih, w_hh = _blocks(p, "rzn", "weight_ih"), _blocks(p, "rzn", "weight_hh")
    b_ih, b_hh = _blocks(p, "rzn", "bias_ih"), _blocks(p, "rzn", "bias_hh")
    # The tutorial's gates act on [h_{t-1}, x_t] (candidate: on [r_t ⊙ h_{t-1}, x_t]), one bias
    # each. Its update gate z'_t weights the candidate, ours z_t weights h_{t-1}: z'_t = 1 - z_t
    # = σ(-a_z), so the tutorial's (W'_z, b'_z) is the NEGATION of ours, (-W_z, -b_z).
    W = {"r": np.hstack([w_hh["r"], w_ih["r"]]),
         "z": -np.hstack([w_hh["z"], w_ih["z"]]),
         "h": np.hstack([w_hh["n"], w_ih["n"]])}
    b = {"r": b_ih["r"] + b_hh["r"], "z": -(b_ih["z"] + b_hh["z"]), "h": b_ih["n"] + b_hh["n"]}
    expected = np_gru_tutorial(xs, h0, W, b)
    cell = _load(GRUCell(F, H, bias=bias, reset_after=False, dtype=F64), p)
    got = _run(cell, xs, torch.from_numpy(h0))
    assert_close(got, torch.from_numpy(expected), **NP_TOL)
    # the sign flip is what makes them equal: the same weights without it give another GRU
    unflipped = np_gru_tutorial(xs, h0, W | {"z": -W["z"]}, b | {"z": -b["z"]})
    assert np.abs(unflipped - expected).max() > 1e-3
    # and reset-before is a different recurrence from torch's reset-after on the same weights
    after = _run(_load(GRUCell(F, H, bias=bias, reset_after=True, dtype=F64), p), xs,
                 torch.from_numpy(h0))
    assert (after - got).abs().max() > 1e-3


@pytest.mark.parametrize("bias", [True, False])
def test_gru_reset_after_is_torch_gru_form(bias):
    rng = np.random.default_rng(3)
    p = _np_params(rng, 3, bias)
    xs, h0, _ = _data(rng)
    expected = np_gru_torch(xs, h0, _blocks(p, "rzn", "weight_ih"), _blocks(p, "rzn", "weight_hh"),
                            _blocks(p, "rzn", "bias_ih"), _blocks(p, "rzn", "bias_hh"))
    cell = _load(GRUCell(F, H, bias=bias, reset_after=True, dtype=F64), p)
    got = _run(cell, xs, torch.from_numpy(h0))
    assert_close(got, torch.from_numpy(expected), **NP_TOL)


# ---------------------------------------------------------------------------------------------
# 3-4. torch.nn's cells: copied weights, outputs and every gradient; seeded draws; state_dict


def _twins(kind, dtype, bias, seed=0):
    ours_cls, ref_cls, kw = CELLS[kind]
    torch.manual_seed(seed)
    ref = ref_cls(3, 4, bias=bias, **kw).to(dtype)
    ours = ours_cls(3, 4, bias=bias, **kw).to(dtype)
    ours.load_state_dict(ref.state_dict())  # same names: this is the whole weight copy
    return ref, ours


def _as_tuple(out):
    return out if isinstance(out, tuple) else (out,)


def _loss(outs):
    """A fixed, non-uniform weighting of every output, so each element gets its own gradient."""
    total = 0
    for out in outs:
        for o in _as_tuple(out):
            w = torch.cos(torch.arange(o.numel(), dtype=o.dtype)).reshape(o.shape)
            total = total + (o * w).sum() + (o * o).sum()
    return total


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "nobias"])
@pytest.mark.parametrize("with_hx", [True, False], ids=["hx", "nohx"])
@pytest.mark.parametrize("batched", [True, False], ids=["batched", "unbatched"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("kind", CELLS)
def test_cell_matches_torch_nn(kind, dtype, batched, with_hx, bias):
    ref, ours = _twins(kind, dtype, bias)
    gen = torch.Generator().manual_seed(1)
    lead = (2,) if batched else ()
    xs = [torch.randn(*lead, 3, generator=gen, dtype=dtype) for _ in range(2)]
    hx = None
    if with_hx:
        hx = tuple(torch.randn(*lead, 4, generator=gen, dtype=dtype)
                   for _ in range(2 if kind == "lstm" else 1))
    grads = []
    outs = []
    for model in (ref, ours):
        x0, x1 = (x.clone().requires_grad_() for x in xs)
        state = None if hx is None else tuple(s.clone().requires_grad_() for s in hx)
        out0 = model(x0, state if kind == "lstm" or state is None else state[0])
        out1 = model(x1, out0)  # a second step fed the first step's state
        _loss([out0, out1]).backward()
        outs.append((out0, out1))
        inputs = {"x0": x0.grad, "x1": x1.grad}
        if state is not None:
            inputs |= {f"hx[{i}]": s.grad for i, s in enumerate(state)}
        grads.append(inputs | {n: p.grad for n, p in model.named_parameters()})
    tol = TOL[dtype]
    assert_close(outs[1], outs[0], **tol)
    assert grads[1].keys() == grads[0].keys()
    for name, g_ref in grads[0].items():
        assert g_ref is not None
        assert_close(grads[1][name], g_ref, **tol, msg=lambda m, n=name: f"grad of {n}: {m}")


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("kind", ["rnn_tanh", "lstm", "gru"])
def test_state_dict_moves_both_ways(kind, bias):
    ours_cls, ref_cls, kw = CELLS[kind]
    torch.manual_seed(0)
    ref = ref_cls(3, 4, bias=bias, **kw)
    torch.manual_seed(1)
    ours = ours_cls(3, 4, bias=bias, **kw)
    assert list(ours.state_dict()) == list(ref.state_dict())
    ref.load_state_dict(ours.state_dict())  # strict: no missing or unexpected key
    for key, value in ours.state_dict().items():
        assert torch.equal(ref.state_dict()[key], value), key


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("kind", ["rnn_tanh", "lstm", "gru"])
def test_seeded_construction_draws_torch_nn_weights(kind, bias):
    ours_cls, ref_cls, kw = CELLS[kind]
    for seed in (0, 123):
        torch.manual_seed(seed)
        ref = ref_cls(5, 6, bias=bias, **kw)
        torch.manual_seed(seed)
        ours = ours_cls(5, 6, bias=bias, **kw)
        assert list(ours.state_dict()) == list(ref.state_dict())
        for key, value in ref.state_dict().items():
            assert torch.equal(ours.state_dict()[key], value), (seed, key)
    torch.manual_seed(124)
    other = ours_cls(5, 6, bias=bias, **kw)
    assert not torch.equal(other.weight_hh, ours.weight_hh)  # another seed, other weights


# ---------------------------------------------------------------------------------------------
# 5. Bad input and bad constructor arguments

STATE_NAMES = {"rnn_tanh": ("hx",), "lstm": ("h_0", "c_0"), "gru": ("hx",)}
FIT = ["rnn_tanh", "lstm", "gru"]


def _cell(kind, **kw):
    ours_cls, _, base = CELLS[kind]
    return ours_cls(3, 4, **base, **kw)


def _hx(kind, shapes, dtypes=None):
    """The cell's state argument built from one shape (and dtype) per state tensor."""
    dtypes = dtypes or [torch.float32] * len(shapes)
    states = tuple(torch.zeros(s, dtype=d) for s, d in zip(shapes, dtypes, strict=True))
    return states if kind == "lstm" else states[0]


@pytest.mark.parametrize("kind", FIT)
@pytest.mark.parametrize("shape", [(2, 5), (5,), (2, 1, 3), (1, 2, 1, 3), ()])
def test_input_of_wrong_shape_or_rank_raises(kind, shape):
    expected = f"input must have shape (B, 3) or (3,) for input_size=3, got {shape}"
    with pytest.raises(InputError, match=re.escape(expected)):
        _cell(kind)(torch.zeros(shape))


@pytest.mark.parametrize("kind", FIT)
def test_integer_or_non_tensor_input_raises_type_error(kind):
    cell = _cell(kind)
    with pytest.raises(TypeError, match=r"^input must be a floating-point tensor, got dtype "
                                        r"torch\.int64$"):
        cell(torch.zeros(2, 3, dtype=torch.int64))
    with pytest.raises(TypeError, match=r"^input must be a torch\.Tensor, got list$"):
        cell([[0.0, 0.0, 0.0]])


@pytest.mark.parametrize("kind", FIT)
@pytest.mark.parametrize(("x_shape", "good", "bad"), [
    ((2, 3), (2, 4), (2, 5)),   # wrong hidden size
    ((2, 3), (2, 4), (3, 4)),   # wrong batch
    ((2, 3), (2, 4), (4,)),     # unbatched state for a batched input
    ((3,), (4,), (1, 4)),       # batched state for an unbatched input
])
def test_state_of_wrong_shape_raises_naming_it(kind, x_shape, good, bad):
    cell = _cell(kind)
    x = torch.zeros(x_shape)
    for i, name in enumerate(STATE_NAMES[kind]):
        shapes = [good] * len(STATE_NAMES[kind])
        shapes[i] = bad
        expected = f"{name} must have shape {good}, got {bad}"
        with pytest.raises(InputError, match=f"^{re.escape(expected)}$"):
            cell(x, _hx(kind, shapes))


@pytest.mark.parametrize("kind", FIT)
def test_state_dtype_mismatch_raises_type_error(kind):
    cell = _cell(kind)
    names = STATE_NAMES[kind]
    for i, name in enumerate(names):
        dtypes = [torch.float32] * len(names)
        dtypes[i] = torch.float64
        expected = f"{name} must have dtype torch.float32 like the input, got torch.float64"
        with pytest.raises(TypeError, match=f"^{re.escape(expected)}$"):
            cell(torch.zeros(2, 3), _hx(kind, [(2, 4)] * len(names), dtypes))


def test_input_error_is_a_value_error():
    assert issubclass(InputError, ValueError)
    with pytest.raises(ValueError, match="input must have shape"):
        RNNCell(3, 4)(torch.zeros(2, 5))


@pytest.mark.parametrize("kind", FIT)
def test_bad_sizes_raise(kind):
    ours_cls, _, _ = CELLS[kind]
    with pytest.raises(InputError, match=r"^hidden_size must be a positive int, got 0$"):
        ours_cls(3, 0)
    with pytest.raises(InputError, match=r"^input_size must be a positive int, got -1$"):
        ours_cls(-1, 4)
    with pytest.raises(TypeError, match=r"^hidden_size must be an int, got float$"):
        ours_cls(3, 2.5)


@pytest.mark.parametrize("kind", FIT)
def test_unknown_init_scheme_raises(kind):
    with pytest.raises(InputError, match=r"^init must be one of 'uniform', .*got 'bogus'$"):
        _cell(kind, init="bogus")
    with pytest.raises(InputError, match=r"^recurrent_init must be one of .*got 'bogus'$"):
        _cell(kind, recurrent_init="bogus")


def test_unknown_nonlinearity_raises():
    with pytest.raises(InputError, match=r"^nonlinearity must be one of 'tanh', 'relu', got "
                                         r"'sigmoid'$"):
        RNNCell(3, 4, nonlinearity="sigmoid")


def test_forget_bias_without_bias_raises():
    with pytest.raises(InputError, match=r"^forget_bias needs bias=True"):
        LSTMCell(3, 4, bias=False, forget_bias=1.0)
    assert LSTMCell(3, 4, bias=False).bias_ih is None  # bias=False alone is fine


# ---------------------------------------------------------------------------------------------
# 6. Properties over sizes (Hypothesis), with seeded weights and data

PROPERTY_CELLS = {
    "rnn": lambda f, h: RNNCell(f, h, dtype=F64),
    "lstm": lambda f, h: LSTMCell(f, h, dtype=F64),
    "gru": lambda f, h: GRUCell(f, h, dtype=F64),
    "gru_reset_before": lambda f, h: GRUCell(f, h, reset_after=False, dtype=F64),
}
SIZES = {"batch": st.integers(1, 5), "features": st.integers(1, 4), "hidden": st.integers(1, 4)}


def _state(kind, lead, hidden, gen):
    h = torch.randn(*lead, hidden, generator=gen, dtype=F64)
    return (h, torch.randn(*lead, hidden, generator=gen, dtype=F64)) if kind == "lstm" else h


@pytest.mark.parametrize("kind", PROPERTY_CELLS)
@settings(max_examples=25, deadline=None)
@given(**SIZES)
def test_output_shapes(kind, batch, features, hidden):
    torch.manual_seed(0)
    cell = PROPERTY_CELLS[kind](features, hidden)
    gen = torch.Generator().manual_seed(batch * 100 + features * 10 + hidden)
    n_out = 2 if kind == "lstm" else 1
    for lead in [(batch,), ()]:
        x = torch.randn(*lead, features, generator=gen, dtype=F64)
        for hx in (None, _state(kind, lead, hidden, gen)):
            out = _as_tuple(cell(x, hx))
            assert len(out) == n_out
            assert all(o.shape == (*lead, hidden) and o.dtype == F64 for o in out)


@pytest.mark.parametrize("kind", PROPERTY_CELLS)
@settings(max_examples=25, deadline=None)
@given(batch=st.integers(2, 5), features=SIZES["features"], hidden=SIZES["hidden"],
       seed=st.integers(0, 2**16))
def test_batch_rows_are_independent(kind, batch, features, hidden, seed):
    torch.manual_seed(seed)
    cell = PROPERTY_CELLS[kind](features, hidden)
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, features, generator=gen, dtype=F64)
    hx = _state(kind, (batch,), hidden, gen)
    x_edit = x.clone()
    x_edit[0] = torch.randn(features, generator=gen, dtype=F64) + 2.0
    for out, out_edit in zip(_as_tuple(cell(x, hx)), _as_tuple(cell(x_edit, hx)), strict=True):
        assert_close(out_edit[1:], out[1:], atol=1e-14, rtol=0)
        assert not torch.equal(out_edit[0], out[0])  # the edit did reach row 0
