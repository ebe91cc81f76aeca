"""Vanishing and exploding gradients made visible: how far back the loss still reaches.

Backpropagation through time carries the gradient from h_t to h_{t-1} by the transposed step
Jacobian J_t = ∂h_t/∂h_{t-1}, so for a loss L read at the last step T-1

    ∂L/∂h_t = J_{t+1}ᵀ J_{t+2}ᵀ ... J_{T-1}ᵀ ∂L/∂h_{T-1}
    Elman cell: J_t = diag(σ'(a_t)) W_hh,   a_t = W_hh h_{t-1} + W_xh x_t + b_h

and ‖∂L/∂h_t‖ shrinks or grows roughly geometrically in the lag T-1-t: each step back scales it
by at most ‖J_t‖₂, which for the Elman cell is at most max|σ'| · σ_max(W_hh). When the
eigenvalues (singular values) of W_hh lie below 1 it vanishes, above 1 (with an unsaturated σ)
it explodes (the tutorial's "Vanishing and Exploding Gradients"). The LSTM's cell path
c_t = f_t ⊙ c_{t-1} + ... has ∂c_t/∂c_{t-1} = diag(f_t), so a forget gate held near 1
(``forget_bias``) carries the gradient much further.

What is measured, and where:
    gradient_flow       ‖∂L/∂h_t‖ (and ‖∂L/∂c_t‖ for the LSTM) for t = 0..T-1, by autograd
    jacobian_norms      ‖J_t‖₂ for t = 0..T-1 (closed form for the Elman cell, torch.func else)
    weight_spectra      spectral radius and largest singular value of every W_hh and gate block
    diagnose            all of the above for one layer and batch: one JSON-ready dict
    GradientFlowTracker snapshots of the gradient flow every N training steps

Conventions, shared by every function here:
    - The layer's FIRST layer, FORWARD direction is diagnosed (``weight_ih_l0``, ``weight_hh_l0``):
      deeper layers and the reverse direction read other inputs; pass a one-layer layer to see
      exactly what is measured. Spectra (:func:`weight_spectra`) cover every layer and direction.
    - x is batch-first (B, T, F) whatever the layer's ``batch_first``; the initial state is zero,
      h_{-1} = 0 (and c_{-1} = 0), so the states are h_0 .. h_{T-1}.
    - The loss is read at the last step only, through a fixed seeded unit vector w:
          L = Σ_b w · h_{T-1}^{(b)},   w ~ N(0, I) / ‖·‖   (so ‖∂L/∂h_{T-1}^{(b)}‖ = ‖w‖ = 1)
      Rows of a batch do not interact, so ∂L/∂h_t^{(b)} is sample b's own gradient, and each curve
      is the batch mean of the per-sample norms: g_t = (1/B) Σ_b ‖∂L/∂h_t^{(b)}‖. As g_{T-1} = 1,
      g_t reads directly as the fraction of the last step's gradient left after T-1-t steps back.
    - Measuring never changes the layer: the weights are detached, so no parameter's ``.grad``
      moves (only :func:`rescale_spectral_radius_` writes, in place, as its name says).
"""

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnkit._checks import InputError, check_positive_int
from rnnkit.nn.cells import check_input, gru_update, lstm_update, rnn_update
from rnnkit.nn.layers import GRU, LSTM, RNN
from rnnkit.nn.recurrent import RecurrentLayer
from rnnkit.nn.spectra import first_radius, weight_spectra

# update(x_proj_t, [h_{t-1}, (c_{t-1})]) -> [h_t, (c_t)]: one step given the input projection
# x_proj_t = W_xh x_t + bias (see layer_recurrence)
StepFn = Callable[[Tensor, list[Tensor]], list[Tensor]]


def readout_vector(size: int, seed: int = 0, dtype: torch.dtype = torch.float32,
                   device: torch.device | str | None = None) -> Tensor:
    """The fixed readout w of the diagnostic loss L = Σ_b w · h_{T-1}^{(b)}: unit norm, seeded.

    Example:
        >>> round(float(readout_vector(8, seed=3).norm()), 6)
        1.0
    """
    gen = torch.Generator().manual_seed(seed)
    w = torch.randn(size, generator=gen, dtype=torch.float64)
    return (w / w.norm()).to(dtype=dtype, device=device)


