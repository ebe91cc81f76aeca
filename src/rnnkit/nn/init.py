"""Weight initialisation schemes for recurrent layers, applied gate block by gate block.

The tutorial's cures for vanishing and exploding gradients start at initialisation: Xavier/Glorot
or He/Kaiming scaling keeps activations balanced, an orthogonal W_hh has every singular value 1
(Saxe et al. 2014), and an identity W_hh with ReLU is Le et al. 2015's IRNN. Gated cells stack one
(H, K) block per gate (LSTM i, f, g, o; GRU r, z, n); each block is initialised on its own, as if
it were the single matrix of an Elman cell.

Schemes:
    uniform     U(-1/sqrt(H), 1/sqrt(H)) for every weight and bias (torch.nn's default)
    xavier      U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)), gain 5/3 for tanh-like cells
    he          N(0, 2 / fan_in) (Kaiming, for ReLU)
    orthogonal  a (semi-)orthogonal block: all singular values 1
    identity    W_hh = I (recurrent weights only; IRNN)
Every scheme but ``uniform`` sets the biases to zero (then the LSTM forget-gate bias, if given).

torch.nn draws its initial weights from torch's global generator; :func:`seeded` is how rnnkit
builds a module from a seed without touching the caller's generator.
"""

import math
from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import Tensor, nn

from rnnkit._checks import InputError, check_choice

INPUT_SCHEMES = ("uniform", "xavier", "he", "orthogonal")
RECURRENT_SCHEMES = (*INPUT_SCHEMES, "identity")


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Run the block with torch's generator seeded by ``seed``, restoring the caller's after.

    Modules built inside draw exactly the weights torch.nn draws after ``torch.manual_seed``.

    >>> from rnnkit.nn.layers import GRU
    >>> with seeded(0):
    ...     a = GRU(2, 3)
    >>> with seeded(0):
    ...     b = GRU(2, 3)
    >>> bool((a.weight_hh_l0 == b.weight_hh_l0).all())
    True
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def init_block_(block: Tensor, scheme: str, hidden_size: int, name: str = "weight") -> None:
    """Initialise one (H, K) gate block of parameter ``name`` in place by ``scheme``."""
    if scheme == "uniform":
        bound = 1.0 / math.sqrt(hidden_size)
        nn.init.uniform_(block, -bound, bound)
    elif scheme == "xavier":
        nn.init.xavier_uniform_(block, gain=nn.init.calculate_gain("tanh"))
    elif scheme == "he":
        nn.init.kaiming_normal_(block, nonlinearity="relu")
    elif scheme == "orthogonal":
        nn.init.orthogonal_(block)
    elif scheme == "identity":
        if block.shape[0] != block.shape[1]:
            raise InputError(f"identity init needs square gate blocks, but {name} has blocks of "
                             f"shape {tuple(block.shape)}")
        with torch.no_grad():
            block.copy_(torch.eye(block.shape[0], dtype=block.dtype, device=block.device))
    else:  # guarded by check_choice in the callers
        raise AssertionError(scheme)


def init_weights_(
    weight: Tensor, num_gates: int, scheme: str, hidden_size: int, name: str = "weight"
) -> None:
    """Initialise a stacked weight (num_gates * H, K) block by block."""
    if scheme == "uniform":  # one draw over the whole tensor, as torch.nn does
        init_block_(weight, scheme, hidden_size)
        return
    with torch.no_grad():
        for block in weight.chunk(num_gates, dim=0):
            init_block_(block, scheme, hidden_size, name)


def check_schemes(init: str, recurrent_init: str | None) -> tuple[str, str]:
    """Validate the two scheme names; ``recurrent_init=None`` means "same as ``init``"."""
    check_choice("init", init, INPUT_SCHEMES)
    recurrent = init if recurrent_init is None else recurrent_init
    check_choice("recurrent_init", recurrent, RECURRENT_SCHEMES)
    return init, recurrent


def init_recurrent_parameters_(
    named_parameters: dict[str, Tensor],
    num_gates: int,
    hidden_size: int,
    init: str,
    recurrent_init: str,
    forget_bias: float | None = None,
) -> None:
    """Initialise every parameter of a cell or layer by name (torch's names).

    ``weight_ih*`` follow ``init``, ``weight_hh*`` follow ``recurrent_init``, ``weight_hr*`` (LSTM
    projections) follow ``init``. With ``init == recurrent_init == "uniform"`` this draws exactly
    what torch.nn draws (same order, same bounds), so seeded layers equal torch's.
    ``forget_bias`` (LSTM only) sets b_f: ``bias_ih`` forget block to the value, ``bias_hh``'s to 0.
    """
    with torch.no_grad():
        for name, p in named_parameters.items():
            if name.startswith("weight_hh"):
                init_weights_(p, num_gates, recurrent_init, hidden_size, name)
            elif name.startswith("weight_hr"):
                init_weights_(p, 1, init, hidden_size)
            elif name.startswith("weight_ih"):
                init_weights_(p, num_gates, init, hidden_size)
            elif init == "uniform" and recurrent_init == "uniform":
                init_block_(p, "uniform", hidden_size)
            else:
                p.zero_()
        if forget_bias is not None:
            for name, p in named_parameters.items():
                if name.startswith("bias_"):
                    block = p[hidden_size : 2 * hidden_size]  # gate order (i, f, g, o)
                    block.fill_(forget_bias if name.startswith("bias_ih") else 0.0)
