"""rnnkit.nn layers against torch.nn with copied weights: values, states, every gradient."""

import itertools

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.nn.utils.rnn import pack_padded_sequence

from rnnkit import nn as rnn
from rnnkit._checks import InputError
from rnnkit.nn.cells import GRUCell

# (class name, extra constructor keywords): every configuration torch.nn has a kernel for
CONFIGS = [
    ("RNN", {}),
    ("RNN", {"nonlinearity": "relu"}),
    ("LSTM", {}),
    ("LSTM", {"proj_size": 2}),
    ("GRU", {}),
]
TOL = {torch.float32: {"atol": 1e-5, "rtol": 1e-5}, torch.float64: {"atol": 1e-10, "rtol": 1e-10}}


def _twins(name, kw, dtype, backend, **shape):
    ref = getattr(torch.nn, name)(**shape, **kw).to(dtype)
    ours = getattr(rnn, name)(**shape, **kw, backend=backend).to(dtype)
    ours.load_state_dict(ref.state_dict())
    return ref, ours


def _initial_state(name, kw, layers, batch, hidden, dtype, gen):
    h = torch.randn(layers, batch, kw.get("proj_size") or hidden, generator=gen, dtype=dtype)
    if name == "LSTM":
        return h, torch.randn(layers, batch, hidden, generator=gen, dtype=dtype)
    return h


def _loss(out, state):
    """Uses the output and every final state, so every gradient path is exercised."""
    states = state if isinstance(state, tuple) else (state,)
    data = out.data if hasattr(out, "batch_sizes") else out
    return data.sin().sum() + sum((s * s).sum() for s in states)


def _leaf(t):
    return t.detach().clone().requires_grad_()


def _run_with_leaves(module, x, hx):
    """One forward + backward of ``_loss`` from fresh leaf copies of the input and initial
    states; returns the output, the final states and every gradient, the input's and the
    initial states' (h_0, c_0) first, then the parameters'."""
    if hasattr(x, "batch_sizes"):
        x = x._replace(data=_leaf(x.data))
        leaf_x = x.data
    else:
        x = leaf_x = _leaf(x)
    hx = None if hx is None else tuple(map(_leaf, hx)) if isinstance(hx, tuple) else _leaf(hx)
    out, state = module(x, hx)
    _loss(out, state).backward()
    states = () if hx is None else hx if isinstance(hx, tuple) else (hx,)
    names = ("h_0", "c_0")[: len(states)]
    grads = {"input": leaf_x.grad} | {n: s.grad for n, s in zip(names, states, strict=True)}
    grads |= {name: p.grad for name, p in module.named_parameters()}
    return out, state, grads


def _assert_match(ref, ours, x, hx, dtype, path):
    """Output, final states, and the gradients of the input, the initial states and every
    parameter, within TOL of torch.nn; ``path`` is the one ours must have taken."""
    out_ref, state_ref, grads_ref = _run_with_leaves(ref, x, hx)
    out, state, grads = _run_with_leaves(ours, x, hx)
    assert ours.last_backend == path
    tol = TOL[dtype]
    if hasattr(out, "batch_sizes"):
        torch.testing.assert_close(out.data, out_ref.data, **tol)
        assert torch.equal(out.batch_sizes, out_ref.batch_sizes)
    else:
        torch.testing.assert_close(out, out_ref, **tol)
    torch.testing.assert_close(state, state_ref, **tol)
    assert list(grads) == list(grads_ref)  # the same names, in the same order
    for name, grad in grads.items():
        torch.testing.assert_close(grad, grads_ref[name], **tol, msg=f"gradient of {name}")


