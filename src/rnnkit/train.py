"""The one training loop every rnnkit job uses: mini-batched BPTT with the usual safeguards.

Per optimizer step, in nanoGPT's order: set the learning rate -> forward -> loss -> backward ->
clip (by value, then by global norm: g <- τ·g/‖g‖ if ‖g‖ > τ, the norm before clipping is kept)
-> step -> zero the gradients. Per epoch: the validation loss, early stopping on it, one history
record, and checkpoints of the last and the best epoch (safetensors + JSON, written atomically)
from which ``train(..., resume=True)`` carries on exactly.

Nothing here prints or reads globals beyond torch's RNG, which is re-seeded at each epoch from
(seed, epoch) so that dropout and batch order are reproducible across a resume. Callbacks receive
each epoch's record (a progress bar, a log line); ``is_main_process=False`` (other DDP ranks)
trains the same way but writes nothing.
"""

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

from rnnkit._checks import InputError, TrainingDiverged
from rnnkit.config import TrainConfig
from rnnkit.io import load_safetensors, save_safetensors_atomic, write_text_atomic


class Batches:
    """Mini-batches of windows (x (M, T, F), y (M, H)), reshuffled each epoch from the seed.

    The arrays may be read-only strided views (rnnkit.data.make_windows): only the rows of one
    batch are gathered (copied) at a time, so memory stays O(rows of the series).
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, batch_size: int, shuffle: bool = True,
                 seed: int = 0) -> None:
        self.x, self.y = x, y
        self.batch_size, self.shuffle, self.seed = batch_size, shuffle, seed

    def __len__(self) -> int:
        return math.ceil(len(self.x) / self.batch_size)

    @property
    def num_samples(self) -> int:
        return len(self.x)

    def epoch(self, epoch: int) -> Iterator[tuple[Tensor, Tensor]]:
        order = np.arange(len(self.x))
        if self.shuffle:
            order = np.random.default_rng([self.seed, epoch]).permutation(len(self.x))
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            yield (torch.from_numpy(self.x[rows].astype(np.float32)),
                   torch.from_numpy(self.y[rows].astype(np.float32)))


class StreamBatches:
    """A long series cut into B parallel streams, served as consecutive chunks (stateful).

    Row b of every batch continues row b of the previous one: stream b is rows
    [b·S, (b+1)·S) of the series, S = N // B, and chunk j holds its steps [j·k1, (j+1)·k1).
    So a model may carry its state from chunk to chunk (truncated BPTT): ``train`` does that
    for batches with ``stateful = True``. Shapes: x (N, F), y (N, ...) -> chunks (B, k1, ...).
    """

    stateful = True

    def __init__(self, x: np.ndarray, y: np.ndarray, batch_size: int, seq_len: int) -> None:
        streams = len(x) // batch_size
        if streams < 1:
            raise InputError(f"batch_size={batch_size} is larger than the series ({len(x)} rows)")
        usable = streams * batch_size  # the ragged tail rows are dropped
        self.x = np.asarray(x)[:usable].reshape(batch_size, streams, *np.shape(x)[1:])
        self.y = np.asarray(y)[:usable].reshape(batch_size, streams, *np.shape(y)[1:])
        self.seq_len = seq_len

    def __len__(self) -> int:
        return math.ceil(self.x.shape[1] / self.seq_len)

    @property
    def num_samples(self) -> int:
        return self.x.shape[0]

    def epoch(self, epoch: int) -> Iterator[tuple[Tensor, Tensor]]:
        for start in range(0, self.x.shape[1], self.seq_len):
            chunk = slice(start, start + self.seq_len)
            yield torch.from_numpy(self.x[:, chunk]), torch.from_numpy(self.y[:, chunk])


def detach_state(state):
    """Cut the graph behind a recurrent state (a tensor or a tuple of them); values stay."""
    if state is None:
        return None
    return state.detach() if isinstance(state, Tensor) else tuple(s.detach() for s in state)


def tbptt_loss(model: nn.Module, x: Tensor, y: Tensor, state, k2: int):
    """The loss of one streamed chunk, the state carried in and detached every ``k2`` steps.

    ``model(x, y, state)`` must return (prediction, loss, new_state). With k2 = 0 the whole
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


