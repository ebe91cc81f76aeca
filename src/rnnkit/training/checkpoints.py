"""What a training run carries from step to step, and its checkpoints on disk.

A checkpoint is two rnnkit model folders (:func:`rnnkit.io.files.save_model`, written atomically):
``last/`` (model and optimizer tensors, the history and the run's counters in the record) and,
when an epoch improved, ``best/`` (the model only), plus ``history.jsonl`` for people. Written
after every epoch, and when a run is stopped (SIGINT, SIGTERM) between two steps: then ``last/``
also holds where in the epoch it stopped (batches done, the epoch's running sums, torch's
random state and a stream's carried state), so that a resumed run repeats exactly.
"""

import math
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import Tensor, nn

from rnnkit import __version__
from rnnkit._checks import InputError
from rnnkit.io.files import load_model, prefixed, rebuilding, save_model, write_text_atomic


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


@dataclass
class RunState:
    """A training run's counters, best weights and, after a stop inside an epoch, its place."""

    history: History
    epoch: int = 0  # the next epoch to train
    step: int = 0  # optimizer updates done
    plateau_scale: float = 1.0
    best_state: dict | None = None
    last_finite: float | None = None
    partial: dict | None = None  # stopped inside ``epoch``: batches done, sums, rng, state


def save_checkpoints(directory: Path, model: nn.Module, optimizer: torch.optim.Optimizer,
                     train_config: dict, run: RunState, improved: bool, record: dict | None,
                     partial: dict | None = None) -> None:
    """``last/`` (model and optimizer) and, when the epoch improved, ``best/`` (model only).

    ``partial`` (a stop inside an epoch): {"batches", "sums", "rng", "state"}; its tensors (the
    random state, the carried state) go beside the weights.
    """
    history = run.history
    meta = {"epoch": run.epoch - 1, "step": run.step, "history": history.records,
            "best_epoch": history.best_epoch, "best_val_loss": history.best_val_loss,
            "plateau_scale": run.plateau_scale, "train_config": train_config,
            "record": record or {}, "steps": history.steps}
    model_tensors = {f"model.{k}": v.detach().cpu().contiguous()
                     for k, v in model.state_dict().items()}
    if improved:
        save_model(directory / "best", "checkpoint", model_tensors, meta)
    state = optimizer.state_dict()
    extra = {f"optim.{index}.{key}": value.detach().cpu().contiguous()
             for index, values in state["state"].items()
             for key, value in values.items() if isinstance(value, Tensor)}
    if partial is not None:
        extra["partial.rng"] = partial["rng"]
        carried = partial["state"]
        carried = () if carried is None else (carried,) if isinstance(carried, Tensor) else carried
        extra |= {f"partial.state.{i}": t.detach().cpu().contiguous()
                  for i, t in enumerate(carried)}
        meta["partial"] = {"batches": partial["batches"], "sums": partial["sums"],
                           "state_tensors": len(carried),
                           "state_is_tuple": isinstance(partial["state"], tuple)}
    save_model(directory / "last", "checkpoint", model_tensors | extra,
               meta | {"param_groups": state["param_groups"]})
    write_text_atomic(directory / "history.jsonl", history.to_jsonl())


def resume_run(directory: Path | None, model: nn.Module, optimizer: torch.optim.Optimizer,
               patience: int, validating: bool) -> RunState | None:
    """The run saved in ``directory/last`` loaded into model and optimizer; None if none."""
    if directory is not None and (directory / "last.safetensors").is_file():  # 0.1.0's layout
        raise InputError(f"{directory} holds checkpoints in rnnkit 0.1.0's format, which rnnkit "
                         f"{__version__} cannot resume: start the run again without resuming")
    if directory is None or not (directory / "last").is_dir():
        return None
    tensors, meta = load_model(directory / "last", "checkpoint")
    with rebuilding(directory, "resume with the flags of the run that wrote it, or start "
                               "again without resuming"):
        model.load_state_dict(prefixed(tensors, "model."))
        state: dict[int, dict] = {}
        for key, value in prefixed(tensors, "optim.").items():
            index, name = key.split(".", 1)
            state.setdefault(int(index), {})[name] = value
        optimizer.load_state_dict({"state": state, "param_groups": meta["param_groups"]})
    history = History(meta["history"], meta["best_epoch"], meta["best_val_loss"],
                      steps=meta["steps"])
    epoch = meta["epoch"] + 1
    # a run that had already stopped early is finished: resuming it trains nothing more
    history.stopped_early = bool(validating and patience
                                 and epoch - (history.best_epoch or 0) >= patience)
    best = directory / "best"
    best_state = prefixed(load_model(best, "checkpoint")[0], "model.") if best.is_dir() else None
    steps = history.steps
    last_finite = steps[-1]["loss"] if steps else None
    step = meta.get("step", history.records[-1]["step"] if history.records else 0)
    return RunState(history, epoch, step, meta["plateau_scale"], best_state, last_finite,
                    _partial(meta.get("partial"), tensors))


def _partial(saved: dict | None, tensors: dict[str, Tensor]) -> dict | None:
    """Where a stopped epoch was: its batches done, sums, random state and carried state."""
    if saved is None:
        return None
    carried = tuple(tensors[f"partial.state.{i}"] for i in range(saved["state_tensors"]))
    state = (carried if saved["state_is_tuple"] else carried[0]) if carried else None
    return {"batches": saved["batches"], "sums": saved["sums"], "rng": tensors["partial.rng"],
            "state": state}

