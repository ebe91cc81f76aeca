"""The job of ``rnnkit classify``: whole sequences, each given one label.

``ClassifyJob`` reads UCR-format or long-format files, trains a recurrent network or an echo
state network's ridge classifier, and scores it against the majority class and 1-nearest-
neighbour; ``CHOSEN_NOISE`` marks an ``--input-noise`` left to ``--choose``.
"""

from dataclasses import dataclass

from rnnkit._checks import check_in_range, check_non_negative_int, check_positive_int
from rnnkit._fields import opt
from rnnkit.classify.classifier import CLASS_WEIGHTS, CLASSIFY_RESERVOIR, NORMALIZATIONS
from rnnkit.classify.members import CLASSIFY_NETWORK, CLASSIFY_TRAIN
from rnnkit.cli.config.base import Job, network_or_reservoir, section
from rnnkit.io.datasets import described
from rnnkit.nn.models import POOLINGS, ModelConfig
from rnnkit.reservoir import ReservoirConfig
from rnnkit.training.loop import TrainConfig
from rnnkit.training.runtime import RuntimeConfig

CHOSEN_NOISE = -1.0  # ClassifyJob.input_noise left to --choose


@dataclass(frozen=True)
class ClassifyJob(Job):
    """Classify whole sequences (default: the UCR archive's ECG200 heartbeats) and score the
    model against the majority class and 1-nearest-neighbour (Euclidean) on held-out data."""

    data: str = opt("ecg200", f"the training sequences: {described('sequences')}, a file in "
                    "the UCR archive's format (one sequence per "
                    "line, label first; tab, comma or spaces; shorter ones end in NaN) or in "
                    "long format (a header; a row per step: id, time, value column(s), label); "
                    f"or recordings: {described('recordings')} or a folder of WAV/FLAC/OGG "
                    "files labelled by name ({label}_{speaker}_{index}.wav, index 0-4 the test "
                    "part) or by a transcripts.csv, each read as 40 log-mel bands every 10 ms")
    test_data: str = opt("", "the test sequences, in the same format; empty = ecg200's own test "
                         "file, or for a file a stratified --test-fraction of it")
    test_fraction: float = opt(0.25, "without --test-data: share of each class held out of "
                               "--data for testing")
    format: str = opt("auto", "the files' layout: auto (detect), ucr, long",
                      ("auto", "ucr", "long"), group="data")
    sep: str = opt("", "field separator; empty = detect it (tab, comma, spaces)", group="data")
    id_column: str = opt("", "long format: the column naming each sequence; empty = a column "
                         "named id, series, sample or case, else the first", group="data")
    time_column: str = opt("", "long format: the step or time column that orders each "
                           "sequence; empty = one named time, t, step, timestamp or date, else "
                           "file order", group="data")
    label_column: str = opt("", "long format: the class column; empty = one named label, "
                            "class, target or y", group="data")
    columns: str = opt("", "long format: comma-separated value columns (several = "
                       "multivariate); empty = every other column", group="data")
    model: str = opt("lstm", "recurrent cell, or esn: an echo state network (a fixed "
                     "reservoir, the --units ... --ridge flags; a ridge classifier on its states)",
                     ("lstm", "gru", "rnn", "esn"))
    select: bool = opt(True, "with --model esn: choose the ridge λ (1e-8 .. 1e2) by exact "
                       "leave-one-out error on the training sequences; --no-select keeps --ridge")
    pooling: str = opt("mean", "how the hidden states become one vector: last (the final "
                       "state), mean (over the sequence's steps) or attention (a learned "
                       "softmax weight per step; attention.png shows them)", POOLINGS)
    choose: str = opt("auto", "auto: choose --patch and --input-noise (those not given) by "
                      "stratified 3-fold cross-validation on the training sequences only (one "
                      "network per fold, a third of the epochs, lowest log loss); none: patch 1, "
                      "no noise", ("auto", "none"))
    patch: int = opt(0, "steps each recurrent step reads at once (p consecutive values: a p "
                     "times shorter sequence whose every input shows a piece of shape); 1 = "
                     "one step at a time; 0 = chosen by --choose among 1 and length/12")
    input_noise: float = opt(-1.0, "training only: add N(0, σ²) noise to every (scaled) input, "
                             "an augmentation for small training sets; 0 = off; -1 = chosen by "
                             "--choose among 0 and 0.3")
    normalize: str = opt("standard", "input scaling: standard (each feature's mean and std over "
                         "the training sequences only), series (each sequence by itself), none",
                         NORMALIZATIONS)
    class_weight: str = opt("balanced", "balanced: weigh class c's cross-entropy by N/(C·N_c), "
                            "so rare classes count; none", CLASS_WEIGHTS)
    val_fraction: float = opt(0.0, "share of each training class held out for early stopping "
                              "(with --patience); 0 = train on all of it for the full --epochs")
    ensemble: int = opt(5, "networks trained with consecutive seeds (each its own validation "
                        "part); the prediction is their mean probability")
    out: str = opt("runs/classify", "output folder")
    resume: bool = opt(False, "continue an interrupted run from OUT/checkpoints")
    progress: bool = opt(True, "show a progress bar")
    network: ModelConfig = section(CLASSIFY_NETWORK, omit=("cell",))
    train: TrainConfig = section(CLASSIFY_TRAIN, omit=("tbptt_steps",))
    reservoir: ReservoirConfig = section(CLASSIFY_RESERVOIR, omit=("washout",))
    runtime: RuntimeConfig = section(RuntimeConfig())

    def __post_init__(self) -> None:
        check_in_range("test_fraction", self.test_fraction, 0.0, 1.0, low_open=True,
                       high_open=True)
        check_in_range("val_fraction", self.val_fraction, 0.0, 1.0, high_open=True)
        check_positive_int("ensemble", self.ensemble)
        check_non_negative_int("patch", self.patch)
        if self.input_noise != CHOSEN_NOISE:
            check_in_range("input_noise", self.input_noise, 0.0, 1e3)

    def inapplicable(self) -> tuple[set[str], str]:
        """The flags that do nothing for the chosen ``--model``, and why."""
        return network_or_reservoir(
            self.model, {"pooling", "patch", "input_noise", "class_weight", "val_fraction",
                         "choose"},
            "its ridge classifier is fitted in closed form on all the training sequences")
