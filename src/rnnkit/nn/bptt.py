"""Backpropagation through time written out: the recurrent loop of each cell as one autograd node.

Autograd on a step-by-step loop records a dozen small operations per time step and walks them
back one by one; on small shapes that bookkeeping, not arithmetic, sets the speed. Here each
layer direction is a single ``torch.autograd.Function``: the forward loop keeps the activations
it needs, and the backward walks the steps in reverse, as the tutorial's BPTT does:

    dL/dh_t = dL/dy_t + (dL/dh_{t+1}) (dh_{t+1}/dh_t)          (carried back step by step)
    dL/dW_hh = Σ_t δ_t h_{t-1}ᵀ                                  (one matrix product after the loop)

where δ_t is the gradient at the pre-activations of step t. Every factor that does not depend on
the incoming gradient (σ'(a_t), gate products) is computed for all t at once before the loop.

Inputs are the input projections x_proj = W_xh x_t + b for all t (one matmul done by the caller,
differentiated by autograd); the functions here own only W_hh and the recurrence. The maths is
that of :mod:`rnnkit.nn.cells`, and the tests hold the two equal (``gradcheck`` guards the
backward).
Shapes: x_proj (T, B, G·H), h0 / c0 (B, H), weight_hh (G·H, H) -> outputs (T, B, H).
"""

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable


class _ElmanBPTT(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x_proj: Tensor, h0: Tensor, weight_hh: Tensor, relu: bool) -> Tensor:
        T = x_proj.shape[0]
        h = x_proj.new_empty((T + 1, *h0.shape))  # h[t + 1] is h_t; h[0] is h_0
        h[0] = h0
        h[1:] = x_proj
        w_t = weight_hh.t()
        for t in range(T):  # h_t = σ(x_proj_t + W_hh h_{t-1})
            a = h[t + 1].addmm_(h[t], w_t)
            a.relu_() if relu else a.tanh_()
        ctx.save_for_backward(h, weight_hh)
        ctx.relu = relu
        return h[1:].clone()  # a copy: the buffer is saved for backward

    @staticmethod
    @once_differentiable
    def backward(ctx, d_out: Tensor):
        h, weight_hh = ctx.saved_tensors
        T = d_out.shape[0]
        act_grad = (h[1:] > 0).to(h.dtype) if ctx.relu else 1 - h[1:] * h[1:]  # σ'(a_t)
        delta = torch.empty_like(d_out)  # δ_t = dL/da_t
        d_h = d_out[T - 1]
        for t in range(T - 1, -1, -1):
            torch.mul(d_h, act_grad[t], out=delta[t])
            d_h = torch.addmm(d_out[t - 1], delta[t], weight_hh) if t else delta[0] @ weight_hh
        d_weight_hh = delta.flatten(0, 1).t() @ h[:-1].flatten(0, 1)
        return delta, d_h, d_weight_hh, None


class _LSTMBPTT(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x_proj: Tensor, h0: Tensor, c0: Tensor, weight_hh: Tensor):
        T, H = x_proj.shape[0], h0.shape[-1]
        # tanh(a) = 2σ(2a) - 1: doubling the g rows lets one sigmoid over the contiguous (B, 4H)
        # block cover all four gates (transcendentals on strided slices are several times slower).
        sig = x_proj.clone()  # becomes σ of the four pre-activations, g's doubled
        sig[..., 2 * H : 3 * H] *= 2
        w_t = weight_hh.clone()
        w_t[2 * H : 3 * H] *= 2
        w_t = w_t.t()
        i, f, sig_g, o = sig.split(H, dim=-1)
        g = x_proj.new_empty((T, *c0.shape))
        h = x_proj.new_empty((T + 1, *h0.shape))
        c = x_proj.new_empty((T + 1, *c0.shape))
        tanh_c = x_proj.new_empty((T, *c0.shape))
        h[0], c[0] = h0, c0
        for t in range(T):
            sig[t].addmm_(h[t], w_t).sigmoid_()
            torch.add(sig_g[t], sig_g[t], out=g[t]).sub_(1)  # g_t = tanh(a_g)
            torch.mul(f[t], c[t], out=c[t + 1]).addcmul_(i[t], g[t])  # c_t = f ⊙ c_{t-1} + i ⊙ g
            torch.tanh(c[t + 1], out=tanh_c[t])
            torch.mul(o[t], tanh_c[t], out=h[t + 1])  # h_t = o ⊙ tanh(c_t)
        ctx.save_for_backward(sig, g, h, c, tanh_c, weight_hh)
        return h[1:].clone(), c[T].clone()  # copies: the buffers are saved for backward

    @staticmethod
    @once_differentiable
    def backward(ctx, d_out: Tensor, d_cT: Tensor):
        sig, g, h, c, tanh_c, weight_hh = ctx.saved_tensors
        T, B, H = tanh_c.shape
        i, f, _, o = sig.split(H, dim=-1)
        delta = torch.empty_like(sig)  # (T, B, 4H): dL/da_t for gates i, f, g, o
        d_i, d_f, d_g, d_o = delta.split(H, dim=-1)
        # Per-step work on (B, ·) blocks that stay in cache, written with out= into preallocated
        # buffers: on small shapes allocation and memory traffic cost more than the arithmetic.
        d_h, d_c = d_out[T - 1].clone(), d_cT.clone()
        h_to_c, sig_grad = torch.empty_like(d_c), torch.empty_like(sig[0])
        for t in range(T - 1, -1, -1):
            torch.addcmul(o[t], h[t + 1], tanh_c[t], value=-1, out=h_to_c)  # o ⊙ (1 - tanh²c_t)
            d_c.addcmul_(d_h, h_to_c)  # dL/dc_t
            torch.addcmul(sig[t], sig[t], sig[t], value=-1, out=sig_grad)  # σ' = s (1 - s)
            torch.mul(d_c, g[t], out=d_i[t])
            torch.mul(d_c, c[t], out=d_f[t])
            torch.mul(d_c, i[t], out=d_g[t]).mul_(4)  # 1 - g² = 4 s_g (1 - s_g)
            torch.mul(d_h, tanh_c[t], out=d_o[t])
            delta[t].mul_(sig_grad)
            d_c.mul_(f[t])  # dL/dc_{t-1} through c_t = f ⊙ c_{t-1} + ...
            if t:
                torch.addmm(d_out[t - 1], delta[t], weight_hh, out=d_h)
            else:
                torch.mm(delta[0], weight_hh, out=d_h)
        d_weight_hh = delta.flatten(0, 1).t() @ h[:-1].flatten(0, 1)
        return delta, d_h, d_c, d_weight_hh