@dataclass
class History:
    """One record per finished epoch (train_loss, val_loss, lr, grad_norm, ...), and the outcome."""

    records: list[dict] = field(default_factory=list)
    best_epoch: int | None = None
    best_val_loss: float = math.inf
    stopped_early: bool = False
    steps: list[dict] = field(default_factory=list)  # per step: loss, pre-clip grad_norm, lr

    def to_jsonl(self) -> str:
        import json

        return "".join(json.dumps(r) + "\n" for r in self.records)


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
def evaluate(model: nn.Module, batches: Batches) -> float:
    """Mean loss per sample over all batches, in eval mode (dropout off); the mode is restored."""
    was_training = model.training
    model.eval()
    total, count, state = 0.0, 0, None
    for x, y in batches.epoch(0):
        if getattr(batches, "stateful", False):
            _, loss, state = model(x, y, state)
        else:
            _, loss = model(x, y)
        total += loss.item() * len(x)
        count += len(x)
    model.train(was_training)
    return total / max(count, 1)


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
    is_main_process: bool = True,
    record: dict | None = None,
) -> History:
    """Train ``model`` (forward(x, y) -> (prediction, loss)) and return its History.

    With ``val_batches`` the best epoch's weights are restored at the end and ``cfg.patience``
    stops training early. With ``checkpoint_dir``: ``last.safetensors`` and ``best.safetensors``
    (model and optimizer tensors; config, epoch and history as JSON metadata) and
    ``history.jsonl`` are rewritten atomically after every epoch; ``resume=True`` continues from
    ``last.safetensors`` when it exists. ``record`` (e.g. the job) is stored in the checkpoints.

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
    stateful = getattr(batches, "stateful", False)
    steps_per_epoch = len(batches)
    total_steps = cfg.epochs * steps_per_epoch
    if cfg.steps:
        total_steps = min(total_steps, cfg.steps)
    warmup_steps = cfg.warmup_epochs * steps_per_epoch
    history, start_epoch, plateau_scale, best_state = History(), 0, 1.0, None
    directory = Path(checkpoint_dir) if checkpoint_dir is not None else None
    if resume and directory is not None and (directory / "last.safetensors").exists():
        meta = _load_checkpoint(directory / "last.safetensors", model, optimizer)
        history = History(meta["history"], meta["best_epoch"], meta["best_val_loss"],
                          steps=meta.get("steps", []))
        start_epoch, plateau_scale = meta["epoch"] + 1, meta["plateau_scale"]
        if (directory / "best.safetensors").exists():
            best_state = load_safetensors(directory / "best.safetensors")[0]
            best_state = {k[len("model."):]: v for k, v in best_state.items()
                          if k.startswith("model.")}
        # a run that had already stopped early is finished: resuming it trains nothing more
        history.stopped_early = bool(cfg.patience and val_batches is not None and
                                     start_epoch - (history.best_epoch or 0) >= cfg.patience)
    last_finite = history.records[-1]["train_loss"] if history.records else None
    step = start_epoch * steps_per_epoch
    params = [p for p in model.parameters() if p.requires_grad]
    max_norm = cfg.grad_clip if cfg.grad_clip > 0 else math.inf
    for epoch in range(start_epoch, start_epoch if history.stopped_early else cfg.epochs):
        torch.manual_seed(cfg.seed * 100_003 + epoch)  # dropout masks, reproducible per epoch
        model.train()
        started = time.perf_counter()
        loss_sum, norm_sum, norm_max, seen, state = 0.0, 0.0, 0.0, 0, None
        for x, y in batches.epoch(epoch):
            if cfg.steps and step >= cfg.steps:
                break
            lr = lr_at(step, total_steps, warmup_steps, cfg) * plateau_scale
            for group in optimizer.param_groups:
                group["lr"] = lr
            if stateful:
                loss, state = tbptt_loss(model, x, y, state, cfg.tbptt_steps)
            else:
                _, loss = model(x, y)
            loss_value = loss.item()
            if not math.isfinite(loss_value):
                raise TrainingDiverged(step, epoch, "the loss", last_finite)
            loss.backward()
            if cfg.clip_value > 0:
                nn.utils.clip_grad_value_(params, cfg.clip_value)
            norm = float(nn.utils.clip_grad_norm_(params, max_norm))  # the norm before clipping
            if not math.isfinite(norm):
                raise TrainingDiverged(step, epoch, "the gradient norm", loss_value)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            if cfg.spectral_max > 0:
                clamp_recurrent_spectrum_(model, cfg.spectral_max)
            last_finite = loss_value
            history.steps.append({"step": step + 1, "loss": loss_value, "grad_norm": norm,
                                  "lr": lr})
            if on_step is not None:
                on_step(step + 1, history.steps[-1])
            loss_sum += loss_value * len(x)
            norm_sum += norm
            norm_max = max(norm_max, norm)
            seen += len(x)
            step += 1
        seconds = time.perf_counter() - started
        val_loss = evaluate(model, val_batches) if val_batches is not None else None
        entry = {
            "epoch": epoch + 1, "step": step, "train_loss": loss_sum / max(seen, 1),
            "val_loss": val_loss, "lr": lr, "grad_norm": norm_sum / max(steps_per_epoch, 1),
            "grad_norm_max": norm_max, "seconds": seconds, "samples_per_s": seen / seconds,
        }
        history.records.append(entry)
        monitored = val_loss if val_loss is not None else entry["train_loss"]
        improved = monitored < history.best_val_loss
        if improved:
            history.best_epoch, history.best_val_loss = epoch + 1, monitored
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        since_best = epoch + 1 - (history.best_epoch or 0)
        # "plateau": halve the rate after every `wait` epochs without a better loss
        wait = max(1, cfg.patience // 4) if cfg.patience else 5
        if cfg.lr_schedule == "plateau" and not improved and since_best % wait == 0:
            plateau_scale *= 0.5
        if directory is not None and is_main_process:
            meta = {"epoch": epoch, "history": history.records, "best_epoch": history.best_epoch,
                    "best_val_loss": history.best_val_loss, "plateau_scale": plateau_scale,
                    "train_config": asdict(cfg), "record": record or {},
                    "steps": history.steps}
            if improved:
                _save_checkpoint(directory / "best.safetensors", model, None, meta)
            _save_checkpoint(directory / "last.safetensors", model, optimizer, meta)
            write_text_atomic(directory / "history.jsonl", history.to_jsonl())
        if on_epoch is not None:
            on_epoch(entry)
        if cfg.patience and val_batches is not None and since_best >= cfg.patience:
            history.stopped_early = True
            break
        if cfg.steps and step >= cfg.steps:
            break
    if best_state is not None and val_batches is not None:
        model.load_state_dict(best_state)
    return history


def _recurrent_weights(model: nn.Module) -> Iterator[tuple[nn.Module, str, int]]:
    """(module, parameter name, hidden size) for every recurrent matrix W_hh in ``model``."""
    for module in model.modules():
        hidden = getattr(module, "hidden_size", None)
        for name, _ in module.named_parameters(recurse=False):
            if hidden is not None and name.startswith("weight_hh"):
                yield module, name, hidden


@torch.no_grad()
def clamp_recurrent_spectrum_(model: nn.Module, gamma: float) -> None:
    """W ← U min(Σ, γ) Vᵀ for every gate block of every W_hh: all singular values ≤ γ.

    With every singular value of W_hh at most γ ≤ 1, repeated multiplication by W_hh can no
    longer amplify a gradient (the tutorial's "spectral constraints" against explosion).
    """
    for module, name, hidden in _recurrent_weights(model):
        for block in getattr(module, name).split(hidden, dim=0):  # (H, H) per gate
            u, sigma, vh = torch.linalg.svd(block, full_matrices=False)
            block.copy_((u * sigma.clamp(max=gamma)) @ vh)


def apply_spectral_norm_(model: nn.Module) -> None:
    """Reparametrise every W_hh as W / σ_max(W) (torch's spectral_norm, power iteration)."""
    from torch.nn.utils.parametrizations import spectral_norm

    for module, name, _ in list(_recurrent_weights(model)):
        spectral_norm(module, name=name)


def _save_checkpoint(path: Path, model: nn.Module, optimizer, meta: dict) -> None:
    tensors = {f"model.{k}": v.detach().contiguous() for k, v in model.state_dict().items()}
    if optimizer is not None:
        state = optimizer.state_dict()
        for index, values in state["state"].items():
            for key, value in values.items():
                if isinstance(value, Tensor):
                    tensors[f"optim.{index}.{key}"] = value.detach().contiguous()
        meta = meta | {"param_groups": state["param_groups"]}
    save_safetensors_atomic(path, tensors, meta)


def _load_checkpoint(path: Path, model: nn.Module, optimizer) -> dict:
    tensors, meta = load_safetensors(path)
    model.load_state_dict({k[len("model."):]: v for k, v in tensors.items()
                           if k.startswith("model.")})
    state: dict[int, dict] = {}
    for key, value in tensors.items():
        if key.startswith("optim."):
            _, index, name = key.split(".", 2)
            state.setdefault(int(index), {})[name] = value
    optimizer.load_state_dict({"state": state, "param_groups": meta["param_groups"]})
    return meta
