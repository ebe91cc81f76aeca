"""rnnkit.nn.diagnostics and spectra: gradient flow against closed forms and a second autograd."""

import json

import pytest
import torch

from rnnkit._checks import InputError
from rnnkit.cli.jobs.diagnose import measure
from rnnkit.io import plots
from rnnkit.nn.cells import gru_step, lstm_step, rnn_step
from rnnkit.nn.diagnostics import (
    GradientFlowTracker,
    diagnose,
    gradient_flow,
    jacobian_norms,
    layer_recurrence,
    per_step_gradients,
    readout_vector,
    step_jacobians,
)
from rnnkit.nn.layers import GRU, LSTM, RNN
from rnnkit.nn.models import ModelConfig, SequenceRegressor
from rnnkit.nn.spectra import rescale_spectral_radius_, spectral_radius, weight_spectra


def run_diagnosis(cell: str, length: int, spectral_radius: float = 0.0, **network) -> dict:
    """:func:`diagnose` of a seeded one-layer ``cell`` (the experiment ``rnnkit diagnose`` runs)."""
    return measure(ModelConfig(cell=cell, **network), length, spectral_radius=spectral_radius)

# (class, constructor keywords): every recurrence the diagnostics run
LAYERS = [
    (RNN, {}),
    (RNN, {"nonlinearity": "relu"}),
    (LSTM, {}),
    (LSTM, {"proj_size": 2}),
    (GRU, {}),
    (GRU, {"reset_after": False}),
]
IDS = ["rnn-tanh", "rnn-relu", "lstm", "lstm-proj", "gru", "gru-reset-before"]


def _layer(cls, kw, seed=0, dtype=torch.float64, **shape):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        shape = {"input_size": 2, "hidden_size": 4, "batch_first": True} | shape
        return cls(**shape, **kw).to(dtype)


def _x(*shape, seed=0, dtype=torch.float64):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


# -- closed form and a second autograd ---------------------------------------------------------
@pytest.mark.parametrize("rho", [0.5, 1.0, 1.3])
def test_linear_recurrence_decays_as_rho_to_the_lag(rho):
    # h_t = W h_{t-1} + x_t with W = ρQ, Q orthogonal: ∂L/∂h_t = (Wᵀ)^(T-1-t) w, and Q keeps norms,
    # so ‖∂L/∂h_t‖ = ρ^(T-1-t) ‖∂L/∂h_{T-1}‖ exactly (up to float64 rounding)
    T, B, H = 30, 3, 6
    Q, _ = torch.linalg.qr(_x(H, H, seed=1))
    W = rho * Q
    w = readout_vector(H, seed=2, dtype=torch.float64)
    (g,) = per_step_gradients(lambda x_proj, s: [s[0] @ W.T + x_proj], _x(T, B, H, seed=3),
                              [torch.zeros(B, H, dtype=torch.float64)], w)
    norms = g.norm(dim=-1)  # (T, B)
    lag = torch.arange(T - 1, -1, -1, dtype=torch.float64)
    expected = (rho**lag).unsqueeze(1) * norms[-1]
    torch.testing.assert_close(norms, expected, rtol=1e-12, atol=0)
    torch.testing.assert_close(norms[-1], torch.ones(B, dtype=torch.float64))  # ‖w‖ = 1


