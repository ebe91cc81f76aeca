"""The one training loop every rnnkit job uses: mini-batched BPTT with the usual safeguards.

Per optimizer step, in nanoGPT's order: set the learning rate -> forward -> loss -> backward ->
clip (by value, then by global norm: g <- τ·g/‖g‖ if ‖g‖ > τ, the norm before clipping is kept)
-> step -> zero the gradients. Per epoch: the validation loss, early stopping on it, one history
record, and checkpoints of the last and the best epoch (:mod:`rnnkit.training.checkpoints`, written
atomically) from which ``train(..., resume=True)`` carries on exactly. SIGINT or SIGTERM stops
the run after the step in progress, with a checkpoint of where it stopped inside the epoch,
then raises KeyboardInterrupt; resuming from it repeats the uninterrupted run too.

Every model follows one protocol: ``model(x, targets, state) -> (prediction, loss, state)``.
Windows (:class:`Batches`) start each batch from the zero state; streams
(:class:`StreamBatches`) carry it from chunk to chunk (truncated BPTT).

Nothing here prints or touches the caller's random state: the loop runs inside
``torch.random.fork_rng`` and seeds torch's generator (dropout) from (seed, epoch), and batch
order comes from NumPy generators seeded the same way, so a resumed run repeats exactly.
Callbacks receive each step's and epoch's record (a progress bar, a log line).

Device and processes: batches go to the device of the model's parameters. Inside a torchrun
process group (:func:`rnnkit.training.runtime.start`) the model is wrapped in PyTorch's
DistributedDataParallel: every rank takes rows rank, rank + W, ... of each global batch, DDP
averages the gradients, and the step equals one process's step on the whole batch (equal
shares). Losses and validation are reduced over the ranks, so every rank sees the same
figures and stops at the same epoch; only rank 0 writes checkpoints. A checkpoint holds no
trace of the world size: a run resumes with any number of processes.
"""

import math
import signal
import threading
import time
import warnings
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import Tensor, nn

from rnnkit._checks import (
    TrainingDiverged,
    check_choice,
    check_in_range,
    check_non_negative_int,
    check_positive_int,
)
from rnnkit._fields import opt
from rnnkit.nn.constraints import apply_spectral_norm_, clamp_recurrent_spectrum_
from rnnkit.training.batches import Batches
from rnnkit.training.checkpoints import History, RunState, resume_run, save_checkpoints
from rnnkit.training.runtime import device_of, rank_and_world

OPTIMIZERS = ("adam", "adamw", "sgd")
THROUGH_TIME = "through time"  # the --help heading of clipping, TBPTT and spectral flags
LR_SCHEDULES = ("constant", "cosine", "plateau")


