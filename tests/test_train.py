"""rnnkit.training.loop: clipping, schedule, early stopping, determinism, exact resume, divergence,
batches.

Every training run here is a SequenceRegressor with a handful of hidden units on 64 windows of a
sine series (lookback 16, horizon 1), float32, a few optimizer steps: the whole file runs in
seconds. Timing belongs to benchmarks/bench_trainer.py, not here.
"""

import copy
import dataclasses
import inspect
import json
import math
import tracemalloc

import numpy as np
import pytest
import torch

import rnnkit.training.loop as train_module
from rnnkit._checks import InputError, TrainingDiverged
from rnnkit.forecast.windows import make_windows
from rnnkit.io.files import load_model
from rnnkit.nn.init import seeded
from rnnkit.nn.models import SequenceRegressor
from rnnkit.training.batches import Batches
from rnnkit.training.loop import History, TrainConfig, lr_at, train, validation_loss

LOOKBACK = 16


def _windows(n_windows: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """(x (M, 16, 1), y (M, 1)) read-only windows of sin(0.3 t), as rnnkit.forecast.windows
    makes them."""
    series = np.sin(0.3 * np.arange(n_windows + LOOKBACK))
    return make_windows(series[:, None], series, LOOKBACK, 1)


def _model(seed: int = 0, **kwargs) -> SequenceRegressor:
    with seeded(seed):  # the caller seeds initialisation, as the jobs do
        return SequenceRegressor(1, 4, **kwargs)


def _state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _assert_same_state(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k


def _losses(history: History) -> list[tuple]:
    """Everything in the records that does not depend on the wall clock."""
    keys = ("epoch", "step", "train_loss", "val_loss", "lr", "grad_norm", "grad_norm_max")
    return [tuple(r[k] for k in keys) for r in history.records]


def _checkpoint_model(path) -> dict[str, torch.Tensor]:
    tensors, _ = load_model(path, "checkpoint")
    return {k[len("model.") :]: v for k, v in tensors.items() if k.startswith("model.")}


def _observe_optimizer_steps(monkeypatch, observe) -> list:
    """Patch train's optimizer so that each step first appends ``observe(model, optimizer)``."""
    seen: list = []
    make = train_module.make_optimizer

    def observed(model, cfg):
        optimizer = make(model, cfg)
        step = optimizer.step

        def observed_step(*args, **kwargs):
            seen.append(observe(model, optimizer))
            return step(*args, **kwargs)

        optimizer.step = observed_step
        return optimizer

    monkeypatch.setattr(train_module, "make_optimizer", observed)
    return seen


def _gradients(model, optimizer) -> list[torch.Tensor]:
    """The gradients the step is about to use: after train's clipping."""
    return [p.grad.detach().clone() for p in model.parameters()]


def _first_gradient(model: torch.nn.Module, batches: Batches) -> list[torch.Tensor]:
    """∂L/∂θ of the first batch of epoch 0 on a copy of ``model``, computed by hand."""
    ref = copy.deepcopy(model)
    x, y = next(iter(batches.epoch(0)))
    _, loss, _ = ref(x, y)
    loss.backward()
    return [p.grad.detach().clone() for p in ref.parameters()]


def _norm(grads: list[torch.Tensor]) -> float:
    return math.sqrt(sum(float((g.double() ** 2).sum()) for g in grads))


# ---------------------------------------------------------------------------------------------
# clipping: g <- τ·g/‖g‖ if ‖g‖ > τ, by value first, the norm before clipping recorded


@pytest.mark.parametrize("ratio", [0.25, 4.0])  # τ = ratio·‖g‖: clipped, then left alone
def test_clip_by_norm_is_tau_g_over_norm_and_records_the_norm_before(monkeypatch, ratio):
    x, y = _windows()
    batches = Batches(x, y, batch_size=64)  # one step per epoch: the record is that step's
    model = _model()
    g = _first_gradient(model, batches)
    norm = _norm(g)
    tau = ratio * norm
    seen = _observe_optimizer_steps(monkeypatch, _gradients)
    history = train(model, batches, TrainConfig(epochs=1, grad_clip=tau))

    assert len(seen) == 1
    if norm > tau:
        expected = [gi * (tau / norm) for gi in g]
        for got, want in zip(seen[0], expected, strict=True):
            torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-9)
        assert _norm(seen[0]) == pytest.approx(tau, rel=1e-5)
    else:  # ‖g‖ <= τ: the gradient is untouched, bit for bit
        for got, want in zip(seen[0], g, strict=True):
            assert torch.equal(got, want)
    assert history.records[0]["grad_norm"] == pytest.approx(norm, rel=1e-5)
    assert history.records[0]["grad_norm_max"] == pytest.approx(norm, rel=1e-5)


def test_clipped_step_equals_manual_clip_then_adam():
    x, y = _windows()
    batches = Batches(x, y, batch_size=64)
    model = _model()
    manual = copy.deepcopy(model)
    cfg = TrainConfig(epochs=1, learning_rate=0.01, grad_clip=0.05)
    train(model, batches, cfg)

    xb, yb = next(iter(batches.epoch(0)))
    _, loss, _ = manual(xb, yb)
    loss.backward()
    norm = _norm([p.grad for p in manual.parameters()])
    assert norm > cfg.grad_clip  # else this test would not test clipping
    with torch.no_grad():
        for p in manual.parameters():
            p.grad *= cfg.grad_clip / norm
    torch.optim.Adam(manual.parameters(), lr=cfg.learning_rate).step()
    for (name, got), want in zip(model.named_parameters(), manual.parameters(), strict=True):
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-7, msg=name)


