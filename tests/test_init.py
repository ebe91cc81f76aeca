"""rnnkit.nn.init: each scheme block by block, through the cells' and layers' keywords."""

import math
import re

import pytest
import torch
from torch.testing import assert_close

from rnnkit._checks import InputError
from rnnkit.nn.cells import GRUCell, LSTMCell, RNNCell
from rnnkit.nn.init import check_schemes, init_block_, init_weights_
from rnnkit.nn.layers import GRU, LSTM, RNN

XAVIER_GAIN = 5 / 3  # nn.init.calculate_gain("tanh")

# id: (factory taking the size keywords and scheme keywords, number of gate blocks)
MODULES = {
    "RNNCell": (lambda f, h, **kw: RNNCell(f, h, **kw), 1),
    "LSTMCell": (lambda f, h, **kw: LSTMCell(f, h, **kw), 4),
    "GRUCell": (lambda f, h, **kw: GRUCell(f, h, **kw), 3),
    "RNN": (lambda f, h, **kw: RNN(f, h, num_layers=2, bidirectional=True, **kw), 1),
    "LSTM": (lambda f, h, **kw: LSTM(f, h, num_layers=2, bidirectional=True, **kw), 4),
    "GRU": (lambda f, h, **kw: GRU(f, h, num_layers=2, bidirectional=True, **kw), 3),
}


def _build(name, f=3, h=5, seed=0, **kw):
    factory, gates = MODULES[name]
    torch.manual_seed(seed)
    return factory(f, h, **kw), gates


def _params(module, prefix):
    """Every parameter whose name starts with ``prefix`` (cells: one; layers: per layer/dir)."""
    found = {n: p.detach() for n, p in module.named_parameters() if n.startswith(prefix)}
    assert found, prefix
    return found


def _blocks(weight, gates):
    return weight.chunk(gates, dim=0)


# ---------------------------------------------------------------------------------------------
# orthogonal


@pytest.mark.parametrize("name", MODULES)
def test_orthogonal_recurrent_blocks_have_unit_singular_values(name):
    module, gates = _build(name, h=6, recurrent_init="orthogonal")
    for pname, w in _params(module, "weight_hh").items():
        assert w.shape == (gates * 6, 6)
        for k, block in enumerate(_blocks(w, gates)):
            assert_close(torch.linalg.svdvals(block), torch.ones(6), atol=1e-5, rtol=0,
                         msg=lambda m, n=pname, k=k: f"{n} block {k}: {m}")


@pytest.mark.parametrize("name", ["LSTMCell", "GRU"])
def test_orthogonal_input_blocks_are_semi_orthogonal(name):
    module, gates = _build(name, f=3, h=6, init="orthogonal")  # recurrent_init follows init
    for w in _params(module, "weight_ih").values():
        for block in _blocks(w, gates):
            k = min(block.shape)
            assert_close(torch.linalg.svdvals(block), torch.ones(k), atol=1e-5, rtol=0)
    for w in _params(module, "weight_hh").values():
        for block in _blocks(w, gates):
            assert_close(block.T @ block, torch.eye(6), atol=1e-5, rtol=0)


def test_orthogonal_is_per_block_not_per_stacked_matrix():
    w = torch.empty(12, 4)
    init_weights_(w, 3, "orthogonal", 4)
    for block in _blocks(w, 3):
        assert_close(block @ block.T, torch.eye(4), atol=1e-5, rtol=0)
    # the stack of three orthogonal blocks has singular values sqrt(3), not 1
    assert_close(torch.linalg.svdvals(w), torch.full((4,), math.sqrt(3)), atol=1e-5, rtol=0)