# -- the first layer as a step function -------------------------------------------------------
def layer_recurrence(layer: nn.Module, x: Tensor) -> tuple[StepFn, Tensor, list[Tensor]]:
    """The first layer's forward recurrence: (update, x_proj (T, B, G), zero initial states).

    ``update`` calls the step function of :mod:`rnnkit.nn.cells` (``rnn_update``, ``lstm_update``,
    ``gru_update``) with the layer's weights detached, so what it computes cannot reach the
    parameters' gradients. x_proj_t = W_xh x_t + b_ih for all t in one matrix product; for the
    Elman and LSTM cells, whose b_hh only adds to the pre-activation, x_proj_t also holds b_hh.

    Parameters
    ----------
    layer
        An rnnkit RNN, LSTM or GRU (any ``num_layers`` / ``bidirectional``; see the module notes).
    x
        Inputs, batch first, whatever ``layer.batch_first`` says.

    Shapes: x (B, T, F) -> x_proj (T, B, G·H); states [(B, H)], LSTM [(B, H_out), (B, H)].

    Raises
    ------
    InputError
        ``x`` is not (B, T, input_size) or has no time step.
    """
    if not isinstance(layer, RecurrentLayer):
        raise TypeError(f"layer must be an rnnkit RNN, LSTM or GRU, got {type(layer).__name__}")
    size = layer.input_size
    check_input(x, "x", (3,), size, f"(B, T, {size}) for input_size={size}",
                layer.weight_ih_l0.dtype)
    if x.shape[1] == 0:
        raise InputError("x must have at least one time step, got T = 0")
    weight_ih, weight_hh, bias_ih, bias_hh, weight_hr = (
        None if w is None else w.detach() for w in layer.layer_weights(0))
    batch = x.shape[0]
    h_size = layer.proj_size or layer.hidden_size
    if isinstance(layer, GRU):  # b_hn sits inside r_t ⊙ (W_hn h_{t-1} + b_hn): it stays there
        x_proj = F.linear(x.detach(), weight_ih, bias_ih)
        initial = [x.new_zeros(batch, h_size)]

        def update(x_proj_t, state):
            return [gru_update(x_proj_t, state[0], weight_hh, bias_hh, layer.reset_after)]
        return update, x_proj.transpose(0, 1), initial  # (T, B, 3H)
    # Elman and LSTM add b_hh to the pre-activation: fold it into x_proj, one op less per step
    bias = None if bias_ih is None else bias_ih + bias_hh
    x_proj = F.linear(x.detach(), weight_ih, bias).transpose(0, 1)  # (T, B, G·H)
    if isinstance(layer, LSTM):
        initial = [x.new_zeros(batch, h_size), x.new_zeros(batch, layer.hidden_size)]

        def update(x_proj_t, state):
            return list(lstm_update(x_proj_t, state[0], state[1], weight_hh, None, weight_hr))
    else:
        initial = [x.new_zeros(batch, h_size)]

        def update(x_proj_t, state):
            return [rnn_update(x_proj_t, state[0], weight_hh, None, layer.nonlinearity)]
    return update, x_proj, initial