def test_clip_value_clamps_each_element_before_the_norm(monkeypatch):
    x, y = _windows()
    batches = Batches(x, y, batch_size=64)
    model = _model()
    g = _first_gradient(model, batches)
    v = 0.5 * max(float(gi.abs().max()) for gi in g)
    clamped = [gi.clamp(-v, v) for gi in g]
    seen = _observe_optimizer_steps(monkeypatch, _gradients)
    history = train(model, batches, TrainConfig(epochs=1, grad_clip=0.0, clip_value=v))

    for got, want in zip(seen[0], clamped, strict=True):
        assert torch.equal(got, want)
    assert float(max(s.abs().max() for s in seen[0])) == pytest.approx(v)
    assert history.records[0]["grad_norm"] == pytest.approx(_norm(clamped), rel=1e-5)


# ---------------------------------------------------------------------------------------------
# lr_at


def test_warmup_is_linear_up_to_the_peak():
    cfg = TrainConfig(learning_rate=2.0, lr_schedule="cosine")
    warmup, total = 4, 20
    rates = [lr_at(s, total, warmup, cfg) for s in range(warmup + 1)]
    assert rates[:warmup] == pytest.approx([2.0 * (s + 1) / (warmup + 1) for s in range(warmup)])
    assert np.diff(rates[:warmup]) == pytest.approx([2.0 / (warmup + 1)] * (warmup - 1))
    assert rates[warmup] == 2.0  # the peak, where the decay starts


def test_cosine_decays_from_the_peak_to_a_tenth():
    cfg = TrainConfig(learning_rate=2.0, lr_schedule="cosine")
    warmup, total = 4, 20
    for s in range(warmup, total + 1):
        progress = (s - warmup) / (total - warmup)
        want = 2.0 * (0.1 + 0.45 * (1 + math.cos(math.pi * progress)))
        assert lr_at(s, total, warmup, cfg) == pytest.approx(want)
    assert lr_at(total, total, warmup, cfg) == pytest.approx(0.2)
    assert lr_at(3 * total, total, warmup, cfg) == pytest.approx(0.2)  # stays, never below
    rates = [lr_at(s, total, warmup, cfg) for s in range(warmup, total + 1)]
    assert all(a > b for a, b in zip(rates, rates[1:], strict=False))


@pytest.mark.parametrize("schedule", ["constant", "plateau"])
def test_constant_stays_at_the_peak_after_warmup(schedule):
    cfg = TrainConfig(learning_rate=0.3, lr_schedule=schedule)
    assert [lr_at(s, 20, 2, cfg) for s in range(2, 60)] == [0.3] * 58
    assert lr_at(0, 20, 2, cfg) == pytest.approx(0.1)