@dataclass(frozen=True)
class TrainConfig:
    """How a model is trained by :func:`train`: every field is read there (a test checks it)."""

    epochs: int = opt(100, "passes over the training windows (an upper bound with --patience)")
    batch_size: int = opt(64, "windows per optimizer step (mini-batched BPTT)")
    learning_rate: float = opt(3e-3, "peak learning rate")
    optimizer: str = opt("adam", "torch optimizer", OPTIMIZERS)
    weight_decay: float = opt(0.0, "L2 penalty λ: adds λ·w to every weight's gradient "
                              "(with adamw: decoupled decay of the weights instead)")
    grad_clip: float = opt(1.0, "max global gradient norm τ: g <- τ·g/‖g‖ if ‖g‖ > τ; 0 = off",
                           group=THROUGH_TIME)
    clip_value: float = opt(0.0, "clamp every gradient element to [-v, v] first; 0 = off",
                            group=THROUGH_TIME)
    lr_schedule: str = opt("cosine", "learning-rate schedule over the epochs", LR_SCHEDULES)
    warmup_epochs: int = opt(0, "epochs of linear warm-up from 0 to the peak rate")
    patience: int = opt(20, "stop after this many epochs without a better validation loss; "
                            "0 = never stop early")
    steps: int = opt(0, "optimizer updates to run, however many epochs that takes (--epochs "
                         "is then ignored); 0 = run --epochs epochs")
    epoch_batches: int = opt(0, "batches drawn per epoch, a fresh random subset of the windows "
                             "each epoch; 0 = every window once")
    tbptt_steps: int = opt(0, "truncated BPTT on streamed chunks: detach the carried state "
                           "every k2 steps; 0 = once per chunk (k2 = k1)", group=THROUGH_TIME)
    spectral_max: float = opt(0.0, "after each step clamp the singular values of every W_hh "
                              "gate block to at most γ; 0 = off", group=THROUGH_TIME)
    spectral_norm: bool = opt(False, "reparametrise every W_hh by torch's spectral_norm "
                              "(W / σ_max(W))", group=THROUGH_TIME)
    amp: bool = opt(False, "mixed precision: forward passes under bfloat16 autocast (CUDA; "
                    "on the CPU where torch supports it); the weights stay float32")
    seed: int = opt(0, "seeds initialisation, batch order and dropout")

    def __post_init__(self) -> None:
        check_positive_int("epochs", self.epochs)
        check_positive_int("batch_size", self.batch_size)
        check_in_range("learning_rate", self.learning_rate, 0.0, 10.0, low_open=True)
        check_choice("optimizer", self.optimizer, OPTIMIZERS)
        check_in_range("weight_decay", self.weight_decay, 0.0, 1.0)
        check_in_range("grad_clip", self.grad_clip, 0.0, 1e12)
        check_in_range("clip_value", self.clip_value, 0.0, 1e12)
        check_choice("lr_schedule", self.lr_schedule, LR_SCHEDULES)
        check_non_negative_int("warmup_epochs", self.warmup_epochs)
        check_non_negative_int("patience", self.patience)
        check_non_negative_int("tbptt_steps", self.tbptt_steps)
        check_non_negative_int("steps", self.steps)
        check_non_negative_int("epoch_batches", self.epoch_batches)
        check_in_range("spectral_max", self.spectral_max, 0.0, 1e12)
        check_non_negative_int("seed", self.seed)


def detach_state(state):
    """Cut the graph behind a recurrent state (a tensor or a tuple of them); values stay."""
    if state is None:
        return None
    return state.detach() if isinstance(state, Tensor) else tuple(s.detach() for s in state)


def tbptt_loss(model: nn.Module, x: Tensor, y: Tensor, state, k2: int):
    """The loss of one streamed chunk, the state carried in and detached every ``k2`` steps.

    ``model(x, y, state)`` returns (prediction, loss, new_state). With k2 = 0 the whole
    chunk is one segment: gradients flow back through the chunk and stop at its start.
    Returns (mean loss over the chunk's steps, detached final state).
    """
    steps = x.shape[1]
    k2 = k2 or steps
    total = x.new_zeros(())
    for start in range(0, steps, k2):
        part = slice(start, start + k2)
        _, loss, state = model(x[:, part], y[:, part], state)
        total = total + loss * (min(k2, steps - start) / steps)
        state = detach_state(state)
    return total, state


def lr_at(step: int, total_steps: int, warmup_steps: int, cfg: TrainConfig) -> float:
    """The learning rate at optimizer step ``step`` (nanoGPT's get_lr with explicit inputs).

    Linear warm-up to the peak over ``warmup_steps``; then constant ("constant", "plateau" before
    any reduction) or a cosine decay to a tenth of the peak at ``total_steps`` ("cosine").

    >>> cfg = TrainConfig(learning_rate=1.0, lr_schedule="cosine")
    >>> lr_at(0, 100, 0, cfg), round(lr_at(50, 100, 0, cfg), 3), round(lr_at(100, 100, 0, cfg), 3)
    (1.0, 0.55, 0.1)
    """
    peak = cfg.learning_rate
    if step < warmup_steps:
        return peak * (step + 1) / (warmup_steps + 1)
    if cfg.lr_schedule != "cosine":
        return peak
    progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
    return peak * (0.1 + 0.9 * 0.5 * (1.0 + math.cos(math.pi * progress)))


def make_optimizer(model: nn.Module, cfg: TrainConfig) -> torch.optim.Optimizer:
    """Adam, AdamW or SGD (momentum 0.9) with L2 weight decay λ."""
    params = [p for p in model.parameters() if p.requires_grad]
    kinds = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW}
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(params, lr=cfg.learning_rate, momentum=0.9,
                               weight_decay=cfg.weight_decay)
    return kinds[cfg.optimizer](params, lr=cfg.learning_rate, weight_decay=cfg.weight_decay)


