"""Hold rnnkit.nn against torch.nn on the machine at hand: agreement and speed of every path.

Both are measured the same way for RNN, LSTM and GRU: weights copied from a seeded torch.nn
layer (``load_state_dict``), one forward + backward of ``out.sum()``, and
    agreement  max |ours - torch| / max |torch| over the output, the final state and every
               parameter gradient
    speed      sequences per second over ``repeats`` timed passes (median), paths interleaved
               so that machine noise hits all of them alike; ratio = ours / torch.nn
"""

import statistics
import time

import torch
from torch import nn

from rnnkit._checks import check_non_negative_int, check_positive_int
from rnnkit.nn import layers
from rnnkit.nn.init import seeded

LAYER_NAMES = ("RNN", "LSTM", "GRU")
PATHS = ("auto", "fused", "handwritten")


def _pair(name: str, input_size: int, hidden_size: int, backend: str, dtype: torch.dtype):
    """A torch.nn layer and rnnkit's twin with the same weights (batch first)."""
    ref = getattr(nn, name)(input_size, hidden_size, batch_first=True).to(dtype)
    ours = getattr(layers, name)(input_size, hidden_size, batch_first=True, backend=backend)
    ours = ours.to(dtype)
    ours.load_state_dict(ref.state_dict())
    return ref, ours


def _forward_backward(module: nn.Module, x: torch.Tensor):
    module.zero_grad(set_to_none=True)
    out, state = module(x)
    out.sum().backward()
    return out, state


def max_difference(ref: nn.Module, ours: nn.Module, x: torch.Tensor) -> float:
    """max |ours - ref| / max |ref| over output, final state(s) and all parameter gradients.

    Relative to each tensor's scale: weight gradients sum over B·T terms and grow with them.
    """
    out_ref, state_ref = _forward_backward(ref, x)
    out, state = _forward_backward(ours, x)
    pairs = [(out, out_ref)]
    pairs += list(zip(state, state_ref, strict=True)) if isinstance(state, tuple) else [
        (state, state_ref)]
    pairs += [(p.grad, q.grad) for p, q in zip(ours.parameters(), ref.parameters(), strict=True)]
    return max(float((a - b).abs().max() / b.abs().max().clamp_min(1e-30))
               for a, b in ((a.detach(), b.detach()) for a, b in pairs))


def median_seconds(modules: list[nn.Module], x: torch.Tensor, repeats: int) -> list[float]:
    """Median wall time of one forward+backward for each module, timed round-robin (on a GPU
    each pass is waited for, so the time is the kernels' and not their launch)."""
    sync = torch.cuda.synchronize if x.is_cuda else (lambda: None)
    for m in modules:  # warm-up: allocator, kernels, lazy init
        _forward_backward(m, x)
    times: list[list[float]] = [[] for _ in modules]
    for _ in range(repeats):
        for m, ts in zip(modules, times, strict=True):
            sync()
            start = time.perf_counter()
            _forward_backward(m, x)
            sync()
            ts.append(time.perf_counter() - start)
    return [statistics.median(ts) for ts in times]


def compare_layers(
    batch_size: int, seq_len: int, input_size: int, hidden_size: int, repeats: int, seed: int,
    device: str = "cpu",
) -> list[dict]:
    """One row per (layer, path): max difference to torch.nn, sequences/s, speed ratio.

    The auto row names the path it picked. Differences are measured in float32 (what the
    timings use); the tests also hold float64 to 1e-10.
    """
    for name, value in (("batch_size", batch_size), ("seq_len", seq_len),
                        ("input_size", input_size), ("hidden_size", hidden_size),
                        ("repeats", repeats)):
        check_positive_int(name, value)
    check_non_negative_int("seed", seed)
    rows = []
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(batch_size, seq_len, input_size, generator=gen).to(device)
    for name in LAYER_NAMES:
        with seeded(seed):
            pairs = {path: tuple(m.to(device) for m in _pair(name, input_size, hidden_size,
                                                            path, torch.float32))
                     for path in PATHS}
        ref = pairs["fused"][0]
        ours = [pairs[path][1] for path in PATHS]
        seconds = median_seconds([ref, *ours], x, repeats)
        for path, module, sec in zip(PATHS, ours, seconds[1:], strict=True):
            rows.append({
                "layer": name,
                "path": path if path != "auto" else f"auto ({module.last_backend})",
                "max_rel_diff": max_difference(pairs[path][0], module, x),
                "seq_per_s": batch_size / sec,
                "torch_seq_per_s": batch_size / seconds[0],
                "ratio": seconds[0] / sec,
            })
    return rows