# -- gradient flow ----------------------------------------------------------------------------
def per_step_gradients(
    update: StepFn, x_proj: Tensor, initial: list[Tensor], weight: Tensor, *,
    num_states: int | None = None,
) -> list[Tensor]:
    """∂L/∂s_t for every state s (h, and c for the LSTM) and step t, L = Σ_b w · h_{T-1}^{(b)}.

    Runs ``update`` over t = 0..T-1 under autograd from ``initial`` (made a leaf, so the states
    are in the graph even when the weights are not) and backpropagates L once, collecting the
    gradient of every per-step state: the numbers ``retain_grad()`` on each state followed by
    ``L.backward()`` gives, taken by ``torch.autograd.grad`` with the states as inputs (no hook
    per tensor). The first state returned by ``update`` is h_t.

    Math:
        s_t = update(x_proj_t, s_{t-1}),   s_{-1} = initial
        L   = Σ_b w · h_{T-1}^{(b)}
        ∂L/∂h_{T-1}^{(b)} = w,   ∂L/∂s_{t-1} = (∂s_t/∂s_{t-1})ᵀ ∂L/∂s_t
    For the LSTM (s_t = (h_t, c_t)) both are total derivatives, what BPTT carries back: h_t
    reaches L only through step t+1, while c_t reaches it through c_{t+1} and through h_t,
        ∂L/∂c_t = f_{t+1} ⊙ ∂L/∂c_{t+1} + (terms through the gates of step t+1)
                  + o_t ⊙ (1 - tanh²(c_t)) ⊙ ∂L/∂h_t

    Parameters
    ----------
    num_states
        Collect the gradients of the first ``num_states`` states only (1: h_t alone, which
        skips collecting the LSTM's ∂L/∂c_t, ~8% of the time); None: all of them.

    Returns
    -------
    One tensor per collected state, in ``update``'s order: gradients (T, B, size), row t =
    ∂L/∂s_t. A state that does not reach L (e.g. a dead ReLU path) gets zeros.

    Example:
        >>> W = 0.5 * torch.eye(2, dtype=torch.float64)
        >>> (g,) = per_step_gradients(lambda xp, s: [s[0] @ W.T + xp],
        ...                           torch.zeros(3, 1, 2, dtype=torch.float64),
        ...                           [torch.zeros(1, 2, dtype=torch.float64)],
        ...                           torch.tensor([1.0, 0.0], dtype=torch.float64))
        >>> g[:, 0, 0].tolist()                      # 0.5 ** (T-1-t)
        [0.25, 0.5, 1.0]
    """
    with torch.enable_grad():
        state = [s.detach().requires_grad_(True) for s in initial]
        n = len(initial) if num_states is None else num_states
        kept: list[Tensor] = []  # s_0, .., s_{T-1}, each state kind in turn: (B, size) each
        for x_proj_t in x_proj.unbind(0):
            state = update(x_proj_t, state)
            kept += state[:n]
        loss = (state[0] @ weight).sum()  # L = Σ_b w · h_{T-1}^{(b)}
        # what retain_grad() on every state + loss.backward() would leave in their .grad, read
        # without a hook per tensor (10% of the time at T = 100; the tests hold the two equal)
        wanted = [s for s in kept if s.requires_grad]  # a state that ignores s_{t-1} is not
        grads = iter(torch.autograd.grad(loss, wanted, allow_unused=True, materialize_grads=True)
                     if loss.requires_grad else [torch.zeros_like(s) for s in wanted])
        kept = [next(grads) if s.requires_grad else torch.zeros_like(s) for s in kept]
    return [torch.stack(kept[i::n]) for i in range(n)]  # (T, B, size) per state kind


def gradient_flow(
    layer: nn.Module, x: Tensor, *, seed: int = 0, cell_state: bool = True
) -> dict[str, list[float]]:
    """‖∂L/∂h_t‖ for t = 0..T-1 with the loss at the last step only: how far back L reaches.

    Math:
        L   = Σ_b w · h_{T-1}^{(b)},   w a unit vector drawn from ``seed``
        g_t = (1/B) Σ_b ‖∂L/∂h_t^{(b)}‖₂          (so g_{T-1} = 1)
    Falling g_t going back (t -> 0) is a vanishing gradient, rising is an exploding one.
    First layer, forward direction; see the module notes.

    Returns
    -------
    {"grad_norm": [g_0, .., g_{T-1}]}, plus "cell_grad_norm" (the same for ∂L/∂c_t) for the LSTM
    unless ``cell_state=False``.

    Example:
        >>> flow = gradient_flow(LSTM(1, 4), torch.ones(2, 5, 1))
        >>> len(flow["grad_norm"]), len(flow["cell_grad_norm"]), round(flow["grad_norm"][-1], 5)
        (5, 5, 1.0)
    """
    update, x_proj, initial = layer_recurrence(layer, x)
    weight = readout_vector(initial[0].shape[-1], seed, x_proj.dtype, x_proj.device)
    grads = per_step_gradients(update, x_proj, initial, weight,
                               num_states=None if cell_state else 1)
    norms = [g.norm(dim=-1).mean(dim=1) for g in grads]  # (T,) each: batch mean of ‖·‖₂
    flow = {"grad_norm": norms[0].tolist()}
    if len(norms) == 2:
        flow["cell_grad_norm"] = norms[1].tolist()
    return flow


