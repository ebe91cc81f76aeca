"""Where a run computes: its CPU threads, its device, and its place in a torchrun job.

Thread policy. Every process that uses torch's default of one thread per core oversubscribes
the cores as soon as a second one runs beside it (two runs on two cores: ten times slower
each). A run cannot see the others, so its default is chosen from what it can know:

    threads = clamp(⌊work / WORK_PER_THREAD⌋, 1, ⌊cores / local processes⌋)

where ``work`` is the multiply-adds of one time step of the model over one batch (its
recurrent matrices, :func:`recurrent_work`; the largest batch the job computes, which a
forecast learns from its data: :func:`widen_threads`), ``cores`` those this process may run
on (its CPU affinity and cgroup quota) and "local processes" the processes torchrun starts on
this machine (``LOCAL_WORLD_SIZE``). A model too small to gain from a second thread gets
one, so two such runs side by side cost what one does; it never depends on the current load.
``--threads N`` overrides it. The same number limits NumPy's and SciPy's BLAS threads.

Under ``torchrun`` (``WORLD_SIZE`` > 1) :func:`start` joins the process group: gloo on the
CPU, NCCL on CUDA, one GPU per local rank. Only rank 0 writes files and prints.
"""

import os
from dataclasses import dataclass, replace
from pathlib import Path

from rnnkit._checks import InputError, check_choice, check_non_negative_int
from rnnkit._fields import opt

DEVICES = ("auto", "cpu", "cuda", "mps")
GATES = {"rnn": 1, "irnn": 1, "gru": 3, "lstm": 4}
# Multiply-adds per time step that make a second thread pay: an LSTM step over a batch of 64
# gains nothing from two threads at hidden size 32 (0.3e6) and 1.5x at 128 (4.3e6); README.
WORK_PER_THREAD = 2e6


@dataclass(frozen=True)
class RuntimeConfig:
    """Where a command computes: threads and device (the ``--threads`` and ``--device`` flags)."""

    threads: int = opt(0, "CPU threads of torch and BLAS; 0 = chosen from the cores this "
                       "process may use, divided among torchrun's local processes, and 1 for a "
                       "model too small to gain from more (README: Threads)")
    device: str = opt("auto", "where the model computes: auto (cuda when present, else mps, "
                      "else cpu), cpu, cuda or mps", DEVICES)

    def __post_init__(self) -> None:
        check_non_negative_int("threads", self.threads)
        check_choice("device", self.device, DEVICES)


@dataclass(frozen=True)
class Runtime:
    """What :func:`start` set up: the device, the threads, and this process's rank."""

    device: str
    threads: int
    rank: int = 0
    world_size: int = 1
    backend: str = ""  # the process group's ("gloo", "nccl"); "" without one

    @property
    def is_main(self) -> bool:
        """Rank 0: the process that logs, shows progress and writes files."""
        return self.rank == 0

    def record(self) -> dict:
        return {"device": self.device, "threads": self.threads, "world_size": self.world_size,
                "backend": self.backend or None}


def available_cores() -> int:
    """The cores this process may run on: its CPU affinity, capped by a cgroup v2 CPU quota."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()
        if quota != "max":
            cores = min(cores, max(1, int(int(quota) / int(period))))
    except (OSError, ValueError):
        pass
    return cores


def local_processes() -> int:
    """How many processes torchrun runs on this machine (1 without torchrun)."""
    return max(1, int(os.environ.get("LOCAL_WORLD_SIZE", "1")))


def recurrent_work(cell: str, hidden_size: int, batch_size: int, num_layers: int = 1,
                   input_size: int = 1, bidirectional: bool = False) -> float:
    """Multiply-adds of one time step over one batch: B · gates · H · (H + inputs), per layer.

    >>> recurrent_work("lstm", 32, 64)
    270336.0
    """
    gates = GATES.get(cell, 4)
    directions = 2 if bidirectional else 1
    total, inputs = 0.0, input_size
    for _ in range(num_layers):
        total += directions * batch_size * gates * hidden_size * (hidden_size + inputs)
        inputs = directions * hidden_size
    return total


def default_threads(work: float, cores: int | None = None, processes: int | None = None) -> int:
    """The thread policy above: 1 for small work, never more than this process's share.

    >>> default_threads(3e5, cores=2), default_threads(2e7, cores=2), default_threads(2e7, 16, 4)
    (1, 2, 4)
    """
    share = max(1, (cores or available_cores()) // (processes or local_processes()))
    return max(1, min(share, int(work // WORK_PER_THREAD)))


def widen_threads(runtime: Runtime, config: RuntimeConfig, work: float) -> Runtime:
    """``runtime`` with the threads the policy gives ``work`` when that is more than it has.

    For a job that learns the size of its largest batch only from its data (e.g. a validation
    pass over thousands of windows at once, where a second thread pays although a training
    step does not): ``work`` is that batch's multiply-adds per time step. ``--threads`` (in
    ``config``) wins; threads are never taken away.
    """
    threads = default_threads(work)
    if config.threads or threads <= runtime.threads:
        return runtime
    set_threads(threads)
    return replace(runtime, threads=threads)


def resolve_device(name: str) -> str:
    """"auto" as the best device here; "cuda" or "mps" checked to exist (InputError if not)."""
    import torch

    check_choice("device", name, DEVICES)
    has = {"cuda": torch.cuda.is_available(), "mps": torch.backends.mps.is_available(),
           "cpu": True}
    if name == "auto":
        return next(kind for kind in ("cuda", "mps", "cpu") if has[kind])
    if not has[name]:
        raise InputError(f"`device` {name}: this machine has no {name.upper()} device that "
                         f"torch {torch.__version__} can use; use 'cpu' or 'auto'")
    return name


def set_threads(threads: int) -> None:
    """Limit torch's intra-op threads and NumPy's and SciPy's BLAS pools to ``threads``."""
    import scipy.linalg  # noqa: F401  (loads SciPy's BLAS, so that the limit reaches it)
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(threads)
    threadpool_limits(threads)


def start(config: RuntimeConfig, work: float = 0.0) -> Runtime:
    """Set the threads, pick the device and, under torchrun, join the process group.

    ``work``: the model's multiply-adds per time step (:func:`recurrent_work`); 0 for work too
    small to spread. Call it before any tensor work; :func:`shutdown` leaves the group.
    """
    threads = config.threads or default_threads(work)
    set_threads(threads)
    device = resolve_device(config.device)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world == 1:
        return Runtime(device, threads)
    import torch
    import torch.distributed as dist

    if device == "cuda":
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        torch.cuda.set_device(local_rank)
        device = f"cuda:{local_rank}"
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.startswith("cuda") else "gloo")
    return Runtime(device, threads, dist.get_rank(), dist.get_world_size(), dist.get_backend())


def device_of(module):
    """The device of a module's first parameter (the CPU for a module without parameters)."""
    import torch

    first = next(module.parameters(), None)
    return torch.device("cpu") if first is None else first.device


def rank_and_world() -> tuple[int, int]:
    """(rank, world size) of the process group this process is in; (0, 1) outside one."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def shutdown() -> None:
    """Leave the process group, if this process joined one (no torch import otherwise)."""
    import sys

    dist = sys.modules.get("torch.distributed")
    if dist is not None and dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
