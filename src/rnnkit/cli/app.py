"""The ``rnnkit`` command: parse flags into a job, run it, print its report, set the exit code.

Only this package prints, reads ``sys.argv`` or sets the exit code. ``rnnkit --help`` and
``--version`` answer from :data:`SUMMARIES` without importing torch; a command's flags come from
its job dataclass (:mod:`rnnkit.cli.config`) and its work from the table of
:mod:`rnnkit.cli.commands`. User errors (``InputError``) and a diverged training
(``TrainingDiverged``) print one line, ``rnnkit: error: ...``, and return 2; the parameters
a library message names are printed as the command's flags.
"""

import argparse
import functools
import os
import re
import signal
import sys
import threading
import warnings
from dataclasses import replace

from rnnkit import __version__
from rnnkit._checks import InputError, TrainingDiverged

# The line `rnnkit --help` shows for each command (rnnkit.cli.commands holds what runs it).
SUMMARIES: dict[tuple[str, ...], str] = {
    ("forecast",): "forecast a series and score it against naive and drift baselines",
    ("classify",): "classify whole sequences (heartbeats) and score them against majority and "
                   "1-NN baselines",
    ("predict",): "forecast past the end of a data file, or classify sequences, with a saved "
                  "model",
    ("text", "train"): "train a character-level language model and sample from it",
    ("text", "generate"): "sample text from a trained character-level model",
    ("diagnose",): "show how far back gradients reach, and the spectra of W_hh",
    ("task",): "train a cell on the adding problem or the copy task and score it",
    ("layers",): "check rnnkit.nn against torch.nn here: agreement and speed",
    ("esn",): "fit an echo state network; score one-step and closed-loop NRMSE",
    ("detect",): "score streams for anomalies online; NAB's score report with its windows",
    ("speech", "train"): "train a recogniser of spoken digits (bidirectional RNN, CTC) and "
                         "score it on isolated and connected test recordings",
    ("speech", "transcribe"): "transcribe recordings with a trained recogniser",
    ("translate", "train"): "train an encoder-decoder with attention on sentence pairs and "
                            "score it (BLEU, chrF) beside copying and a word-by-word dictionary",
    ("translate",): "translate sentences with a trained translator",
    ("tune", "forecast"): "search the settings of `rnnkit forecast` with an Optuna study "
                          "(validation part only)",
    ("tune", "text"): "search the settings of `rnnkit text train` with an Optuna study "
                      "(validation part only)",
}
INTERRUPTED = ("rnnkit: interrupted: the run's checkpoint is saved where it stopped; run the "
               "same command with --resume to continue from it")
EXIT_USER_ERROR, EXIT_INTERRUPTED, EXIT_BROKEN_PIPE = 2, 130, 141  # 128 + SIGINT / SIGPIPE