def test_train_sets_the_scheduled_rate_at_every_step(monkeypatch):
    x, y = _windows()
    batches = Batches(x, y, batch_size=16)  # 4 steps per epoch
    cfg = TrainConfig(epochs=3, warmup_epochs=1, learning_rate=0.01)
    rates = _observe_optimizer_steps(monkeypatch, lambda m, o: o.param_groups[0]["lr"])
    history = train(_model(), batches, cfg)
    assert rates == [lr_at(s, 12, 4, cfg) for s in range(12)]
    assert [r["lr"] for r in history.records] == [rates[3], rates[7], rates[11]]


# ---------------------------------------------------------------------------------------------
# early stopping


def test_early_stopping_stops_and_restores_the_best_epoch(tmp_path):
    x, y = _windows()
    batches = Batches(x, y, batch_size=16)
    # validation asks for the opposite of what is learned: its loss soon only gets worse
    val = Batches(x, -y, batch_size=64, shuffle=False)
    model = _model()
    patience = 3
    cfg = TrainConfig(epochs=60, learning_rate=0.03, patience=patience, lr_schedule="constant")
    history = train(model, batches, cfg, val_batches=val, checkpoint_dir=tmp_path)

    val_losses = [r["val_loss"] for r in history.records]
    best = history.best_epoch
    assert history.stopped_early
    assert len(history.records) == best + patience < cfg.epochs
    assert history.best_val_loss == min(val_losses) == val_losses[best - 1]
    assert all(v >= history.best_val_loss for v in val_losses[best:])
    restored = _state(model)
    _assert_same_state(restored, _checkpoint_model(tmp_path / "best"))
    last = _checkpoint_model(tmp_path / "last")
    assert not all(torch.equal(restored[k], last[k]) for k in last)  # it did move on, then back
    assert validation_loss(model, val) == history.best_val_loss


def test_patience_zero_never_stops_early():
    x, y = _windows()
    cfg = TrainConfig(epochs=5, learning_rate=0.03, patience=0)
    history = train(_model(), Batches(x, y, 32), cfg, val_batches=Batches(x, -y, 64))
    assert len(history.records) == 5 and not history.stopped_early


# ---------------------------------------------------------------------------------------------
# determinism


def _fit(seed: int, epochs: int = 3) -> tuple[History, dict]:
    """Dropout between two layers, so that the per-epoch RNG matters too."""
    x, y = _windows()
    model = _model(seed, num_layers=2, dropout=0.5)
    cfg = TrainConfig(epochs=epochs, learning_rate=0.01, seed=seed)
    history = train(model, Batches(x, y, 16, seed=seed), cfg)
    return history, _state(model)


def test_same_seed_same_history_and_weights():
    (h1, w1), (h2, w2) = _fit(3), _fit(3)
    assert _losses(h1) == _losses(h2)
    _assert_same_state(w1, w2)


def test_another_seed_another_run():
    (h1, w1), (h2, w2) = _fit(3), _fit(4)
    assert [r["train_loss"] for r in h1.records] != [r["train_loss"] for r in h2.records]
    assert not any(torch.equal(w1[k], w2[k]) for k in w1)


# ---------------------------------------------------------------------------------------------
# checkpoints and resume


def _resume_setup(val_sign: float = 1.0, **cfg_kwargs):
    x, y = _windows()
    batches = Batches(x, y, 16, seed=1)
    val = Batches(x[:32], val_sign * y[:32], 64, shuffle=False)
    model = _model(1, num_layers=2, dropout=0.3)  # dropout: the per-epoch RNG must resume too
    cfg = TrainConfig(**{"epochs": 6, "learning_rate": 0.01, "seed": 1, "patience": 0} | cfg_kwargs)
    return model, batches, val, cfg