class _GRUBPTT(torch.autograd.Function):
    """torch's GRU: n_t = tanh(x_n + r_t ⊙ (W_hn h_{t-1} + b_hn)), h_t = lerp(n_t, h_{t-1}, z_t)."""

    @staticmethod
    def forward(ctx, x_proj: Tensor, h0: Tensor, weight_hh: Tensor, bias_hh: Tensor | None):
        T, H = x_proj.shape[0], h0.shape[-1]
        h = x_proj.new_empty((T + 1, *h0.shape))
        h_proj = x_proj.new_empty(x_proj.shape)  # W_hh h_{t-1} + b_hh, all three gates
        rz = x_proj.new_empty((T, h0.shape[0], 2 * H))
        n = x_proj.new_empty((T, *h0.shape))
        h[0] = h0
        w_t = weight_hh.t()
        for t in range(T):
            if bias_hh is None:
                torch.mm(h[t], w_t, out=h_proj[t])
            else:
                torch.addmm(bias_hh, h[t], w_t, out=h_proj[t])
            torch.add(x_proj[t, :, : 2 * H], h_proj[t, :, : 2 * H], out=rz[t]).sigmoid_()
            r, z = rz[t, :, :H], rz[t, :, H:]
            torch.addcmul(x_proj[t, :, 2 * H :], r, h_proj[t, :, 2 * H :], out=n[t]).tanh_()
            torch.lerp(n[t], h[t], z, out=h[t + 1])  # (1 - z) ⊙ n + z ⊙ h_{t-1}
        ctx.save_for_backward(h, h_proj, rz, n, weight_hh)
        ctx.has_bias = bias_hh is not None
        return h[1:].clone()  # a copy: the buffer is saved for backward

    @staticmethod
    @once_differentiable
    def backward(ctx, d_out: Tensor):
        h, h_proj, rz, n, weight_hh = ctx.saved_tensors
        T, B, H = n.shape
        r, z = rz[..., :H], rz[..., H:]
        # dL/da_t = dL/dh_t ⊙ coef_t: n through (1 - z), z through (h - n), r through the n path.
        n_coef = (1 - z) * (1 - n * n)
        z_coef = (h[:-1] - n) * z * (1 - z)
        r_coef = n_coef * h_proj[..., 2 * H :] * r * (1 - r)
        x_coef = torch.cat([r_coef, z_coef, n_coef], dim=-1)  # onto x_proj (T, B, 3H)
        h_coef = torch.cat([r_coef, z_coef, n_coef * r], dim=-1)  # onto W_hh h + b_hh
        d_x = torch.empty_like(x_coef)
        d_hproj = torch.empty_like(h_coef)
        d_h = d_out[T - 1]
        for t in range(T - 1, -1, -1):
            torch.mul(d_h.unsqueeze(1), x_coef[t].view(B, 3, H), out=d_x[t].view(B, 3, H))
            torch.mul(d_h.unsqueeze(1), h_coef[t].view(B, 3, H), out=d_hproj[t].view(B, 3, H))
            carried = torch.addcmul(d_out[t - 1], d_h, z[t]) if t else d_h * z[0]
            d_h = torch.addmm(carried, d_hproj[t], weight_hh)
        flat = d_hproj.flatten(0, 1)
        d_weight_hh = flat.t() @ h[:-1].flatten(0, 1)
        d_bias_hh = flat.sum(0) if ctx.has_bias else None
        return d_x, d_h, d_weight_hh, d_bias_hh


