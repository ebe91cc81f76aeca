"""The command table: the words of each ``rnnkit`` command, its job dataclass and its runner.

Importing this module imports every job, hence torch; :mod:`rnnkit.cli.app` does so only once
the command line names a command (``rnnkit --help`` answers from :data:`SUMMARIES` alone, and a
test holds the two tables to the same commands).
"""

from collections.abc import Callable
from dataclasses import dataclass

from rnnkit.cli import config
from rnnkit.cli.jobs import (
    JobResult,
    classify,
    detect,
    diagnose,
    esn,
    forecast,
    layers,
    predict,
    speech,
    task,
    text,
    translate,
    tune,
)


@dataclass(frozen=True)
class Command:
    """One command: the job its flags build, and the function that runs it."""

    job: type[config.Job]
    run: Callable[..., JobResult]
    streams: bool = False  # run takes on_text, for text printed as it is produced
    tunes: bool = False  # `rnnkit tune ...`: the job's flags are fixed values of a TuneJob


COMMANDS: dict[tuple[str, ...], Command] = {
    ("forecast",): Command(config.ForecastJob, forecast.run),
    ("classify",): Command(config.ClassifyJob, classify.run),
    ("predict",): Command(config.PredictJob, predict.run),
    ("text", "train"): Command(config.TextTrainJob, text.train),
    ("text", "generate"): Command(config.TextGenerateJob, text.generate, streams=True),
    ("diagnose",): Command(config.DiagnoseJob, diagnose.run),
    ("task",): Command(config.TaskJob, task.run),
    ("layers",): Command(config.LayersJob, layers.run),
    ("esn",): Command(config.EsnJob, esn.run),
    ("detect",): Command(config.DetectJob, detect.run),
    ("speech", "train"): Command(config.SpeechTrainJob, speech.train),
    ("speech", "transcribe"): Command(config.SpeechTranscribeJob, speech.transcribe),
    ("translate", "train"): Command(config.TranslateTrainJob, translate.train),
    ("translate",): Command(config.TranslateJob, translate.translate),
    ("tune", "forecast"): Command(config.ForecastJob, tune.forecast, tunes=True),
    ("tune", "text"): Command(config.TextTrainJob, tune.text, tunes=True),
}
