"""The job dataclasses of the CLI: one per subcommand, its fields the command's flags.

- ``base``: ``section``, ``Job``, the default epoch budget, ``DataConfig``, ``network_or_reservoir``
- ``forecast``: ``ForecastJob``, ``PredictJob``, the network and reservoir search spaces
- ``classify``: ``ClassifyJob``
- ``text``: ``TextTrainJob``, ``TextGenerateJob``, the text search space
- ``experiments``: the commands that study the cells: ``DiagnoseJob``, ``TaskJob``, ``LayersJob``,
  ``EsnJob``
- ``detect``: ``DetectJob``
- ``speech``: ``SpeechTrainJob``, ``SpeechTranscribeJob``
- ``translate``: ``TranslateTrainJob``, ``TranslateJob``
- ``tune``: ``TuneJob``

Every name is re-exported here: ``from rnnkit.cli.config import ForecastJob``.
"""

from rnnkit.cli.config.base import (
    AUTO_EPOCH_BATCHES,
    AUTO_EPOCHS,
    DataConfig,
    Job,
    network_or_reservoir,
    section,
)
from rnnkit.cli.config.classify import CHOSEN_NOISE, ClassifyJob
from rnnkit.cli.config.detect import UNSET_THRESHOLD, DetectJob
from rnnkit.cli.config.experiments import DiagnoseJob, EsnJob, LayersJob, TaskJob
from rnnkit.cli.config.forecast import (
    HYBRID_UNUSED,
    NETWORK_SPACE,
    RESERVOIR_SPACE,
    ForecastJob,
    PredictJob,
)
from rnnkit.cli.config.speech import SpeechTrainJob, SpeechTranscribeJob
from rnnkit.cli.config.text import TEXT_SPACE, TextGenerateJob, TextTrainJob
from rnnkit.cli.config.translate import TranslateJob, TranslateTrainJob
from rnnkit.cli.config.tune import TuneJob

__all__ = [
    "AUTO_EPOCHS", "AUTO_EPOCH_BATCHES", "CHOSEN_NOISE", "HYBRID_UNUSED", "NETWORK_SPACE",
    "RESERVOIR_SPACE", "TEXT_SPACE", "UNSET_THRESHOLD", "ClassifyJob", "DataConfig", "DetectJob",
    "DiagnoseJob", "EsnJob", "SpeechTrainJob", "SpeechTranscribeJob",
    "ForecastJob", "Job", "LayersJob", "PredictJob", "TaskJob", "TextGenerateJob", "TextTrainJob",
    "TranslateJob", "TranslateTrainJob", "TuneJob", "network_or_reservoir", "section",
]