class _GRUResetBeforeBPTT(torch.autograd.Function):
    """The tutorial's GRU: n_t = tanh(x_n + W_hn (r_t ⊙ h_{t-1}) + b_hn)."""

    @staticmethod
    def forward(ctx, x_proj: Tensor, h0: Tensor, weight_hh: Tensor, bias_hh: Tensor | None):
        T, H = x_proj.shape[0], h0.shape[-1]
        w_rz_t, w_n_t = weight_hh[: 2 * H].t(), weight_hh[2 * H :].t()
        h = x_proj.new_empty((T + 1, *h0.shape))
        rz = x_proj[..., : 2 * H].clone()
        rh = x_proj.new_empty((T, *h0.shape))  # r_t ⊙ h_{t-1}
        n = x_proj[..., 2 * H :].clone()
        if bias_hh is not None:
            rz += bias_hh[: 2 * H]
            n += bias_hh[2 * H :]
        h[0] = h0
        for t in range(T):
            rz[t].addmm_(h[t], w_rz_t).sigmoid_()
            r, z = rz[t, :, :H], rz[t, :, H:]
            torch.mul(r, h[t], out=rh[t])
            n[t].addmm_(rh[t], w_n_t).tanh_()
            torch.lerp(n[t], h[t], z, out=h[t + 1])
        ctx.save_for_backward(h, rz, rh, n, weight_hh)
        ctx.has_bias = bias_hh is not None
        return h[1:].clone()  # a copy: the buffer is saved for backward

    @staticmethod
    @once_differentiable
    def backward(ctx, d_out: Tensor):
        h, rz, rh, n, weight_hh = ctx.saved_tensors
        T, B, H = n.shape
        w_rz, w_n = weight_hh[: 2 * H], weight_hh[2 * H :]
        r, z = rz[..., :H], rz[..., H:]
        n_coef = (1 - z) * (1 - n * n)
        z_coef = (h[:-1] - n) * z * (1 - z)
        r_coef = h[:-1] * r * (1 - r)  # times dL/d(r ⊙ h), which needs W_hn first
        delta = torch.empty((T, B, 3 * H), dtype=n.dtype, device=n.device)
        d_h = d_out[T - 1]
        for t in range(T - 1, -1, -1):
            d_n = torch.mul(d_h, n_coef[t], out=delta[t, :, 2 * H :])
            torch.mul(d_h, z_coef[t], out=delta[t, :, H : 2 * H])
            d_rh = d_n @ w_n
            torch.mul(d_rh, r_coef[t], out=delta[t, :, :H])
            carried = torch.addcmul(d_out[t - 1], d_h, z[t]) if t else d_h * z[0]
            carried.addcmul_(d_rh, r[t])
            d_h = torch.addmm(carried, delta[t, :, : 2 * H], w_rz)
        flat = delta.flatten(0, 1)
        d_weight_hh = torch.cat([
            flat[:, : 2 * H].t() @ h[:-1].flatten(0, 1),
            flat[:, 2 * H :].t() @ rh.flatten(0, 1),
        ])
        d_bias_hh = flat.sum(0) if ctx.has_bias else None
        return delta, d_h, d_weight_hh, d_bias_hh


def _as_weight(weight: Tensor, *tensors: Tensor) -> tuple[Tensor, ...]:
    """``tensors`` in the dtype of ``weight`` (no copy when they already are)."""
    return tuple(t.to(weight.dtype) for t in tensors)


def elman_sequence(
    x_proj: Tensor, h0: Tensor, weight_hh: Tensor, nonlinearity: str = "tanh"
) -> Tensor:
    """h_t = σ(x_proj_t + W_hh h_{t-1}) for t = 1..T; x_proj holds W_xh x_t + b_ih + b_hh.

    Returns all h_t (T, B, H); h_T is the last row. Like every recurrence here it computes in
    the precision of W_hh (under bfloat16 autocast its inputs arrive in bfloat16).
    """
    x_proj, h0 = _as_weight(weight_hh, x_proj, h0)
    return _ElmanBPTT.apply(x_proj, h0, weight_hh, nonlinearity == "relu")


def lstm_sequence(
    x_proj: Tensor, h0: Tensor, c0: Tensor, weight_hh: Tensor
) -> tuple[Tensor, Tensor]:
    """The LSTM recurrence over T steps; x_proj holds W_xh x_t + b_ih + b_hh (T, B, 4H).

    Returns (h_1..h_T (T, B, H), c_T (B, H)).
    """
    return _LSTMBPTT.apply(*_as_weight(weight_hh, x_proj, h0, c0), weight_hh)


def gru_sequence(
    x_proj: Tensor, h0: Tensor, weight_hh: Tensor, bias_hh: Tensor | None, reset_after: bool = True
) -> Tensor:
    """The GRU recurrence over T steps; x_proj holds W_xh x_t + b_ih (T, B, 3H).

    b_hh stays separate because the reset gate multiplies W_hn h + b_hn (``reset_after``).
    Returns all h_t (T, B, H).
    """
    fn = _GRUBPTT if reset_after else _GRUResetBeforeBPTT
    return fn.apply(*_as_weight(weight_hh, x_proj, h0), weight_hh, bias_hh)