def _sweep(name, kw, dtype, backend, path):
    """1-3 layers x uni/bidirectional x batch_first x bias x initial state, in one sweep."""
    gen = torch.Generator().manual_seed(0)
    for num_layers, bidirectional, batch_first, bias, with_h0 in itertools.product(
        [1, 2, 3], [False, True], [False, True], [True, False], [False, True]
    ):
        torch.manual_seed(num_layers)
        ref, ours = _twins(name, kw, dtype, backend, input_size=3, hidden_size=4,
                           num_layers=num_layers, bias=bias, batch_first=batch_first,
                           bidirectional=bidirectional)
        x = torch.randn((2, 6, 3) if batch_first else (6, 2, 3), generator=gen, dtype=dtype)
        layers = num_layers * (2 if bidirectional else 1)
        hx = _initial_state(name, kw, layers, 2, 4, dtype, gen) if with_h0 else None
        _assert_match(ref, ours, x, hx, dtype, path)


@pytest.mark.parametrize(("name", "kw"), CONFIGS, ids=lambda v: str(v))
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
def test_handwritten_path_matches_torch_nn(name, kw, dtype):
    """Parity: rnnkit's own recurrence and backward pass (rnnkit.nn.bptt, or the cells' steps
    under autograd with proj_size) against torch.nn's kernel."""
    _sweep(name, kw, dtype, "handwritten", "handwritten")


@pytest.mark.parametrize(("name", "kw"), CONFIGS, ids=lambda v: str(v))
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
def test_plumbing_fused_path_passes_torch_nn_its_own_arguments(name, kw, dtype):
    """Plumbing, not parity: the fused path is torch's own kernel (torch.lstm & co.), so this
    holds only the weight order, states, layouts and flags rnnkit hands it. The auto backend
    runs one of the two swept paths (test_auto_backend_says_what_it_picked says which)."""
    _sweep(name, kw, dtype, "fused", "fused")


@pytest.mark.parametrize(("name", "kw"), CONFIGS, ids=lambda v: str(v))
@pytest.mark.parametrize("backend", [pytest.param("handwritten", id="parity-handwritten"),
                                     pytest.param("fused", id="plumbing-fused")])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_packed_variable_lengths_match_torch_nn(name, kw, backend, bidirectional):
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(1)
    ref, ours = _twins(name, kw, torch.float64, backend, input_size=3, hidden_size=4,
                       num_layers=2, batch_first=True, bidirectional=bidirectional)
    x = torch.randn(4, 7, 3, generator=gen, dtype=torch.float64)
    packed = pack_padded_sequence(x, torch.tensor([5, 7, 1, 3]), batch_first=True,
                                  enforce_sorted=False)
    hx = _initial_state(name, kw, 2 * (2 if bidirectional else 1), 4, 4, torch.float64, gen)
    _assert_match(ref, ours, packed, hx, torch.float64, backend)


@pytest.mark.parametrize(("name", "kw"), [("RNN", {}), ("RNN", {"nonlinearity": "relu"}),
                                          ("LSTM", {}), ("GRU", {})], ids=lambda v: str(v))
def test_handwritten_path_matches_torch_nn_over_long_sequences_in_float32(name, kw):
    """Parity at scale: T = 300, H = 128, 2 layers, both directions, float32, initial states
    given. Weight gradients sum B·T terms, so each tensor is held to 1e-5 of its own largest
    value (about 80 float32 ulps; measured: under 1e-6) rather than elementwise."""
    torch.manual_seed(0)
    ref, ours = _twins(name, kw, torch.float32, "handwritten", input_size=8, hidden_size=128,
                       num_layers=2, bidirectional=True)
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(300, 4, 8, generator=gen)
    hx = _initial_state(name, kw, 4, 4, 128, torch.float32, gen)
    out_ref, state_ref, grads_ref = _run_with_leaves(ref, x, hx)
    out, state, grads = _run_with_leaves(ours, x, hx)
    assert ours.last_backend == "handwritten"
    states = state if isinstance(state, tuple) else (state,)
    states_ref = state_ref if isinstance(state_ref, tuple) else (state_ref,)
    pairs = {"output": (out, out_ref)} | {f"state {k}": pair for k, pair in enumerate(
        zip(states, states_ref, strict=True))}
    pairs |= {f"gradient of {n}": (g, grads_ref[n]) for n, g in grads.items()}
    assert len(grads) == 2 + len(list(ours.parameters())) + (name == "LSTM")
    for what, (a, b) in pairs.items():
        scale = b.detach().abs().max()
        assert (a - b).detach().abs().max() <= 1e-5 * scale, what