@torch.no_grad()
def validation_loss(model: nn.Module, batches: Batches) -> float:
    """Mean loss per sample over all batches, in eval mode (dropout off); the mode is restored.

    Under torchrun each rank scores its share of every batch and the sums are reduced, so all
    ranks return the same figure.
    """
    rank, world = rank_and_world()
    device = device_of(model)
    was_training = model.training
    model.eval()
    stateful = getattr(batches, "stateful", False)
    total, count, state = 0.0, 0, None
    for x, y in batches.epoch(0):
        x, y = _share(x, rank, world).to(device), _share(y, rank, world).to(device)
        if len(x):
            _, loss, state = model(x, y, state if stateful else None)
            total += loss.item() * len(x)
            count += len(x)
    model.train(was_training)
    total, count = _sum_over_ranks([total, count], device, world)
    return total / max(count, 1)


def _share(batch: Tensor, rank: int, world: int) -> Tensor:
    """Rows rank, rank + W, ... of a batch: this rank's share (all of it for W = 1)."""
    return batch if world == 1 else batch[rank::world]


def _sum_over_ranks(values: list[float], device: torch.device, world: int) -> list[float]:
    """``values`` summed over the ranks of the process group (as they are for W = 1)."""
    if world == 1:
        return values
    import torch.distributed as dist

    summed = torch.tensor(values, dtype=torch.float64, device=device)
    dist.all_reduce(summed)
    return summed.tolist()


class _StreamChunk(nn.Module):
    """One streamed chunk's truncated BPTT as a single forward (DDP wants one per step)."""

    def __init__(self, model: nn.Module, k2: int) -> None:
        super().__init__()
        self.model, self.k2 = model, k2

    def forward(self, x: Tensor, y: Tensor, state):
        loss, state = tbptt_loss(self.model, x, y, state, self.k2)
        return None, loss, state


def _stepper(model: nn.Module, stateful: bool, cfg: TrainConfig, world: int) -> nn.Module:
    """What one training step calls: the model or a streamed chunk, in DDP under torchrun."""
    step = _StreamChunk(model, cfg.tbptt_steps) if stateful else model
    if world == 1:
        return step
    from torch.nn.parallel import DistributedDataParallel

    device = device_of(model)
    return DistributedDataParallel(step, device_ids=[device] if device.type == "cuda" else None)


def _autocast(device: torch.device, enabled: bool):
    """bfloat16 autocast on ``device`` when mixed precision is asked for."""
    return torch.autocast(device.type, dtype=torch.bfloat16) if enabled else nullcontext()


def _mixed_precision(device: torch.device, asked: bool) -> bool:
    """Whether to autocast: as asked, but not on a CPU whose oneDNN has no bfloat16 kernels
    (torch's fused LSTM fails there), which trains in float32 with a warning."""
    if asked and device.type == "cpu" and not torch.ops.mkldnn._is_mkldnn_bf16_supported():
        warnings.warn("`amp`: this CPU has no bfloat16 support in torch (oneDNN); training "
                      "in float32", stacklevel=3)
        return False
    return asked