# -- step Jacobians ---------------------------------------------------------------------------
def step_jacobians(layer: nn.Module, x: Tensor) -> Tensor:
    """J_t = ∂s_t/∂s_{t-1} at every step and sample of the first layer's forward run.

    Math:
        Elman (closed form):  J_t = diag(σ'(a_t)) W_hh
                              σ'(a_t) = 1 - h_t² (tanh), 1[h_t > 0] (relu)
        LSTM, GRU:            torch.func.jacrev of the step function, vmapped over (t, b);
                              for the LSTM s_t = [h_t; c_t], so J_t is the full
                              [[∂h_t/∂h_{t-1}, ∂h_t/∂c_{t-1}], [∂c_t/∂h_{t-1}, ∂c_t/∂c_{t-1}]]
    J_t maps h_{t-1} (h_{-1} = 0) to h_t, and ∂L/∂s_{t-1} = J_tᵀ ∂L/∂s_t.

    Shapes: x (B, T, F) -> (T, B, S, S), S = H (LSTM: H_out + H).
    """
    update, x_proj, initial = layer_recurrence(layer, x)
    with torch.no_grad():
        states = [initial]  # s_{-1}, s_0, .., s_{T-1}
        for t in range(x_proj.shape[0]):
            states.append(update(x_proj[t], states[-1]))
    if isinstance(layer, RNN):
        h = torch.stack([s[0] for s in states[1:]])  # (T, B, H): h_t
        slope = 1 - h * h if layer.nonlinearity == "tanh" else (h > 0).to(h.dtype)
        return slope.unsqueeze(-1) * layer.weight_hh_l0.detach()  # diag(σ'(a_t)) W_hh
    sizes = [s.shape[-1] for s in initial]
    T, B = x_proj.shape[:2]

    def flat_step(x_proj_t: Tensor, s: Tensor) -> Tensor:  # one sample: (G·H,), (S,) -> (S,)
        return torch.cat(update(x_proj_t, list(s.split(sizes))))

    previous = [torch.stack([s[i] for s in states[:-1]]) for i in range(len(initial))]
    rows = torch.cat(previous, dim=-1).reshape(T * B, -1)  # (T·B, S): s_{t-1}
    jac = torch.func.vmap(torch.func.jacrev(flat_step, argnums=1), chunk_size=4096)
    return jac(x_proj.reshape(T * B, -1), rows).view(T, B, rows.shape[-1], rows.shape[-1])


def jacobian_norms(layer: nn.Module, x: Tensor) -> list[float]:
    """‖J_t‖₂ = σ_max(∂s_t/∂s_{t-1}) for t = 0..T-1, averaged over the batch.

    By ∂L/∂s_{t-1} = J_tᵀ ∂L/∂s_t, each sample's gradient norm falls (or grows) by at most
    ‖J_t‖₂ per step back. See :func:`step_jacobians` for J_t; pass x[:1] for sample 0 alone.

    Math:
        ‖J‖₂² = λ_max(Jᵀ J)      (a symmetric eigensolver: several times faster than an SVD
                                  over T·B matrices; relative error ~ machine epsilon)
    Cost: T·B Jacobians of S × S (LSTM S = 2H), O(T·B·S³); seconds for T = 100, B = 32, H = 64.
    Too slow for every training step: :class:`GradientFlowTracker` leaves it out.

    Example:
        >>> norms = jacobian_norms(GRU(1, 3), torch.zeros(2, 4, 1))
        >>> len(norms)
        4
    """
    J = step_jacobians(layer, x)  # (T, B, S, S)
    norms = [torch.linalg.eigvalsh(j.mT @ j)[..., -1].clamp_min(0).sqrt()  # σ_max per (t, b)
             for j in J.split(16)]  # 16 steps at a time: the Gram matrices stay small
    return torch.cat(norms).mean(dim=1).tolist()


# -- everything at once ----------------------------------------------------------------------
def diagnose(layer: nn.Module, x: Tensor, *, seed: int = 0) -> dict:
    """Every measurement of this module on one layer and one batch: a JSON-ready dict.

    Returns
    -------
        grad_norm               [g_0, .., g_{T-1}]  (:func:`gradient_flow`; g_{T-1} = 1)
        cell_grad_norm          the same for ∂L/∂c_t (LSTM only)
        ratio_per_step          (g_0 / g_{T-1})^(1/(T-1)): < 1 vanishing, > 1 exploding
        spectral_radius         ρ of weight_hh_l0 (gated: the largest over the gate blocks)
        largest_singular_value  σ_max of weight_hh_l0 (gated: of the stacked matrix)
        weight_spectra          :func:`weight_spectra` of the layer (per gate block)
        jacobian_norm           [‖J_0‖₂, .., ‖J_{T-1}‖₂], batch means (:func:`jacobian_norms`)
    ``seed`` draws the readout w of the loss. First layer, forward direction (module notes).

    Example:
        >>> from rnnkit.nn.spectra import rescale_spectral_radius_
        >>> layer = rescale_spectral_radius_(RNN(1, 32, batch_first=True), 0.5)
        >>> report = diagnose(layer, torch.randn(16, 20, 1))
        >>> len(report["grad_norm"]), round(report["spectral_radius"], 6)
        (20, 0.5)
        >>> report["grad_norm"][0] < 1e-3 < report["grad_norm"][-1]
        True
    """
    flow = gradient_flow(layer, x, seed=seed)
    spectra = weight_spectra(layer)
    return {
        **flow,
        "ratio_per_step": _ratio_per_step(flow["grad_norm"]),
        "spectral_radius": spectra["weight_hh_l0"]["spectral_radius"],
        "largest_singular_value": spectra["weight_hh_l0"]["largest_singular_value"],
        "weight_spectra": spectra,
        "jacobian_norm": jacobian_norms(layer, x),
    }