# plateau: a validation loss that gets worse halves the rate, and patience 4 may stop the run
@pytest.mark.parametrize(
    "schedule, patience, val_sign", [("constant", 0, 1.0), ("plateau", 4, -1.0)]
)
def test_three_epochs_then_resume_equals_six_in_one_go(tmp_path, schedule, patience, val_sign):
    model, batches, val, cfg = _resume_setup(
        val_sign, lr_schedule=schedule, patience=patience, learning_rate=0.03
    )
    whole = train(
        copy.deepcopy(model), batches, cfg, val_batches=val, checkpoint_dir=tmp_path / "whole"
    )

    first = copy.deepcopy(model)
    cfg3 = dataclasses.replace(cfg, epochs=3)
    part = train(first, batches, cfg3, val_batches=val, checkpoint_dir=tmp_path / "split")
    assert len(part.records) == 3
    second = _model(99, num_layers=2, dropout=0.3)  # other weights: all must come from the file
    resumed = train(
        second, batches, cfg, val_batches=val, checkpoint_dir=tmp_path / "split", resume=True
    )

    if schedule == "plateau":
        assert min(r["lr"] for r in whole.records) < cfg.learning_rate  # the scale resumed too
    assert _losses(resumed) == _losses(whole)
    assert resumed.stopped_early == whole.stopped_early
    assert (resumed.best_epoch, resumed.best_val_loss) == (whole.best_epoch, whole.best_val_loss)
    for name in ("last", "best"):
        _assert_same_state(
            _checkpoint_model(tmp_path / "split" / name),
            _checkpoint_model(tmp_path / "whole" / name),
        )
    last_whole, _ = load_model(tmp_path / "whole" / "last", "checkpoint")
    last_split, _ = load_model(tmp_path / "split" / "last", "checkpoint")
    _assert_same_state(last_split, last_whole)  # the optimizer's moments too


def test_interrupted_cosine_run_resumes_exactly(tmp_path):
    """A crash after epoch 3 of 6 (cosine: the schedule depends on the total), then resume."""
    model, batches, val, cfg = _resume_setup(lr_schedule="cosine", warmup_epochs=1)
    reference = copy.deepcopy(model)
    whole = train(reference, batches, cfg, val_batches=val)

    def crash(record):
        if record["epoch"] == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(
            copy.deepcopy(model),
            batches,
            cfg,
            val_batches=val,
            checkpoint_dir=tmp_path,
            on_epoch=crash,
        )
    resumed_model = _model(99, num_layers=2, dropout=0.3)
    resumed = train(
        resumed_model, batches, cfg, val_batches=val, checkpoint_dir=tmp_path, resume=True
    )
    assert _losses(resumed) == _losses(whole)
    _assert_same_state(_state(resumed_model), _state(reference))


def test_resuming_a_run_that_stopped_early_trains_nothing_more(tmp_path):
    x, y = _windows()
    val = Batches(x, -y, 64, shuffle=False)  # its loss only gets worse: an early stop
    cfg = TrainConfig(epochs=60, learning_rate=0.03, patience=3, lr_schedule="constant")
    model = _model()
    done = train(model, Batches(x, y, 16), cfg, val_batches=val, checkpoint_dir=tmp_path)
    assert done.stopped_early
    files = {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}

    again_model = _model(99)
    again = train(
        again_model, Batches(x, y, 16), cfg, val_batches=val, checkpoint_dir=tmp_path, resume=True
    )
    assert again.stopped_early and _losses(again) == _losses(done)
    assert {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*")
            if p.is_file()} == files  # nothing rewritten
    _assert_same_state(_state(again_model), _state(model))  # the best epoch, from best/