def train(
    model: nn.Module,
    batches: Batches,
    cfg: TrainConfig,
    *,
    val_batches: Batches | None = None,
    checkpoint_dir: str | Path | None = None,
    resume: bool = False,
    on_epoch: Callable[[dict], None] | None = None,
    on_step: Callable[[int, dict], None] | None = None,
    record: dict | None = None,
    val_scores: Callable[[nn.Module], dict] | None = None,
) -> History:
    """Train ``model`` (``model(x, y, state) -> (prediction, loss, state)``); return its History.

    With ``val_batches`` the best epoch's weights are restored at the end and ``cfg.patience``
    stops training early. With ``checkpoint_dir``: the model folders ``last/`` and ``best/``
    (model and optimizer tensors; config, epoch and history in the record) and
    ``history.jsonl`` are rewritten atomically after every epoch; ``resume=True`` continues from
    ``last/`` when it exists. ``record`` (e.g. the job) is stored in the checkpoints.
    ``val_scores(model)`` adds figures of its own to each epoch's record (e.g. a validation
    BLEU) before the record is checkpointed; ``on_epoch`` sees the record after.

    Streamed batches (``stateful = True``, e.g. StreamBatches) train by truncated BPTT: the
    model's state is carried from chunk to chunk within an epoch and detached every
    ``cfg.tbptt_steps`` steps (see ``tbptt_loss``). ``on_step(step, record)`` sees every
    optimizer step (loss, pre-clip gradient norm, learning rate), also kept in
    ``History.steps``. ``cfg.spectral_norm`` reparametrises the model's recurrent weights in
    place; ``cfg.spectral_max`` clamps their singular values after every step.

    Raises TrainingDiverged when a loss or gradient norm is NaN or infinite.
    """
    if cfg.spectral_norm:
        apply_spectral_norm_(model)
    optimizer = make_optimizer(model, cfg)
    params = [p for p in model.parameters() if p.requires_grad]
    directory = None if checkpoint_dir is None else Path(checkpoint_dir)
    run = resume_run(directory, model, optimizer, cfg.patience,
                     val_batches is not None) if resume else None
    run = run or RunState(History())
    # --steps counts optimizer updates whatever --epochs says; else --epochs full passes
    total_steps = cfg.steps or cfg.epochs * len(batches)
    epochs = math.ceil(cfg.steps / max(1, len(batches))) if cfg.steps else cfg.epochs
    stateful = getattr(batches, "stateful", False)
    rank, world = rank_and_world()
    device = device_of(model)
    stepper = _stepper(model, stateful, cfg, world)
    amp = _mixed_precision(device, cfg.amp)
    cuda = [device.index or 0] if device.type == "cuda" else []
    save = (lambda improved, partial=None: save_checkpoints(
        directory, model, optimizer, asdict(cfg), run, improved, record, partial)
        ) if directory is not None and rank == 0 else (lambda improved, partial=None: None)
    # dropout draws from torch's RNG: the caller's is left alone; stops wait for a step's end
    with torch.random.fork_rng(devices=cuda), _stops_between_steps() as stop:
        while run.epoch < epochs and run.step < total_steps and not run.history.stopped_early:
            # dropout: the same after a resume; each rank its own masks
            torch.manual_seed(cfg.seed * 100_003 + run.epoch + 1_000_003 * rank)
            model.train()
            partial, run.partial = run.partial or {}, None  # a resume inside this epoch
            if partial:
                torch.set_rng_state(partial["rng"])
            sums, state = _EpochSums(**partial.get("sums", {})), partial.get("state")
            state = detach_state(None if state is None else _to(state, device))
            started = time.perf_counter()
            for batch, (x, y) in enumerate(batches.epoch(run.epoch)):
                if run.step >= total_steps:
                    break
                if batch < partial.get("batches", 0) or len(x) < world:
                    continue  # done before the stop; or too few rows for every rank
                lr = _set_lr(optimizer, lr_at(run.step, total_steps, cfg.warmup_epochs
                                              * len(batches), cfg) * run.plateau_scale)
                rows = len(x)
                x, y = _share(x, rank, world).to(device), _share(y, rank, world).to(device)
                with _autocast(device, amp):
                    _, loss, state = stepper(x, y, state if stateful else None)
                norm = _optimizer_step(model, params, optimizer, loss, cfg, run, world)
                run.history.steps.append({"step": run.step, "loss": run.last_finite,
                                          "grad_norm": norm, "lr": lr})
                sums.add(run.last_finite, norm, rows)
                if on_step is not None:
                    on_step(run.step, run.history.steps[-1])
                if stop.requested:
                    save(False, {"batches": batch + 1, "sums": asdict(sums),
                                 "rng": torch.get_rng_state(),
                                 "state": state if stateful else None})
                    raise KeyboardInterrupt
            val_loss = validation_loss(model, val_batches) if val_batches is not None else None
            entry = sums.record(run, val_loss, lr, len(batches), time.perf_counter() - started)
            if val_scores is not None:
                entry |= val_scores(model)
            improved = _end_epoch(run, entry, model, cfg, val_batches is not None)
            save(improved)
            if stop.requested:
                raise KeyboardInterrupt
            if on_epoch is not None:
                on_epoch(entry)
    if run.best_state is not None and val_batches is not None:
        model.load_state_dict(run.best_state)
    return run.history