@pytest.mark.parametrize(("name", "kw"), CONFIGS, ids=lambda v: str(v))
def test_unbatched_input_matches_torch_nn(name, kw):
    ref, ours = _twins(name, kw, torch.float64, "handwritten", input_size=3, hidden_size=4,
                       num_layers=2, bidirectional=True)
    x = torch.randn(6, 3, dtype=torch.float64)
    out, state = ours(x)
    out_ref, state_ref = ref(x)
    torch.testing.assert_close(out, out_ref)
    torch.testing.assert_close(state, state_ref)


@pytest.mark.parametrize(("name", "kw"), CONFIGS, ids=lambda v: str(v))
def test_state_dict_moves_both_ways_and_seeded_init_equals_torch(name, kw):
    shape = {"input_size": 3, "hidden_size": 4, "num_layers": 2, "bidirectional": True}
    torch.manual_seed(7)
    ref = getattr(torch.nn, name)(**shape, **kw)
    torch.manual_seed(7)
    ours = getattr(rnn, name)(**shape, **kw)
    assert list(ours.state_dict()) == list(ref.state_dict())
    for key, value in ref.state_dict().items():
        assert torch.equal(ours.state_dict()[key], value), key  # same draws, same order
    back = getattr(torch.nn, name)(**shape, **kw)
    back.load_state_dict(getattr(rnn, name)(**shape, **kw, init="orthogonal").state_dict())
    x = torch.randn(5, 2, 3)
    mirror = getattr(rnn, name)(**shape, **kw)
    mirror.load_state_dict(back.state_dict())
    torch.testing.assert_close(mirror(x), back(x))


def test_tutorial_gru_layer_equals_its_cell_unrolled():
    """reset_after=False has no torch kernel: hold the layer to GRUCell(reset_after=False)."""
    torch.manual_seed(0)
    layer = rnn.GRU(3, 4, batch_first=True, reset_after=False).double()
    cell = GRUCell(3, 4, reset_after=False).double()
    cell.load_state_dict({k.removesuffix("_l0"): v for k, v in layer.state_dict().items()})
    x = torch.randn(2, 6, 3, dtype=torch.float64)
    out, h_n = layer(x)
    h, expected = torch.zeros(2, 4, dtype=torch.float64), []
    for t in range(6):
        h = cell(x[:, t], h)
        expected.append(h)
    torch.testing.assert_close(out, torch.stack(expected, dim=1))
    torch.testing.assert_close(h_n[0], h)
    assert layer.last_backend == "handwritten"


def test_reset_conventions_differ():
    torch.manual_seed(0)
    a = rnn.GRU(3, 4, reset_after=False).double()
    b = rnn.GRU(3, 4).double()
    b.load_state_dict(a.state_dict())
    x = torch.randn(5, 2, 3, dtype=torch.float64)
    assert not torch.allclose(a(x)[0], b(x)[0])


def test_tutorial_gru_packed_matches_padded_runs():
    torch.manual_seed(0)
    layer = rnn.GRU(3, 4, batch_first=True, reset_after=False, bidirectional=True).double()
    x = torch.randn(2, 6, 3, dtype=torch.float64)
    packed = pack_padded_sequence(x, torch.tensor([6, 4]), batch_first=True)
    _, h_n = layer(packed)
    _, h_short = layer(x[1:, :4])
    torch.testing.assert_close(h_n[:, 1], h_short[:, 0])


@pytest.mark.parametrize(("name", "expected"), [("RNN", "handwritten"), ("LSTM", "fused"),
                                                ("GRU", "fused")])
