"""The ``rnnkit`` command: one subcommand per job, flags made from the job dataclasses.

Only this module prints, reads ``sys.argv`` or sets the exit code. It imports no torch at module
level, so ``rnnkit --help`` answers at once; each command imports what it needs when it runs.
User errors (``InputError``) print one line, ``rnnkit: error: ...``, and return 2.
"""

import argparse
import sys
from collections.abc import Callable

from rnnkit import __version__
from rnnkit._checks import InputError
from rnnkit.config import LayersJob, add_job_arguments, job_from_args


def run_layers(job: LayersJob) -> int:
    import torch

    from rnnkit.verify import compare_layers

    torch.set_num_threads(min(2, torch.get_num_threads()))
    shape = (f"batch {job.batch_size}, seq {job.seq_len}, input {job.input_size}, "
             f"hidden {job.hidden_size}, {torch.get_num_threads()} threads, "
             f"median of {job.repeats}")
    print(f"rnnkit.nn vs torch.nn, forward+backward, float32 ({shape})")
    print(f"{'layer':<6} {'path':<20} {'rel. diff':>11} {'seq/s':>9} {'torch seq/s':>12} "
          f"{'ratio':>6}")
    rows = compare_layers(job.batch_size, job.seq_len, job.input_size, job.hidden_size,
                          job.repeats, job.seed)
    for r in rows:
        print(f"{r['layer']:<6} {r['path']:<20} {r['max_rel_diff']:>11.2e} {r['seq_per_s']:>9.0f} "
              f"{r['torch_seq_per_s']:>12.0f} {r['ratio']:>6.2f}")
    return 0


COMMANDS: dict[str, tuple[type, Callable[..., int]]] = {
    "layers": (LayersJob, run_layers),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rnnkit", description="Recurrent neural networks: cells, training and jobs.")
    parser.add_argument("--version", action="version", version=f"rnnkit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (job_cls, _) in COMMANDS.items():
        summary = job_cls.__doc__.strip().splitlines()[0]
        add_job_arguments(sub.add_parser(name, help=summary, description=summary), job_cls)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    job_cls, run = COMMANDS[args.command]
    try:
        return run(job_from_args(job_cls, args))
    except InputError as err:
        print(f"rnnkit: error: {err}", file=sys.stderr)
        return 2