def _ratio_per_step(norms: list[float]) -> float | None:
    """Geometric mean factor per step back, (g_0 / g_{T-1})^(1/(T-1)); None when T = 1."""
    if len(norms) < 2:
        return None
    if norms[0] == 0 or norms[-1] == 0:
        return 0.0
    return math.exp((math.log(norms[0]) - math.log(norms[-1])) / (len(norms) - 1))


# -- over training ----------------------------------------------------------------------------
def _recurrent_layer(module: nn.Module) -> RecurrentLayer:
    """``module`` itself if it is an rnnkit RNN/LSTM/GRU, else its first such submodule."""
    for m in module.modules():
        if isinstance(m, RecurrentLayer):
            return m
    raise TypeError(f"{type(module).__name__} has no rnnkit RNN, LSTM or GRU layer")


class GradientFlowTracker:
    """Snapshots of the gradient flow on a fixed batch every ``every`` training steps.

    A snapshot is {"step", "grad_norm" (:func:`gradient_flow`), "spectral_radius" (of
    weight_hh_l0, as in :func:`diagnose`)}, plus "cell_grad_norm" for an LSTM tracked with
    ``cell_state=True`` (off by default: the snapshot is then ~8% cheaper), recorded when
    ``step % every == 0``. Calling the tracker never touches the parameters' gradients or the
    optimizer, so it can run between any two updates, e.g. from a trainer's step hook:

        tracker = GradientFlowTracker(model.rnn, x_fixed, every=50)
        train(model, batches, cfg, on_step=lambda step, record: tracker(step))

    Parameters
    ----------
    layer
        An rnnkit RNN/LSTM/GRU, or a model holding one (its first is used).
    batch
        Fixed inputs x (B, T, F), batch first; a (x, y) pair is accepted (y is ignored).
    every
        Record at steps 0, every, 2·every, ...

    Example:
        >>> tracker = GradientFlowTracker(GRU(1, 4), torch.zeros(2, 6, 1), every=2)
        >>> [tracker(step) is not None for step in range(4)]
        [True, False, True, False]
        >>> [s["step"] for s in tracker.snapshots], len(tracker.snapshots[0]["grad_norm"])
        ([0, 2], 6)
    """

    def __init__(self, layer: nn.Module, batch: Tensor | tuple[Tensor, Tensor], every: int,
                 *, seed: int = 0, cell_state: bool = False) -> None:
        self.layer = _recurrent_layer(layer)
        self.batch = batch[0] if isinstance(batch, tuple | list) else batch
        self.every = check_positive_int("every", every)
        self.seed, self.cell_state = seed, cell_state
        self.snapshots: list[dict] = []
        layer_recurrence(self.layer, self.batch)  # check the batch now, not at step `every`

    def __call__(self, step: int, model: nn.Module | None = None) -> dict | None:
        """Record a snapshot at ``step`` if it is due; return it (None when not due).

        ``model`` (optional): diagnose this model's (or layer's) first recurrent layer this time,
        e.g. after the trainer has swapped in other weights; by default the tracked layer.
        """
        if step % self.every:
            return None
        layer = self.layer if model is None else _recurrent_layer(model)
        snapshot = {"step": int(step), **gradient_flow(layer, self.batch, seed=self.seed,
                                                       cell_state=self.cell_state),
                    "spectral_radius": first_radius(layer)}
        self.snapshots.append(snapshot)
        return snapshot

    def to_dict(self) -> dict:
        """{"every", "cell", "hidden_size", "seq_len", "snapshots"}: JSON-ready."""
        return {"every": self.every, "cell": type(self.layer).__name__.lower(),
                "hidden_size": self.layer.hidden_size, "seq_len": int(self.batch.shape[1]),
                "snapshots": list(self.snapshots)}