def test_auto_backend_says_what_it_picked(name, expected):
    layer = getattr(rnn, name)(3, 4)
    layer(torch.zeros(5, 2, 3))
    assert layer.last_backend == expected
    packed = pack_padded_sequence(torch.zeros(5, 2, 3), torch.tensor([5, 3]))
    layer(packed)
    assert layer.last_backend == "fused"


def test_fused_backend_refuses_the_tutorial_gru():
    with pytest.raises(InputError, match="reset_after"):
        rnn.GRU(3, 4, reset_after=False, backend="fused")


@pytest.mark.parametrize("backend", ["handwritten", "fused"])
def test_dropout_between_layers_only_in_training(backend):
    torch.manual_seed(0)
    layer = rnn.LSTM(3, 8, num_layers=2, dropout=0.5, backend=backend)
    x = torch.randn(5, 2, 3)
    layer.eval()
    quiet = layer(x)[0]
    torch.testing.assert_close(layer(x)[0], quiet)
    layer.train()
    assert not torch.allclose(layer(x)[0], quiet)


def test_dropout_with_one_layer_warns_like_torch():
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        rnn.GRU(3, 4, dropout=0.2)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda m: m(torch.zeros(5, 2, 4)), InputError,
         r"input must have shape .*input_size = 3.*got \(5, 2, 4\)"),
        (lambda m: m(torch.zeros(5, 2, 3, 1)), InputError, r"input must have shape"),
        (lambda m: m(torch.zeros(5, 2, 3, dtype=torch.int64)), TypeError, "floating-point"),
        (lambda m: m(torch.zeros(5, 2, 3), torch.zeros(1, 2, 4)), TypeError, "tuple"),
        (lambda m: m(torch.zeros(5, 2, 3), (torch.zeros(1, 3, 4), torch.zeros(1, 2, 4))),
         InputError, r"h_0 must have shape \(1, 2, 4\), got \(1, 3, 4\)"),
        (lambda m: m(torch.zeros(5, 2, 3), (torch.zeros(1, 2, 4), torch.zeros(2, 2, 4))),
         InputError, r"c_0 must have shape \(1, 2, 4\), got \(2, 2, 4\)"),
        (lambda m: m(torch.zeros(0, 2, 3)), InputError, "at least one time step"),
    ],
)
def test_bad_input_names_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call(rnn.LSTM(3, 4))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"hidden_size": 0}, "hidden_size must be a positive int, got 0"),
     ({"num_layers": 1.5}, "num_layers must be an int, got float"),
     ({"dropout": 1.5}, r"dropout must lie in \[0.0, 1.0\], got 1.5"),
     ({"proj_size": 4}, "proj_size must be smaller than hidden_size=4"),
     ({"backend": "cuda"}, "backend must be one of"),
     ({"recurrent_init": "identityy"}, "recurrent_init must be one of")],
)
def test_bad_constructor_arguments(kwargs, match):
    with pytest.raises((InputError, TypeError), match=match):
        rnn.LSTM(**({"input_size": 3, "hidden_size": 4} | kwargs))


@pytest.mark.parametrize(("name", "kw"), CONFIGS, ids=lambda v: str(v))
@pytest.mark.parametrize("bias", [True, False])
def test_layer_weights_are_the_named_parameters(name, kw, bias):
    layer = getattr(rnn, name)(3, 4, num_layers=2, bias=bias, bidirectional=True, **kw)
    params = dict(layer.named_parameters())
    for k, reverse in itertools.product(range(2), [False, True]):
        weights = layer.layer_weights(k, reverse)
        suffix = f"_l{k}" + ("_reverse" if reverse else "")
        for field in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr"):
            expected = params.get(field + suffix)  # None where the layer has no such parameter
            assert getattr(weights, field) is expected, field + suffix
        assert (weights.bias_ih is None) == (weights.bias_hh is None) == (not bias)
        assert (weights.weight_hr is None) == (not kw.get("proj_size"))
    first = layer.layer_weights(0, False)  # the defaults: first layer, forward direction
    assert all(a is b for a, b in zip(layer.layer_weights(), first, strict=True))