def test_checkpoint_files_are_complete_and_atomic(tmp_path):
    x, y = _windows()
    model = _model()
    cfg = TrainConfig(epochs=4, learning_rate=0.01)
    history = train(model, Batches(x, y, 16), cfg, checkpoint_dir=tmp_path, record={"job": "test"})

    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["best", "history.jsonl", "last"]  # no .tmp
    lines = (tmp_path / "history.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in lines] == history.records
    assert [json.loads(line)["epoch"] for line in lines] == [1, 2, 3, 4]
    tensors, meta = load_model(tmp_path / "last", "checkpoint")
    assert meta["epoch"] == 3 and meta["record"] == {"job": "test"}
    assert meta["train_config"] == dataclasses.asdict(cfg)
    assert any(k.startswith("optim.") for k in tensors)
    _assert_same_state(_checkpoint_model(tmp_path / "last"), _state(model))


# ---------------------------------------------------------------------------------------------
# non-finite guard


class _NaNTargetsFrom(Batches):
    """Batches whose targets are NaN from (epoch, batch index) on: a divergence mid-run."""

    def __init__(self, x, y, batch_size, at: tuple[int, int]) -> None:
        super().__init__(x, y, batch_size, shuffle=True, seed=0)
        self.at = at

    def epoch(self, epoch):
        for i, (xb, yb) in enumerate(super().epoch(epoch)):
            yield xb, (torch.full_like(yb, math.nan) if (epoch, i) >= self.at else yb)


class _LossLog(torch.nn.Module):
    def __init__(self, inner: torch.nn.Module) -> None:
        super().__init__()
        self.inner, self.losses = inner, []

    def forward(self, x, y, state=None):
        prediction, loss, state = self.inner(x, y, state)
        self.losses.append(loss.item())
        return prediction, loss, state


class _Stop(Exception):
    pass


def _stop(record: dict) -> None:
    raise _Stop


def test_nan_loss_raises_naming_step_and_last_finite_loss(tmp_path):
    x, y = _windows()
    batches = _NaNTargetsFrom(x, y, 16, at=(1, 2))  # 4 steps per epoch: step 4 + 2
    model = _LossLog(_model())  # keeps every loss the loop computes
    cfg = TrainConfig(epochs=3, learning_rate=0.01)
    with pytest.raises(TrainingDiverged) as caught:
        train(model, batches, cfg, checkpoint_dir=tmp_path)

    last_finite = model.losses[-2]
    assert math.isnan(model.losses[-1]) and math.isfinite(last_finite)
    err = caught.value
    assert (err.step, err.epoch, err.last_finite_loss) == (6, 1, last_finite)
    message = str(err)
    assert "step 6 " in message and f"last finite loss {last_finite:.6g}" in message
    assert "Lower `learning_rate`" in message

    # the checkpoint of epoch 1 is intact and equals a clean one-epoch run
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "best",
        "history.jsonl",
        "last",
    ]
    _, meta = load_model(tmp_path / "last", "checkpoint")
    assert meta["epoch"] == 0
    assert len((tmp_path / "history.jsonl").read_text().splitlines()) == 1
    clean = _LossLog(_model())
    with pytest.raises(_Stop):  # the same run without NaNs, stopped after epoch 1
        train(clean, Batches(x, y, 16, seed=0), cfg, on_epoch=_stop)
    fresh = _LossLog(_model(5))
    fresh.load_state_dict(_checkpoint_model(tmp_path / "last"))
    _assert_same_state(_state(fresh), _state(clean))


# ---------------------------------------------------------------------------------------------
# weight decay


def test_weight_decay_adds_lambda_w_to_the_gradient():
    """One SGD step (its momentum buffer starts as the gradient): Δθ_λ - Δθ_0 = -lr·λ·θ."""
    x, y = _windows()
    batches = Batches(x, y, 64)
    before = _state(_model())
    lr, lam = 0.1, 0.3
    runs = {}
    for decay in (0.0, lam):
        model = _model()
        cfg = TrainConfig(epochs=1, optimizer="sgd", learning_rate=lr, weight_decay=decay)
        train(model, batches, cfg)
        runs[decay] = _state(model)
    for k, w in before.items():
        torch.testing.assert_close(runs[lam][k] - runs[0.0][k], -lr * lam * w, rtol=1e-4, atol=1e-6)


def test_weight_decay_shrinks_the_weights():
    x, y = _windows()
    norms = {}
    for decay in (0.0, 0.1):
        model = _model()
        train(
            model, Batches(x, y, 16), TrainConfig(epochs=5, learning_rate=0.01, weight_decay=decay)
        )
        norms[decay] = math.sqrt(sum(float((p.detach() ** 2).sum()) for p in model.parameters()))
    assert norms[0.1] < 0.95 * norms[0.0]


# ---------------------------------------------------------------------------------------------
# Batches and validation_loss