def test_weight_hr_follows_init_and_weight_hh_recurrent_init():
    torch.manual_seed(0)
    lstm = LSTM(3, 6, proj_size=2, init="xavier", recurrent_init="orthogonal")
    for block in _blocks(lstm.weight_hh_l0.detach(), 4):  # (6, 2) blocks: orthonormal columns
        assert_close(block.T @ block, torch.eye(2), atol=1e-5, rtol=0)
    bound = XAVIER_GAIN * math.sqrt(6 / (2 + 6))  # weight_hr is (P, H) = (2, 6)
    assert lstm.weight_hr_l0.abs().max() <= bound
    assert torch.count_nonzero(lstm.bias_ih_l0) == 0


# ---------------------------------------------------------------------------------------------
# identity


@pytest.mark.parametrize("name", MODULES)
def test_identity_recurrent_blocks_are_the_identity(name):
    module, gates = _build(name, h=5, recurrent_init="identity")
    for pname, w in _params(module, "weight_hh").items():
        for block in _blocks(w, gates):
            assert torch.equal(block, torch.eye(5)), pname


def test_identity_relu_cell_carries_a_positive_state_unchanged():
    """The IRNN (Le et al. 2015): W_hh = I, zero biases, ReLU, so zero input keeps h."""
    cell = RNNCell(3, 5, nonlinearity="relu", recurrent_init="identity", dtype=torch.float64)
    h = torch.rand(4, 5, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    assert torch.equal(cell(torch.zeros(4, 3, dtype=torch.float64), h), h)


def test_identity_of_a_non_square_block_raises():
    message = "identity init needs square gate blocks, but weight has blocks of shape (3, 4)"
    with pytest.raises(InputError, match=re.escape(message)):
        init_block_(torch.empty(3, 4), "identity", 3)
    with pytest.raises(InputError, match=re.escape("weight_hh_l0 has blocks of shape (5, 2)")):
        LSTM(3, 5, proj_size=2, recurrent_init="identity")  # weight_hh blocks are (H, P)


@pytest.mark.parametrize("name", MODULES)
def test_identity_is_not_an_input_scheme(name):
    with pytest.raises(InputError, match=r"^init must be one of .*got 'identity'$"):
        _build(name, init="identity")
    with pytest.raises(InputError, match=r"^init must be one of .*got 'identity'$"):
        check_schemes("identity", "identity")
    assert check_schemes("uniform", "identity") == ("uniform", "identity")
    assert check_schemes("he", None) == ("he", "he")  # recurrent_init=None follows init


# ---------------------------------------------------------------------------------------------
# xavier, he: per-block fans; every scheme but "uniform" zeroes the biases


@pytest.mark.parametrize("name", MODULES)
def test_xavier_blocks_within_their_bound_and_biases_zero(name):
    f, h = 8, 16
    module, gates = _build(name, f=f, h=h, init="xavier")
    for prefix in ("weight_ih", "weight_hh"):
        for pname, w in _params(module, prefix).items():
            for k, block in enumerate(_blocks(w, gates)):
                fan_out, fan_in = block.shape
                bound = XAVIER_GAIN * math.sqrt(6 / (fan_in + fan_out))
                peak = block.abs().max().item()
                assert peak <= bound, (pname, k)
                # >= 128 uniform draws reach 0.9 of the bound (P(miss) = 0.9**128 < 1e-5);
                # xavier over the whole stacked matrix would stay below 0.71 of it for gates > 1
                assert peak > 0.9 * bound, (pname, k)
    for bias in _params(module, "bias_").values():
        assert torch.count_nonzero(bias) == 0


@pytest.mark.parametrize("scheme", ["xavier", "he", "orthogonal"])
@pytest.mark.parametrize("name", ["LSTMCell", "GRU"])
def test_non_uniform_schemes_zero_the_biases(name, scheme):
    module, _ = _build(name, init=scheme)
    for bias in _params(module, "bias_").values():
        assert torch.count_nonzero(bias) == 0


@pytest.mark.parametrize("name", ["LSTMCell", "LSTM", "RNNCell", "GRU"])
def test_he_sample_std_is_sqrt_two_over_fan_in(name):
    f, h = 64, 128
    module, gates = _build(name, f=f, h=h, init="he", seed=3)
    suffix = "" if name.endswith("Cell") else "_l0"
    for pname, fan_in in ((f"weight_ih{suffix}", f), (f"weight_hh{suffix}", h)):
        expected = math.sqrt(2 / fan_in)
        for block in _blocks(module.get_parameter(pname).detach(), gates):
            assert block.numel() >= 8192  # std's relative standard error <= 0.8%
            assert abs(block.std().item() / expected - 1) < 0.05, (pname, block.std())
            assert abs(block.mean().item()) < 5 * expected / math.sqrt(block.numel())


# ---------------------------------------------------------------------------------------------
# uniform, the default: torch.nn's draws


TORCH_TWINS = {
    "RNNCell": (RNNCell, torch.nn.RNNCell, {}),
    "LSTMCell": (LSTMCell, torch.nn.LSTMCell, {}),
    "GRUCell": (GRUCell, torch.nn.GRUCell, {}),
    "RNN": (RNN, torch.nn.RNN, {"num_layers": 2, "bidirectional": True}),
    "LSTM": (LSTM, torch.nn.LSTM, {"num_layers": 2, "bidirectional": True, "proj_size": 3}),
    "GRU": (GRU, torch.nn.GRU, {"num_layers": 2, "bidirectional": True}),
}


@pytest.mark.parametrize("explicit", [False, True], ids=["default", "init=uniform"])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("name", TORCH_TWINS)
def test_uniform_equals_torch_draws_within_bound(name, bias, explicit):
    ours_cls, ref_cls, kw = TORCH_TWINS[name]
    h = 9
    scheme = {"init": "uniform", "recurrent_init": "uniform"} if explicit else {}
    torch.manual_seed(11)
    ref = ref_cls(4, h, bias=bias, **kw)
    torch.manual_seed(11)
    ours = ours_cls(4, h, bias=bias, **kw, **scheme)
    assert list(ours.state_dict()) == list(ref.state_dict())
    bound = 1 / math.sqrt(h)
    for key, value in ref.state_dict().items():
        assert torch.equal(ours.state_dict()[key], value), key
        assert value.abs().max() <= bound, key
    everything = torch.cat([p.detach().flatten() for p in ours.parameters()])
    assert everything.abs().max() > 0.95 * bound  # uses the whole interval


# ---------------------------------------------------------------------------------------------
# forget_bias (LSTM): b_f = value in bias_ih, 0 in bias_hh, nothing else changed


@pytest.mark.parametrize("init", ["uniform", "xavier"])
@pytest.mark.parametrize("name", ["LSTMCell", "LSTM"])
def test_forget_bias_sets_only_the_forget_block(name, init):
    h = 5
    base, _ = _build(name, h=h, seed=4, init=init)
    module, _ = _build(name, h=h, seed=4, init=init, forget_bias=1.0)
    base_params = dict(base.named_parameters())
    for pname, p in module.named_parameters():
        p, ref = p.detach(), base_params[pname].detach()
        if pname.startswith("bias_"):
            forget = p[h:2 * h]
            value = 1.0 if pname.startswith("bias_ih") else 0.0
            assert torch.equal(forget, torch.full((h,), value)), pname
            others = torch.cat([p[:h], p[2 * h:]])
            assert torch.equal(others, torch.cat([ref[:h], ref[2 * h:]])), pname
        else:
            assert torch.equal(p, ref), pname  # weights: same draws as without the option
    if init == "uniform":  # without the option the forget block is a random draw
        for pname, ref in _params(base, "bias_").items():
            assert torch.count_nonzero(ref[h:2 * h]) == h, pname
            assert ref[h:2 * h].abs().max() < 1, pname


def test_forget_bias_without_bias_raises_on_the_layer():
    with pytest.raises(InputError, match=r"^forget_bias needs bias=True"):
        LSTM(3, 5, bias=False, forget_bias=1.0)
