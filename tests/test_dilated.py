"""Dilated recurrent layers (rnnkit.nn.dilated) against torch.nn and against their definition."""

import pytest
import torch

from rnnkit._checks import InputError
from rnnkit.nn.dilated import DilatedGRU, DilatedLSTM, DilatedRNN

LAYERS = {"rnn": (DilatedRNN, torch.nn.RNN), "lstm": (DilatedLSTM, torch.nn.LSTM),
          "gru": (DilatedGRU, torch.nn.GRU)}


def _h(state):
    return state[0] if isinstance(state, tuple) else state


@pytest.mark.parametrize("cell", LAYERS)
def test_every_dilation_one_is_torchs_stacked_layer(cell):
    ours, theirs = LAYERS[cell]
    torch.manual_seed(0)
    reference = theirs(3, 6, num_layers=2, batch_first=True)
    dilated = ours(3, 6, dilations=(1, 1), batch_first=True)
    dilated.load_state_dict(reference.state_dict())  # torch's names and shapes
    x = torch.randn(4, 9, 3)
    out, states = dilated(x)
    expected, final = reference(x)
    torch.testing.assert_close(out, expected)
    torch.testing.assert_close(torch.cat([_h(s) for s in states]), _h(final))


@pytest.mark.parametrize("cell", LAYERS)
@pytest.mark.parametrize("length", [12, 13, 2])  # a multiple of d, not one, shorter than d
def test_a_dilated_layer_is_d_plain_layers_on_the_interleaved_chains(cell, length):
    ours, theirs = LAYERS[cell]
    torch.manual_seed(1)
    d = 3
    dilated = ours(2, 5, dilations=(d,))
    plain = theirs(2, 5)
    plain.load_state_dict(dilated.state_dict())
    x = torch.randn(length, 4, 2)  # (T, B, F)
    h0 = torch.randn(d, 4, 5)
    state = (h0, torch.randn(d, 4, 5)) if cell == "lstm" else h0
    out, [final] = dilated(x, [state])
    for r in range(min(d, length)):  # chain r: times r, r + d, ..., from its own h_0[r]
        chain_state = tuple(s[r : r + 1] for s in state) if cell == "lstm" else h0[r : r + 1]
        expected, _ = plain(x[r::d], chain_state)
        torch.testing.assert_close(out[r::d], expected)
    # h_n[j] is the state step T + j reads: h_{T+j-d}, or h_0[T + j] before any step
    for j in range(d):
        t = length + j - d
        want = out[t] if t >= 0 else h0[length + j]
        torch.testing.assert_close(_h(final)[j], want)


def test_a_sequence_cut_in_two_runs_as_one_when_the_states_are_carried():
    torch.manual_seed(2)
    layer = DilatedLSTM(2, 4, dilations=(1, 3), residual=True)
    x = torch.randn(11, 2, 4)[..., :2]
    whole, _ = layer(x)
    first, states = layer(x[:5])
    second, _ = layer(x[5:], states)
    torch.testing.assert_close(torch.cat([first, second]), whole)


def test_residual_connections_add_each_layers_input_where_sizes_agree():
    torch.manual_seed(3)
    plain = DilatedGRU(4, 4, dilations=(1, 2))
    residual = DilatedGRU(4, 4, dilations=(1, 2), residual=True)
    residual.load_state_dict(plain.state_dict())
    x = torch.randn(6, 2, 4)
    first = plain._dilated(x, 0, 1, None)[0] + x
    second = plain._dilated(first, 1, 2, None)[0] + first
    torch.testing.assert_close(residual(x)[0], second)


def test_gradients_reach_back_through_the_dilated_chains():
    layer = DilatedRNN(1, 3, dilations=(4,))
    x = torch.zeros(9, 1, 1, requires_grad=True)
    layer(x)[0][-1].sum().backward()  # t = 8 reads 4, which reads 0: nothing else
    touched = (x.grad.abs().reshape(-1) > 0).nonzero().reshape(-1).tolist()
    assert touched == [0, 4, 8]


@pytest.mark.parametrize(("options", "message"), [
    ({"dilations": ()}, "at least one layer"),
    ({"dilations": (1, 0)}, "dilation"),
    ({"dilations": (1,), "bidirectional": True}, "one direction"),
])
def test_bad_settings_are_one_line(options, message):
    with pytest.raises(InputError, match=message):
        DilatedLSTM(2, 3, **options)