@pytest.mark.parametrize(
    ("kwargs", "args", "error", "match"),
    [({}, (2,), InputError, r"layer must lie in \[0, 1\], got 2"),
     ({}, (-1,), InputError, "layer must be a non-negative int, got -1"),
     ({}, (1.0,), TypeError, "layer must be an int, got float"),
     ({}, (0, True), InputError, "reverse=True needs a bidirectional layer"),
     ({"bidirectional": True}, (2, True), InputError, r"layer must lie in \[0, 1\], got 2")],
)
def test_layer_weights_bad_arguments_name_them(kwargs, args, error, match):
    layer = rnn.GRU(3, 4, num_layers=2, **kwargs)
    with pytest.raises(error, match=match):
        layer.layer_weights(*args)


@settings(max_examples=25, deadline=None)
@given(
    name=st.sampled_from(["RNN", "LSTM", "GRU"]),
    batch=st.integers(1, 4), steps=st.integers(1, 9), features=st.integers(1, 4),
    hidden=st.integers(1, 5), num_layers=st.integers(1, 2), bidirectional=st.booleans(),
    cut=st.integers(0, 8),
)
def test_shapes_and_causality(name, batch, steps, features, hidden, num_layers, bidirectional,
                              cut):
    """Shapes hold for any (B, T, F, H); forward outputs before t ignore inputs from t on."""
    torch.manual_seed(0)
    layer = getattr(rnn, name)(features, hidden, num_layers, batch_first=True,
                               bidirectional=bidirectional, backend="handwritten").double()
    x = torch.randn(batch, steps, features, dtype=torch.float64)
    out, state = layer(x)
    h_n = state[0] if name == "LSTM" else state
    directions = 2 if bidirectional else 1
    assert out.shape == (batch, steps, directions * hidden)
    assert h_n.shape == (num_layers * directions, batch, hidden)
    if bidirectional and num_layers > 1:
        return  # layer 2 reads layer 1's reverse half: no direction is causal any more
    t = min(cut, steps - 1)
    future_edited, past_edited = x.clone(), x.clone()
    future_edited[:, t:] += 1.0
    past_edited[:, : t + 1] += 1.0
    # forward half: out[:, :t] depends on x[:, :t] only
    torch.testing.assert_close(layer(future_edited)[0][:, :t, :hidden], out[:, :t, :hidden])
    if bidirectional:  # reverse half: out[:, s] depends on x[:, s:] only
        torch.testing.assert_close(layer(past_edited)[0][:, t + 1 :, hidden:],
                                   out[:, t + 1 :, hidden:])


@settings(max_examples=20, deadline=None)
@given(name=st.sampled_from(["RNN", "LSTM", "GRU"]), steps=st.integers(1, 8))
def test_bidirectional_is_forward_run_concat_reversed_run(name, steps):
    """One bidirectional layer = [forward layer on x, flip(reverse-weights layer on flip(x))]."""
    torch.manual_seed(0)
    bi = getattr(rnn, name)(3, 4, bidirectional=True, backend="handwritten").double()
    fwd = getattr(rnn, name)(3, 4).double()
    rev = getattr(rnn, name)(3, 4).double()
    weights = bi.state_dict()
    fwd.load_state_dict({k: v for k, v in weights.items() if not k.endswith("_reverse")})
    rev.load_state_dict({k.removesuffix("_reverse"): v for k, v in weights.items()
                         if k.endswith("_reverse")})
    x = torch.randn(steps, 2, 3, dtype=torch.float64)
    expected = torch.cat([fwd(x)[0], rev(x.flip(0))[0].flip(0)], dim=-1)
    torch.testing.assert_close(bi(x)[0], expected)


def test_input_dtype_must_match_the_parameters():
    with pytest.raises(TypeError, match="input has dtype torch.float64 but the parameters are "
                                        "torch.float32"):
        rnn.GRU(3, 4)(torch.zeros(5, 2, 3, dtype=torch.float64))
