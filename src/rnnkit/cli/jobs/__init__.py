"""Jobs: one module per command, each turning a job dataclass into library calls and files.

A job's ``run(job)`` reads its data (through :mod:`rnnkit.io.files`), calls the library, writes its
files atomically into ``job.out`` and returns a :class:`JobResult`: the figures for code, the
lines a person reads, and the files written. ``rnnkit.cli.app`` parses flags into the job, prints
the result's report and sets the exit code; nothing here prints (progress bars go to stderr).
"""

import sys
from dataclasses import dataclass, field
from pathlib import Path

from rnnkit._checks import InputError
from rnnkit.nn.models import ModelConfig
from rnnkit.training.runtime import Runtime, RuntimeConfig, recurrent_work, start


@dataclass
class JobResult:
    """What a job did: its metrics (as written to metrics.json), its summary, its files."""

    metrics: dict
    lines: list[str]
    out: Path | None = None
    written: list[str] = field(default_factory=list)

    def report(self) -> str:
        """The summary lines, then ``wrote OUT/a, b, ...`` when files were written."""
        lines = list(self.lines)
        if self.out is not None and self.written:
            lines.append(f"wrote {self.out}/{', '.join(self.written)}")
        return "\n".join(lines)


class EpochBar:
    """A tqdm bar over epochs on stderr: loss, validation loss and samples/s (or tokens/s)."""

    def __init__(self, total: int, enabled: bool, tokens_per_sample: int = 0) -> None:
        from tqdm import tqdm

        enabled = enabled and sys.stderr.isatty()  # no carriage returns in a log file
        self.bar = tqdm(total=total, unit="epoch", disable=not enabled, file=sys.stderr,
                        dynamic_ncols=True)
        self.tokens_per_sample = tokens_per_sample

    def update(self, record: dict) -> None:
        """Advance by one epoch, showing the trainer's record for it."""
        val = record["val_loss"]
        rate = record["samples_per_s"]
        speed = ({"tokens_s": f"{rate * self.tokens_per_sample:.0f}"} if self.tokens_per_sample
                 else {"samples_s": f"{rate:.0f}"})
        self.bar.set_postfix(loss=f"{record['train_loss']:.4g}",
                             val=("-" if val is None else f"{val:.4g}"), **speed)
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


def optional_outputs(result: "JobResult", outputs: dict) -> "JobResult":
    """Write each of ``outputs`` ({file name: function that writes it}) after the essentials.

    Called once the model and the metrics are on disk: a figure or a sample that fails (a
    plotting backend, a full disk) becomes a line of the report, never a lost run.
    """
    for name, write in outputs.items():
        try:
            write()
        except Exception as err:  # noqa: BLE001  (anything: the trained model is already safe)
            result.lines.append(f"could not write {name}: {type(err).__name__}: {err}")
        else:
            result.written.append(name)
    return result


def split_names(text: str) -> tuple[str, ...]:
    """'a, b,,c' -> ('a', 'b', 'c'): a comma-separated flag as names."""
    return tuple(name.strip() for name in text.split(",") if name.strip())


def start_runtime(runtime: RuntimeConfig, network: ModelConfig | None = None,
                  batch_size: int = 1, cpu_only: str = "") -> Runtime:
    """The job's threads, device and process group (:func:`rnnkit.training.runtime.start`).

    The default thread count follows the work of one step of ``network`` over ``batch_size``
    sequences (none given: one thread). ``cpu_only`` names what cannot leave the CPU (e.g.
    "the echo state network, which computes with NumPy and SciPy"): another device is refused.
    """
    if cpu_only and runtime.device not in ("auto", "cpu"):
        raise InputError(f"--device {runtime.device}: {cpu_only} runs on the CPU only; use "
                         "--device cpu")
    work = 0.0 if network is None else recurrent_work(
        network.cell, network.hidden_size, batch_size, network.num_layers,
        bidirectional=network.bidirectional)
    if cpu_only:
        runtime = RuntimeConfig(runtime.threads, "cpu")
    return start(runtime, work)