@pytest.mark.parametrize("cls, kw", LAYERS, ids=IDS)
def test_per_step_gradients_equal_autograd_from_a_leaf_state(cls, kw):
    # second way: run the layer itself (its own forward path) to h_t, restart the tail from a
    # leaf h_t (and c_t), and take torch.autograd.grad of the same L = Σ_b w · h_{T-1}^{(b)}
    T, B = 7, 3
    layer, x = _layer(cls, kw), _x(B, T, 2)
    update, x_proj, initial = layer_recurrence(layer, x)
    w = readout_vector(initial[0].shape[-1], seed=5, dtype=torch.float64)
    grads = per_step_gradients(update, x_proj, initial, w)
    def tail_loss(t, state):  # L from the states at step t, by the layer's own forward
        out, _ = layer(x[:, t + 1 :], state if cls is LSTM else state[0])
        return (out[:, -1] @ w).sum()

    for t in (0, 3, T - 2):
        _, state = layer(x[:, : t + 1])
        state = state if isinstance(state, tuple) else (state,)
        leaves = tuple(s.detach().requires_grad_(True) for s in state)  # (1, B, ·) each
        expected = torch.autograd.grad(tail_loss(t, leaves), leaves)
        torch.testing.assert_close(grads[0][t], expected[0][0], rtol=1e-10, atol=1e-12)
        if cls is LSTM:  # ∂L/∂c_t is total: c_t also reaches L through h_t = o_t ⊙ tanh(c_t)
            W_ih, W_hh, b_ih, b_hh, W_hr = (None if p is None else p.detach()
                                            for p in layer.layer_weights(0))
            h_prev = layer(x[:, :t])[1][0][0] if t else torch.zeros_like(leaves[0][0])
            z = x[:, t] @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh  # (B, 4H), gates (i, f, g, o)
            o = torch.sigmoid(z.chunk(4, dim=-1)[3])
            c = leaves[1].detach().requires_grad_(True)
            h = o * torch.tanh(c)
            h = h if W_hr is None else h @ W_hr.T
            (expected_c,) = torch.autograd.grad(tail_loss(t, (h, c)), c)
            torch.testing.assert_close(grads[1][t], expected_c[0], rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(grads[0][-1], w.expand(B, -1))  # ∂L/∂h_{T-1} = w


@pytest.mark.parametrize("cls, kw", LAYERS, ids=IDS)
def test_per_step_gradients_equal_retain_grad_and_backward(cls, kw):
    # the recipe, literally: retain_grad() on every h_t (and c_t), L.backward(), read .grad
    layer, x = _layer(cls, kw), _x(3, 6, 2)
    update, x_proj, initial = layer_recurrence(layer, x)
    w = readout_vector(initial[0].shape[-1], dtype=torch.float64)
    state, kept = [s.clone().requires_grad_(True) for s in initial], []
    for t in range(6):
        state = update(x_proj[t], state)
        for s in state:
            s.retain_grad()
        kept.append(state)
    (state[0] @ w).sum().backward()
    ours = per_step_gradients(update, x_proj, initial, w)
    for i, g in enumerate(ours):
        assert torch.equal(g, torch.stack([k[i].grad for k in kept]))


def test_per_step_gradients_equal_finite_differences():
    # a third way, on a tiny float64 tanh RNN: central differences of L in h_t
    layer, x = _layer(RNN, {}, hidden_size=3), _x(2, 5, 2)
    update, x_proj, initial = layer_recurrence(layer, x)
    w = readout_vector(3, dtype=torch.float64)
    (g,) = per_step_gradients(update, x_proj, initial, w)

    def loss_from(t, h):
        for s in range(t + 1, x_proj.shape[0]):
            (h,) = update(x_proj[s], [h])
        return float((h @ w).sum())

    with torch.no_grad():
        h, states = initial[0], []
        for s in range(x_proj.shape[0]):
            (h,) = update(x_proj[s], [h])
            states.append(h)
    eps = 1e-6
    for t in (0, 2):
        fd = torch.zeros_like(states[t])
        for b in range(2):
            for i in range(3):
                step = torch.zeros_like(states[t])
                step[b, i] = eps
                up, down = loss_from(t, states[t] + step), loss_from(t, states[t] - step)
                fd[b, i] = (up - down) / (2 * eps)
        torch.testing.assert_close(g[t], fd, rtol=1e-6, atol=1e-9)


def test_gradient_flow_leaves_the_parameters_alone():
    layer = _layer(LSTM, {})
    before = {k: v.clone() for k, v in layer.state_dict().items()}
    flow = gradient_flow(layer, _x(3, 6, 2))
    assert all(p.grad is None for p in layer.parameters())
    assert all(torch.equal(before[k], v) for k, v in layer.state_dict().items())
    assert len(flow["grad_norm"]) == len(flow["cell_grad_norm"]) == 6
    assert flow["grad_norm"][-1] == pytest.approx(1.0, abs=1e-12)  # g_{T-1} = ‖w‖ = 1


# -- the shapes the issue asks for -------------------------------------------------------------
def _lag(norms, lag):
    return norms[len(norms) - 1 - lag]


def test_tanh_rnn_with_radius_below_one_vanishes_geometrically():
    # orthogonal W_hh scaled to ρ = 0.5: every singular value is 0.5 and tanh' ≤ 1, so each step
    # back multiplies every sample's norm by at most 0.5
    g = run_diagnosis("rnn", 50, recurrent_init="orthogonal", spectral_radius=0.5)["grad_norm"]
    ratios = [g[t - 1] / g[t] for t in range(1, 50)]
    assert max(ratios) <= 0.5 + 1e-6
    assert g[0] < 1e-12 * g[-1]
    # torch's default init rescaled to 0.5 is not normal (σ_max > ρ) yet still falls every step
    g = run_diagnosis("rnn", 50, spectral_radius=0.5)["grad_norm"]
    assert max(g[t - 1] / g[t] for t in range(1, 50)) < 1
    assert g[0] < 1e-9 * g[-1]


def test_relu_rnn_with_radius_above_one_explodes():
    # IRNN scaled to 1.2 (W_hh = 1.2 I, zero biases) with positive inputs and input weights: every
    # unit stays active, so J_t = 1.2 I and g_t = 1.2^(T-1-t) exactly
    layer = _layer(RNN, {"nonlinearity": "relu", "init": "xavier", "recurrent_init": "identity"},
                   input_size=1, hidden_size=16, dtype=torch.float32)
    rescale_spectral_radius_(layer, 1.2)
    with torch.no_grad():
        layer.weight_ih_l0.abs_()
    x = torch.rand(8, 50, 1, generator=torch.Generator().manual_seed(0)) + 0.1
    g = gradient_flow(layer, x)["grad_norm"]
    assert all(g[t - 1] > 1.19 * g[t] for t in range(1, 50))
    assert g[0] == pytest.approx(1.2**49, rel=1e-4)


def test_lstm_with_forget_bias_holds_the_gradient_far_longer_than_a_tanh_rnn():
    lstm = run_diagnosis("lstm", 50, forget_bias=1.0)["grad_norm"]
    rnn = run_diagnosis("rnn", 50)["grad_norm"]  # torch's default U(-1/√H, 1/√H)
    assert _lag(lstm, 40) > 100 * _lag(rnn, 40)


def test_lstm_forget_bias_one_decays_much_slower_than_torch_default():
    one = run_diagnosis("lstm", 50, forget_bias=1.0)
    default = run_diagnosis("lstm", 50, forget_bias=None)  # f_t ≈ σ(0) = 0.5
    assert _lag(one["grad_norm"], 40) > 100 * _lag(default["grad_norm"], 40)
    assert _lag(one["cell_grad_norm"], 40) > 100 * _lag(default["cell_grad_norm"], 40)
    assert one["ratio_per_step"] > default["ratio_per_step"]


# -- spectra and step Jacobians ----------------------------------------------------------------
@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_reported_spectrum_matches_torch_linalg(cell):
    report = run_diagnosis(cell, 3)
    layer = _layer({"rnn": RNN, "lstm": LSTM, "gru": GRU}[cell], {}, hidden_size=8)
    spectra = weight_spectra(layer)["weight_hh_l0"]
    W = layer.weight_hh_l0.detach()
    blocks = W.chunk(W.shape[0] // W.shape[1])
    radii = [float(torch.linalg.eigvals(b).abs().max()) for b in blocks]
    assert spectra["spectral_radius"] == pytest.approx(max(radii), rel=1e-12)
    assert spectra["largest_singular_value"] == pytest.approx(
        float(torch.linalg.svdvals(W)[0]), rel=1e-12)
    if cell != "rnn":
        got = [g["spectral_radius"] for g in spectra["gates"].values()]
        assert got == pytest.approx(radii, rel=1e-12)
    assert report["spectral_radius"] <= report["largest_singular_value"]


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("radius", [0.5, 1.5])
def test_rescaling_gives_the_requested_radius(cell, radius):
    report = run_diagnosis(cell, 2, spectral_radius=radius)
    assert report["spectral_radius"] == pytest.approx(radius, abs=1e-6)
    for gate in report["weight_spectra"]["weight_hh_l0"].get("gates", {}).values():
        assert gate["spectral_radius"] == pytest.approx(radius, abs=1e-6)


def test_rescaling_covers_every_layer_and_direction():
    layer = rescale_spectral_radius_(_layer(GRU, {}, num_layers=2, bidirectional=True), 0.8)
    spectra = weight_spectra(layer)
    assert len(spectra) == 4
    for name, entry in spectra.items():
        W = getattr(layer, name).detach()
        for block in W.chunk(3):
            assert spectral_radius(block) == pytest.approx(0.8, abs=1e-12)
        assert entry["spectral_radius"] == pytest.approx(0.8, abs=1e-12)


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_elman_jacobian_norm_is_the_closed_form(nonlinearity):
    layer, x = _layer(RNN, {"nonlinearity": nonlinearity}, hidden_size=5), _x(3, 6, 2)
    out, _ = layer(x)  # h_t for t = 0..T-1, from the layer's own forward
    W = layer.weight_hh_l0.detach()
    slope = 1 - out * out if nonlinearity == "tanh" else (out > 0).double()
    expected = torch.linalg.matrix_norm(slope.unsqueeze(-1) * W, ord=2).mean(dim=0)  # (T,)
    torch.testing.assert_close(torch.tensor(jacobian_norms(layer, x), dtype=torch.float64),
                               expected.detach(), rtol=1e-12, atol=0)


@pytest.mark.parametrize("cls, kw", LAYERS, ids=IDS)
def test_step_jacobians_equal_autograd_of_the_step_function(cls, kw):
    # the Elman closed form and the vmapped jacrev, against torch.autograd.functional.jacobian
    # of the public step functions at the states of the layer's own forward
    layer, x = _layer(cls, kw), _x(2, 4, 2)
    J = step_jacobians(layer, x)
    weights = [None if p is None else p.detach() for p in layer.layer_weights(0)]
    _, state = layer(x[:, :1])  # s_0
    state = state if isinstance(state, tuple) else (state,)
    s0 = [s[0, 1].detach() for s in state]  # sample 1
    sizes = [s.shape[-1] for s in s0]
    x1 = x[1, 1]

    def step(s):  # s_0 -> s_1 for sample 1
        h, *c = s.split(sizes)
        if cls is LSTM:
            return torch.cat(lstm_step(x1, h, c[0], *weights))
        if cls is GRU:
            return gru_step(x1, h, *weights[:4], reset_after=layer.reset_after)
        return rnn_step(x1, h, *weights[:4], nonlinearity=layer.nonlinearity)

    expected = torch.autograd.functional.jacobian(step, torch.cat(s0))
    torch.testing.assert_close(J[1, 1], expected, rtol=1e-10, atol=1e-12)


def test_gradient_falls_by_at_most_the_jacobian_norm_per_step():
    # ∂L/∂s_{t-1} = J_tᵀ ∂L/∂s_t, so for one sample ‖∂L/∂s_{t-1}‖ ≤ ‖J_t‖₂ ‖∂L/∂s_t‖
    layer, x = _layer(GRU, {}, hidden_size=6), _x(1, 12, 2)
    g, J = gradient_flow(layer, x)["grad_norm"], jacobian_norms(layer, x)
    assert all(g[t - 1] <= J[t] * g[t] * (1 + 1e-10) for t in range(1, 12))


def test_projected_lstm_blocks_have_no_spectral_radius():
    spectra = weight_spectra(_layer(LSTM, {"proj_size": 2}))["weight_hh_l0"]
    assert spectra["spectral_radius"] is None
    assert spectra["largest_singular_value"] > 0
    with pytest.raises(InputError, match="proj_size"):
        rescale_spectral_radius_(_layer(LSTM, {"proj_size": 2}), 0.9)


# -- diagnose: contents, errors ---------------------------------------------------------------
def test_diagnose_is_json_ready_and_complete():
    layer = LSTM(1, 6, batch_first=True)
    report = diagnose(layer, _x(4, 8, 1, dtype=torch.float32), seed=3)
    assert json.loads(json.dumps(report)) == report
    for key in ("grad_norm", "cell_grad_norm", "jacobian_norm"):
        assert len(report[key]) == 8
    assert set(report) == {"grad_norm", "cell_grad_norm", "ratio_per_step", "spectral_radius",
                           "largest_singular_value", "weight_spectra", "jacobian_norm"}
    assert report["grad_norm"] == gradient_flow(layer, _x(4, 8, 1, dtype=torch.float32),
                                                seed=3)["grad_norm"]


@pytest.mark.parametrize("kwargs, match", [
    ({"cell": "transformer"}, "cell"),
    ({"nonlinearity": "gelu"}, "nonlinearity"),
    ({"recurrent_init": "zeros"}, "recurrent_init"),
    ({"spectral_radius": -1.0}, "spectral_radius"),
])
def test_the_experiment_rejects_bad_arguments(kwargs, match):
    with pytest.raises(InputError, match=match):
        run_diagnosis(**({"cell": "rnn", "length": 5} | kwargs))


def test_inputs_must_be_batch_first_with_input_size_features():
    with pytest.raises(InputError, match=r"x must have shape \(B, T, 2\)"):
        gradient_flow(_layer(RNN, {}), _x(3, 5, 4))
    with pytest.raises(TypeError, match="rnnkit RNN, LSTM or GRU"):
        gradient_flow(torch.nn.LSTM(2, 4), _x(3, 5, 2))


# -- tracking over training --------------------------------------------------------------------
def test_tracker_records_every_n_steps_during_training():
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = SequenceRegressor(input_size=1, hidden_size=8, cell="lstm")
    x, y = _x(4, 10, 1, dtype=torch.float32), _x(4, 1, seed=1, dtype=torch.float32)
    tracker = GradientFlowTracker(model, (x, y), every=3, cell_state=True)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)

    def on_step(step, record):  # what a trainer's hook would call
        tracker(step)

    for step in range(10):
        _, loss, _ = model(x, y)
        loss.backward()
        grads = [p.grad.clone() for p in model.parameters()]
        on_step(step, {"loss": loss.item()})
        assert all(torch.equal(g, p.grad) for g, p in zip(grads, model.parameters(), strict=True))
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    assert [s["step"] for s in tracker.snapshots] == [0, 3, 6, 9]
    assert tracker.snapshots[0]["grad_norm"] != tracker.snapshots[-1]["grad_norm"]  # it learned
    assert tracker.snapshots[0]["spectral_radius"] != tracker.snapshots[-1]["spectral_radius"]
    record = tracker.to_dict()
    assert json.loads(json.dumps(record)) == record
    assert record["every"] == 3 and record["cell"] == "lstm" and record["seq_len"] == 10
    assert all(len(s["grad_norm"]) == 10 and len(s["cell_grad_norm"]) == 10
               for s in record["snapshots"])


@pytest.mark.parametrize("cls, kw", LAYERS, ids=IDS)
def test_tracker_snapshot_equals_the_one_off_functions(cls, kw):
    layer, x = _layer(cls, kw), _x(2, 5, 2)
    snapshot = GradientFlowTracker(layer, x, every=1, seed=4)(0)
    flow = {k: v for k, v in snapshot.items() if "grad_norm" in k}
    assert flow == {"grad_norm": gradient_flow(layer, x, seed=4)["grad_norm"]}  # no c by default
    radius = weight_spectra(layer)["weight_hh_l0"]["spectral_radius"]
    assert snapshot["spectral_radius"] == (None if radius is None else pytest.approx(radius))


def test_tracker_can_diagnose_another_model_and_checks_its_arguments():
    layer = _layer(RNN, {}, dtype=torch.float32)
    tracker = GradientFlowTracker(layer, _x(2, 5, 2, dtype=torch.float32), every=1)
    other = rescale_spectral_radius_(_layer(RNN, {}, seed=1, dtype=torch.float32), 0.7)
    assert tracker(0, other)["spectral_radius"] == pytest.approx(0.7, abs=1e-6)
    with pytest.raises(InputError, match="every"):
        GradientFlowTracker(layer, _x(2, 5, 2, dtype=torch.float32), every=0)
    with pytest.raises(InputError, match="x must have shape"):
        GradientFlowTracker(layer, _x(2, 5, 3, dtype=torch.float32), every=1)


# -- plots -------------------------------------------------------------------------------------
def test_plots_write_png_files_atomically(tmp_path):
    curves = {cell: run_diagnosis(cell, 20, hidden_size=8)["grad_norm"]
              for cell in ("rnn", "lstm", "gru")}
    plots.plot_gradient_flow(tmp_path / "flow.png", curves, "gradient flow, T = 20")
    tracker = GradientFlowTracker(_layer(GRU, {}, dtype=torch.float32),
                                  _x(2, 12, 2, dtype=torch.float32), every=1)
    for step in range(4):
        tracker(step)
    tracker.snapshots[1]["grad_norm"][0] = 0.0  # an underflow is drawn blank, not an error
    plots.plot_gradient_heatmap(tmp_path / "heat.png", tracker.snapshots, "heat map")
    for name in ("flow.png", "heat.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["flow.png", "heat.png"]
    with pytest.raises(InputError, match="snapshots"):
        plots.plot_gradient_heatmap(tmp_path / "empty.png", [], "empty")
