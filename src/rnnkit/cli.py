"""The ``rnnkit`` command: parse flags into a job, run it, print its report, set the exit code.

Only this module prints, reads ``sys.argv`` or sets the exit code. ``rnnkit --help`` and
``--version`` answer from the table below without importing torch; a command's own flags come
from its job dataclass (:mod:`rnnkit.config`), whose sections are the library's configs, and
its work from :mod:`rnnkit.jobs`. User errors (``InputError``) and a diverged training
(``TrainingDiverged``) print one line, ``rnnkit: error: ...``, and return 2.
"""

import argparse
import sys
from dataclasses import dataclass, replace
from importlib import import_module

from rnnkit import __version__
from rnnkit._checks import InputError, TrainingDiverged


@dataclass(frozen=True)
class Command:
    """One subcommand: its job dataclass in rnnkit.config, its runner in rnnkit.jobs."""

    job: str  # the class name in rnnkit.config
    runner: str  # "module:function" in rnnkit.jobs
    summary: str  # the line `rnnkit --help` shows
    streams: bool = False  # the runner takes on_text, for text printed as it is produced
    tunes: bool = False  # `rnnkit tune ...`: the job's flags are fixed values of a TuneJob


COMMANDS: dict[str, Command | dict[str, Command]] = {
    "forecast": Command("ForecastJob", "forecast:run",
                        "forecast a series and score it against naive and drift baselines"),
    "predict": Command("PredictJob", "predict:run",
                       "forecast past the end of a data file with a saved model"),
    "text": {
        "train": Command("TextTrainJob", "text:train",
                         "train a character-level language model and sample from it"),
        "generate": Command("TextGenerateJob", "text:generate",
                            "sample text from a trained character-level model", streams=True),
    },
    "diagnose": Command("DiagnoseJob", "diagnose:run",
                        "show how far back gradients reach, and the spectra of W_hh"),
    "task": Command("TaskJob", "task:run",
                    "train a cell on the adding problem or the copy task and score it"),
    "layers": Command("LayersJob", "layers:run",
                      "check rnnkit.nn against torch.nn here: agreement and speed"),
    "esn": Command("EsnJob", "esn:run",
                   "fit an echo state network; score one-step and closed-loop NRMSE"),
    "tune": {
        "forecast": Command("ForecastJob", "tune:forecast", "search the settings of `rnnkit "
                            "forecast` with an Optuna study (validation part only)", tunes=True),
        "text": Command("TextTrainJob", "tune:text", "search the settings of `rnnkit text "
                        "train` with an Optuna study (validation part only)", tunes=True),
    },
}


def overview_parser() -> argparse.ArgumentParser:
    """``rnnkit`` with its commands listed (no flags: those need the command's job)."""
    parser = argparse.ArgumentParser(
        prog="rnnkit", description="Recurrent neural networks: cells, training and jobs. "
        "`rnnkit COMMAND --help` explains every flag of a command.")
    parser.add_argument("--version", action="version", version=f"rnnkit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, entry in COMMANDS.items():
        if isinstance(entry, Command):
            sub.add_parser(name, help=entry.summary)
            continue
        group = sub.add_parser(name, help=f"{name} commands: {', '.join(entry)}",
                               description=f"rnnkit {name} SUBCOMMAND")
        inner = group.add_subparsers(dest="subcommand", metavar="SUBCOMMAND", required=True)
        for inner_name, command in entry.items():
            inner.add_parser(inner_name, help=command.summary)
    return parser


def _command_at(argv: list[str]) -> tuple[list[str], Command] | None:
    """The command words at the start of ``argv`` and their Command, if they name one."""
    entry = COMMANDS.get(argv[0]) if argv else None
    if isinstance(entry, dict):
        inner = entry.get(argv[1]) if len(argv) > 1 else None
        return None if inner is None else (argv[:2], inner)
    return None if entry is None else (argv[:1], entry)


def command_parser(words: list[str], job_cls: type, tunes: bool = False
                   ) -> argparse.ArgumentParser:
    """The parser of one command, with a flag for every field of its job (and of the study's,
    for ``rnnkit tune``: its --out is the study's)."""
    from rnnkit.config import TuneJob, add_job_arguments

    parser = argparse.ArgumentParser(prog=f"rnnkit {' '.join(words)}",
                                     description=(TuneJob if tunes else job_cls).__doc__)
    add_job_arguments(parser, job_cls, omit=("out", "resume") if tunes else ())
    if tunes:
        add_job_arguments(parser.add_argument_group("the study"), TuneJob, config=False)
    return parser


def _echo(text: str) -> None:
    print(text, end="", flush=True)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    found = _command_at(argv)
    if found is None:  # no command named: help, version, or argparse's error (exit 2)
        overview_parser().parse_args(argv)
        return 2
    from rnnkit import config  # the job dataclasses: the library's configs, so torch loads

    words, command = found
    job_cls = getattr(config, command.job)
    args = command_parser(words, job_cls, command.tunes).parse_args(argv[len(words):])
    module, function = command.runner.split(":")
    run = getattr(import_module(f"rnnkit.jobs.{module}"), function)
    from rnnkit.runtime import shutdown

    try:
        job = config.job_from_args(job_cls, args)
        if command.tunes:
            job = replace(config.job_from_args(config.TuneJob, args, config=False), job=job)
        result = run(job, on_text=_echo) if command.streams else run(job)
    except (InputError, TrainingDiverged) as err:
        print(f"rnnkit: error: {err}", file=sys.stderr)
        return 2
    finally:
        shutdown()
    if result.lines:  # other torchrun ranks have nothing to say
        print(result.report())
    return 0