class _stops_between_steps:
    """SIGINT and SIGTERM noted while training and acted on between two optimizer steps (a
    checkpoint of where the run is, then KeyboardInterrupt), never halfway through a step."""

    def __enter__(self) -> "_stops_between_steps":
        self.requested, self.previous = False, {}
        if threading.current_thread() is threading.main_thread():
            self.previous = {sig: signal.signal(sig, self._note)
                             for sig in (signal.SIGINT, signal.SIGTERM)}
        return self

    def _note(self, signum, frame) -> None:
        if self.requested:  # a second Ctrl-C: stop now
            raise KeyboardInterrupt
        self.requested = True

    def __exit__(self, *exc) -> None:
        for sig, handler in self.previous.items():
            signal.signal(sig, handler)


def _to(state, device: torch.device):
    return state.to(device) if isinstance(state, Tensor) else tuple(s.to(device) for s in state)


def _set_lr(optimizer: torch.optim.Optimizer, lr: float) -> float:
    for group in optimizer.param_groups:
        group["lr"] = lr
    return lr


def _optimizer_step(model: nn.Module, params: list[Tensor], optimizer: torch.optim.Optimizer,
                    loss: Tensor, cfg: TrainConfig, run: RunState, world: int = 1) -> float:
    """Backward, clip, step and zero the gradients; returns the norm before clipping.

    The loss recorded is the mean over the ranks (every rank raises alike). Raises
    TrainingDiverged, before the weights change, when the loss or the norm is not finite.
    """
    loss_value = _sum_over_ranks([loss.item()], loss.device, world)[0] / world
    if not math.isfinite(loss_value):
        raise TrainingDiverged(run.step, run.epoch, "the loss", run.last_finite)
    loss.backward()
    if cfg.clip_value > 0:
        nn.utils.clip_grad_value_(params, cfg.clip_value)
    max_norm = cfg.grad_clip if cfg.grad_clip > 0 else math.inf
    norm = float(nn.utils.clip_grad_norm_(params, max_norm))  # the norm before clipping
    if not math.isfinite(norm):
        raise TrainingDiverged(run.step, run.epoch, "the gradient norm", loss_value)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    if cfg.spectral_max > 0:
        clamp_recurrent_spectrum_(model, cfg.spectral_max)
    run.last_finite = loss_value
    run.step += 1
    return norm


@dataclass
class _EpochSums:
    """Running sums over one epoch's steps, for its history record."""

    loss: float = 0.0
    norm: float = 0.0
    norm_max: float = 0.0
    samples: int = 0

    def add(self, loss: float, norm: float, samples: int) -> None:
        self.loss += loss * samples
        self.norm += norm
        self.norm_max = max(self.norm_max, norm)
        self.samples += samples

    def record(self, run: RunState, val_loss: float | None, lr: float, steps_per_epoch: int,
               seconds: float) -> dict:
        return {"epoch": run.epoch + 1, "step": run.step,
                "train_loss": self.loss / max(self.samples, 1), "val_loss": val_loss, "lr": lr,
                "grad_norm": self.norm / max(steps_per_epoch, 1), "grad_norm_max": self.norm_max,
                "seconds": seconds, "samples_per_s": self.samples / seconds}


def _end_epoch(run: RunState, entry: dict, model: nn.Module, cfg: TrainConfig,
               validating: bool) -> bool:
    """Record the epoch; keep the best weights; plateau halving; early stopping. Improved?"""
    history = run.history
    history.records.append(entry)
    monitored = entry["val_loss"] if validating else entry["train_loss"]
    improved = monitored < history.best_val_loss
    if improved:
        history.best_epoch, history.best_val_loss = entry["epoch"], monitored
        run.best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    since_best = entry["epoch"] - (history.best_epoch or 0)
    # "plateau": halve the rate after every `wait` epochs without a better loss
    wait = max(1, cfg.patience // 4) if cfg.patience else 5
    if cfg.lr_schedule == "plateau" and not improved and since_best % wait == 0:
        run.plateau_scale *= 0.5
    history.stopped_early = bool(validating and cfg.patience and since_best >= cfg.patience)
    run.epoch += 1
    return improved