def test_every_sample_once_per_epoch_in_a_new_reproducible_order():
    m = 50
    x = np.arange(m, dtype=np.float64).reshape(m, 1, 1)
    y = -np.arange(m, dtype=np.float64).reshape(m, 1)
    batches = Batches(x, y, batch_size=16, seed=7)
    assert len(batches) == 4 and batches.num_samples == m

    def order(b: Batches, epoch: int) -> list[int]:
        rows = []
        for xb, yb in b.epoch(epoch):
            assert xb.dtype == yb.dtype == torch.float32 and len(xb) <= 16
            assert torch.equal(xb[:, 0, 0], -yb[:, 0])  # x and y rows stay paired
            rows += xb[:, 0, 0].long().tolist()
        return rows

    epochs = [order(batches, e) for e in range(3)]
    for rows in epochs:
        assert sorted(rows) == list(range(m))
    assert epochs[0] != epochs[1] != epochs[2]
    assert order(Batches(x, y, 16, seed=7), 1) == epochs[1]  # a function of (seed, epoch)
    assert order(Batches(x, y, 16, seed=8), 1) != epochs[1]
    assert order(Batches(x, y, 16, shuffle=False), 1) == list(range(m))


def test_batches_gather_only_their_rows_from_strided_views():
    """A 20,000-row series as 19,500 windows of 500: 78 MB if copied, ~0.1 MB per batch."""
    series = np.sin(0.01 * np.arange(20_000))
    x, y = make_windows(series[:, None], series, 500, 1)
    assert not x.flags.writeable and np.shares_memory(x, series)
    tracemalloc.start()
    try:
        batches = Batches(x, y, batch_size=64, seed=0)
        assert batches.x is x and batches.y is y  # kept as given, not copied
        for k, (xb, yb) in enumerate(batches.epoch(0)):
            if k == 0:
                rows = np.random.default_rng([0, 0]).permutation(len(x))[:64]
                np.testing.assert_array_equal(xb.numpy(), x[rows].astype(np.float32))
                np.testing.assert_array_equal(yb.numpy(), y[rows].astype(np.float32))
            if k == 20:
                break
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2_000_000, f"peak {peak} bytes: more than a few batches were materialised"


def test_validation_loss_is_the_per_sample_mean_and_restores_the_mode():
    x, y = _windows()
    model = _model(num_layers=2, dropout=0.5)
    model.train()
    mean_loss = validation_loss(model, Batches(x, y, batch_size=24))  # 24 + 24 + 16: uneven batches
    assert model.training
    model.eval()
    with torch.no_grad():
        _, whole, _ = model(
            torch.from_numpy(x.astype(np.float32)), torch.from_numpy(y.astype(np.float32))
        )
    assert mean_loss == pytest.approx(whole.item(), rel=1e-6)


def test_every_train_config_field_is_read_by_the_loop():
    """No silent drift: each field reaches the loop (batch_size and epoch_batches shape the
    batches it is given; tests/test_window_models.py checks those)."""
    source = inspect.getsource(train_module)
    for f in dataclasses.fields(TrainConfig):
        if f.name not in ("batch_size", "epoch_batches"):
            assert f"cfg.{f.name}" in source, f"TrainConfig.{f.name} is never read by train.py"


def test_training_leaves_the_callers_random_state_alone():
    x, y = _windows()
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    train(_model(num_layers=2, dropout=0.5), Batches(x, y, 16), TrainConfig(epochs=2))
    assert torch.equal(torch.random.get_rng_state(), before)


def test_checkpoints_of_rnnkit_0_1_are_refused_not_ignored(tmp_path):
    x, y = _windows()
    (tmp_path / "last.safetensors").write_bytes(b"")  # 0.1.0 wrote last.safetensors here
    with pytest.raises(InputError, match="rnnkit 0.1.0's format.*cannot resume"):
        train(_model(), Batches(x, y, 16), TrainConfig(epochs=1), checkpoint_dir=tmp_path,
              resume=True)


def test_max_batches_draws_a_fresh_subset_each_epoch():
    x, y = _windows(n_windows=64)
    capped = Batches(x, y, batch_size=8, seed=1, max_batches=3)
    assert len(capped) == 3
    firsts = [torch.cat([xb for xb, _ in capped.epoch(e)]) for e in range(2)]
    assert all(len(f) == 24 for f in firsts) and not torch.equal(firsts[0], firsts[1])
    full = Batches(x, y, batch_size=8, seed=1)
    uncapped = Batches(x, y, batch_size=8, seed=1, max_batches=100)  # more than there are
    for (a, _), (b, _) in zip(full.epoch(0), uncapped.epoch(0), strict=True):
        assert torch.equal(a, b)
    assert torch.equal(firsts[0], torch.cat([xb for xb, _ in full.epoch(0)])[:24])
