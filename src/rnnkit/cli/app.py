"""The ``rnnkit`` command: parse flags into a job, run it, print its report, set the exit code.

Only this module prints, reads ``sys.argv`` or sets the exit code. ``rnnkit --help`` and
``--version`` answer from the table below without importing torch; a command's own flags come
from its job dataclass (:mod:`rnnkit.cli.config`), whose sections are the library's configs, and
its work from :mod:`rnnkit.cli.jobs`. User errors (``InputError``) and a diverged training
(``TrainingDiverged``) print one line, ``rnnkit: error: ...``, and return 2.
"""

import argparse
import signal
import sys
import threading
import warnings
from dataclasses import dataclass, replace
from importlib import import_module

from rnnkit import __version__
from rnnkit._checks import InputError, TrainingDiverged


@dataclass(frozen=True)
class Command:
    """One subcommand: its job dataclass in rnnkit.cli.config, its runner in rnnkit.cli.jobs."""

    job: str  # the class name in rnnkit.cli.config
    runner: str  # "module:function" in rnnkit.cli.jobs
    summary: str  # the line `rnnkit --help` shows
    streams: bool = False  # the runner takes on_text, for text printed as it is produced
    tunes: bool = False  # `rnnkit tune ...`: the job's flags are fixed values of a TuneJob


COMMANDS: dict[str, Command | dict[str, Command]] = {
    "forecast": Command("ForecastJob", "forecast:run",
                        "forecast a series and score it against naive and drift baselines"),
    "classify": Command("ClassifyJob", "classify:run", "classify whole sequences (heartbeats) "
                        "and score them against majority and 1-NN baselines"),
    "predict": Command("PredictJob", "predict:run",
                       "forecast past the end of a data file, or classify sequences, with a "
                       "saved model"),
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


class Parser(argparse.ArgumentParser):
    """argparse whose errors are one line, with a "did you mean" for a misspelt flag or value."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message}{_did_you_mean(self, message)}; "
                     f"`{self.prog} --help` lists them all\n")


def _did_you_mean(parser: argparse.ArgumentParser, message: str) -> str:
    """"; did you mean X?" for the closest known flag, command or allowed value, if any."""
    import difflib
    import re

    unknown = re.search(r"unrecognized arguments: (\S+)", message)
    if unknown:
        word = unknown.group(1).split("=")[0]
        known = [o for action in parser._actions for o in action.option_strings]
    else:
        choice = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
        if choice is None:
            return ""
        word, known = choice.group(1), [c.strip(" '") for c in choice.group(2).split(",")]
    close = difflib.get_close_matches(word, known, n=1, cutoff=0.6)
    return f"; did you mean {close[0]}?" if close else ""


def overview_parser() -> argparse.ArgumentParser:
    """``rnnkit`` with its commands listed (no flags: those need the command's job)."""
    parser = Parser(
        prog="rnnkit", description="Recurrent neural networks: cells, training and jobs. "
        "`rnnkit COMMAND --help` explains every flag of a command.")
    parser.add_argument("--version", action="version", version=f"rnnkit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, entry in COMMANDS.items():
        if isinstance(entry, Command):
            sub.add_parser(name, help=entry.summary)
            continue
        group = sub.add_parser(name, help=f"{name} commands: {', '.join(entry)}",
                               description="; ".join(f"rnnkit {name} {inner}: {c.summary}"
                                                     for inner, c in entry.items()))
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
    from rnnkit.cli.config import TuneJob
    from rnnkit.cli.flags import add_job_arguments

    parser = Parser(prog=f"rnnkit {' '.join(words)}",
                    description=(TuneJob if tunes else job_cls).__doc__)
    title = " ".join(words[1:] if tunes else words)
    add_job_arguments(parser, job_cls, omit=("out", "resume") if tunes else (), title=title)
    if tunes:
        add_job_arguments(parser, TuneJob, config=False, title="the study")
    return parser


def _echo(text: str) -> None:
    print(text, end="", flush=True)


def _warn(message, category, filename, lineno, file=None, line=None) -> None:
    """A warning as one line, like the errors (no source line, no file name)."""
    print(f"rnnkit: warning: {message}", file=sys.stderr)


def _interrupt(signum: int, frame) -> None:
    """SIGTERM (a scheduler, ``kill``) stops a run the way Ctrl-C does."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    found = _command_at(argv)
    if found is None:  # no command named: help, version, or argparse's error (exit 2)
        overview_parser().parse_args(argv)
        return 2
    from rnnkit.cli import config  # the job dataclasses: the library's configs, so torch loads

    words, command = found
    job_cls = getattr(config, command.job)
    args = command_parser(words, job_cls, command.tunes).parse_args(argv[len(words):])
    module, function = command.runner.split(":")
    run = getattr(import_module(f"rnnkit.cli.jobs.{module}"), function)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)
    with warnings.catch_warnings():
        warnings.showwarning = _warn
        return _run(command, job_cls, args, run)


def _run(command: Command, job_cls: type, args: argparse.Namespace, run) -> int:
    """Build the job, run it, print its notes and report; user errors are one line."""
    from rnnkit.cli import config, flags
    from rnnkit.training.runtime import shutdown

    notes: list[str] = []
    try:
        job = flags.job_from_args(job_cls, args, notes=notes)
        for note in notes:
            print(f"rnnkit: note: {note}", file=sys.stderr)
        if command.tunes:
            job = replace(flags.job_from_args(config.TuneJob, args, config=False), job=job)
        result = run(job, on_text=_echo) if command.streams else run(job)
    except (InputError, TrainingDiverged) as err:
        print(f"rnnkit: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("rnnkit: interrupted: the run's checkpoint is saved where it stopped; run the "
              "same command with --resume to continue from it", file=sys.stderr)
        return 130
    finally:
        shutdown()
    if result.lines:  # other torchrun ranks have nothing to say
        print(result.report())
    return 0