class Parser(argparse.ArgumentParser):
    """argparse whose errors are one line, with a "did you mean" for a misspelt flag or value."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message}{_did_you_mean(self, message)}; "
                     f"`{self.prog} --help` lists them all\n")


def _did_you_mean(parser: argparse.ArgumentParser, message: str) -> str:
    """"; did you mean X?" for the closest known flag, command or allowed value, if any."""
    import difflib

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
    groups: dict[str, argparse._SubParsersAction] = {}
    for words, summary in SUMMARIES.items():
        if len(words) == 1:
            if not any(len(w) == 2 and w[0] == words[0] for w in SUMMARIES):
                sub.add_parser(words[0], help=summary)  # else its group's parser tells it
            continue
        group, inner = words
        if group not in groups:
            inner_words = [w[1] for w in SUMMARIES if w[0] == group and len(w) == 2]
            own = [f"rnnkit {group}: {SUMMARIES[(group,)]}"] if (group,) in SUMMARIES else []
            parser_of_group = sub.add_parser(
                group, help=f"{SUMMARIES[(group,)]}; or {group} {', '.join(inner_words)}"
                if own else f"{group} commands: {', '.join(inner_words)}",
                description="; ".join(own + [f"rnnkit {group} {w}: {SUMMARIES[(group, w)]}"
                                             for w in inner_words]))
            groups[group] = parser_of_group.add_subparsers(
                dest="subcommand", metavar="SUBCOMMAND", required=not own)
        groups[group].add_parser(inner, help=summary)
    return parser


def command_words(argv: list[str]) -> tuple[str, ...] | None:
    """The words at the start of ``argv`` that name a command, if they do (the longest:
    ``translate train`` before ``translate``)."""
    for words in sorted(SUMMARIES, key=len, reverse=True):
        if tuple(argv[:len(words)]) == words:
            return words
    return None


def command_parser(words: tuple[str, ...], job_cls: type, tunes: bool = False
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


def as_flags(message: str, parameters: set[str]) -> str:
    """``message`` with the parameters it names written as flags: a leading ``name`` (the
    argument checks start with it) or a backticked ```name``` that is one of ``parameters``
    becomes ``--name-with-dashes``; ```no_name``` of a switch ``name``, ``--no-name``."""
    def flag(match: re.Match) -> str:
        name = match.group(2)
        if name.startswith("no_") and name[3:] in parameters:  # a switch turned off: --no-x
            return "--" + name.replace("_", "-")
        return "--" + name.replace("_", "-") if name in parameters else match.group(0)

    message = re.sub(r"(`)([a-z][a-z0-9_]*)`", flag, message)
    return re.sub(r"^()([a-z][a-z0-9_]*)(?= must )", flag, message)


def _echo(text: str) -> None:
    print(text, end="", flush=True)


def _warn(message, category, filename, lineno, file=None, line=None,
          parameters: frozenset[str] = frozenset()) -> None:
    """A warning as one line, like the errors (no source line, no file name), the parameters
    it names printed as the command's flags."""
    print(f"rnnkit: warning: {as_flags(str(message), parameters)}", file=sys.stderr)


def _interrupt(signum: int, frame) -> None:
    """SIGTERM (a scheduler, ``kill``) stops a run the way Ctrl-C does."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    words = command_words(argv)
    if words is None:  # no command named: help, version, or argparse's error (exit 2)
        overview_parser().parse_args(argv)
        return EXIT_USER_ERROR
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _warn
            return _run(words, argv[len(words):])
    except KeyboardInterrupt:  # while torch loads, or inside the run
        print(INTERRUPTED, file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `rnnkit predict ... | head` closed our stdout: end quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the interpreter's final flush cannot fail
        return EXIT_BROKEN_PIPE


def _run(words: tuple[str, ...], flags_given: list[str]) -> int:
    """Build the job, run it, print its notes and report; user errors are one line."""
    from rnnkit.cli import config, flags
    from rnnkit.cli.commands import COMMANDS  # the jobs: the library's configs, so torch loads
    from rnnkit.training.runtime import shutdown

    command = COMMANDS[words]
    args = command_parser(words, command.job, command.tunes).parse_args(flags_given)
    parameters = {f.name for f, _ in flags.flat_fields(command.job)} | {"config"}
    if command.tunes:
        parameters |= {f.name for f, _ in flags.flat_fields(config.TuneJob)}
    warnings.showwarning = functools.partial(_warn, parameters=frozenset(parameters))
    notes: list[str] = []
    try:
        job = flags.job_from_args(command.job, args, notes=notes)
        for note in notes:
            print(f"rnnkit: note: {note}", file=sys.stderr)
        if command.tunes:
            job = replace(flags.job_from_args(config.TuneJob, args, config=False), job=job)
        result = command.run(job, on_text=_echo) if command.streams else command.run(job)
    except (InputError, TrainingDiverged) as err:
        print(f"rnnkit: error: {as_flags(str(err), parameters)}", file=sys.stderr)
        return EXIT_USER_ERROR
    finally:
        shutdown()
    if result.lines:  # other torchrun ranks have nothing to say
        print(result.report(), flush=True)
    return 0
