"""Job dataclasses and the one function that turns command-line flags into them.

Each CLI subcommand has one frozen dataclass whose fields are its flags: the field name with
dashes (``hidden_size`` -> ``--hidden-size``), the default, and the help text from ``opt``. A job
composes the library's configs (``ModelConfig``, ``TrainConfig``, ``ReservoirConfig``) as
sections whose fields become flags too, so a flag such as ``--hidden-size`` is the library's
field itself, checked once, by the library. The resolved job is a plain record that
reproduces the run. :mod:`rnnkit.cli.flags` turns these dataclasses into flags and back.
"""

from dataclasses import dataclass, field, fields
from typing import Any

from rnnkit._checks import InputError, check_in_range, check_non_negative_int, check_positive_int
from rnnkit._fields import opt
from rnnkit.classify.classifier import CLASS_WEIGHTS, CLASSIFY_RESERVOIR, NORMALIZATIONS
from rnnkit.classify.members import CLASSIFY_NETWORK, CLASSIFY_TRAIN
from rnnkit.forecast.hybrid.config import HybridConfig
from rnnkit.io.datasets import dataset_names, described
from rnnkit.io.gaps import GAPS
from rnnkit.nn.models import POOLINGS, ModelConfig
from rnnkit.reservoir import ReservoirConfig
from rnnkit.training.loop import TrainConfig
from rnnkit.training.runtime import RuntimeConfig
from rnnkit.training.search import Choice, Float, Int, Param


def section(default: Any, omit: tuple[str, ...] = ()) -> Any:
    """A job field holding a library config; its fields are flags, except those in ``omit``
    (the job sets them itself, or they mean nothing for it), which keep ``default``'s values.

    A name in ``omit`` that is not a field of the config is a programming error, raised when
    the job is defined (a misspelt name would otherwise leave its flag in place, silently).
    """
    unknown = set(omit) - {f.name for f in fields(default)}
    if unknown:
        raise TypeError(f"section({type(default).__name__}): omit names no field "
                        f"{sorted(unknown)}")
    return field(default_factory=lambda: default, metadata={"omit": omit})


class Job:
    """What every job dataclass answers besides its fields."""

    def inapplicable(self) -> tuple[set[str], str]:
        """The flags that do nothing for this job's settings (e.g. the trainer's with an echo
        state network), and why; none by default."""
        return set(), ""


AUTO_EPOCHS = 60  # the default budget: epochs of at most AUTO_EPOCH_BATCHES batches each
AUTO_EPOCH_BATCHES = 64


@dataclass(frozen=True)
class DataConfig:
    """Where a series comes from and how its file is read."""

    data: str = opt("aapl", f"the series: {described('series', 'panel')}, a CSV or Parquet "
                    "file (.gz too), or for esn 'mackey-glass' (generated)")
    date_column: str = opt("", "time column of the file (dates, epoch seconds or integer "
                           "steps); empty = detect it")
    target: str = opt("", "column to forecast; empty = the only numeric column (Close when "
                      "there are several and one is Close)")
    sep: str = opt("", "field separator of a CSV file; empty = detect it (, ; tab |)")
    decimal: str = opt("", "decimal mark of a CSV file; empty = detect it ('.' or ',')")
    id_column: str = opt("", "the column naming each series of a long-format file (e.g. Name); "
                         "without --series one global model learns every series")
    series: str = opt("", "with --id-column: the series to forecast, one (e.g. AAPL) or "
                      "several separated by commas (one global model)")
    test_data: str = opt("", "the M4 competition's test file beside --data, its training file")
    format: str = opt("auto", "the file's layout: auto (detect), table (a time column and value "
                      "columns, long or wide), m4 (an id, then each series' values)",
                      ("auto", "table", "m4"))
    dayfirst: bool = opt(False, "read dates such as 03.04.2022 day first (3 April); without it "
                         "the order is decided from the dates (a day above 12 settles it)")
    date_format: str = opt("", "the dates' format in strftime codes, e.g. %d/%m/%Y %H:%M; empty "
                           "= detect it")
    gaps: str = opt("interpolate", "missing times of a regular series: interpolate (levels, "
                    "linearly), zero (counts), ffill (the last value), error (refuse), or keep "
                    "(the times as they are: event times, trading sessions)",
                    GAPS)

    dates: bool = opt(True, "the file has a time column; --no-dates: it has none, its rows in "
                      "file order are the steps 0, 1, ...")

    def reading(self) -> dict:
        """How to read the data, as :func:`rnnkit.io.sources.load_series`'s keywords."""
        return {name: getattr(self, name) for name in (
            "date_column", "sep", "decimal", "id_column", "series", "test_data", "format",
            "dayfirst", "date_format", "gaps")} | {"no_dates": not self.dates}


# What `rnnkit tune` varies by default, per job; `--space FILE.toml` changes it
# (rnnkit.training.search).
NETWORK_SPACE = {"hidden_size": Int(8, 128, log=True), "num_layers": Int(1, 2),
                 "learning_rate": Float(3e-4, 1e-2, log=True), "batch_size": Choice(32, 64, 128)}
RESERVOIR_SPACE = {"units": Int(100, 1000, log=True), "spectral_radius": Float(0.5, 1.3),
                   "leak_rate": Float(0.1, 1.0), "input_scaling": Float(0.1, 2.0, log=True),
                   "ridge": Float(1e-6, 1e2, log=True)}
TEXT_SPACE = {"hidden_size": Choice(128, 256, 512), "num_layers": Int(1, 3),
              "learning_rate": Float(5e-4, 5e-3, log=True), "seq_len": Choice(64, 128, 256)}


def network_or_reservoir(model: str, network_only: set[str], readout: str
                         ) -> tuple[set[str], str]:
    """``inapplicable()`` of a job whose ``--model`` is a recurrent cell or ``esn``: with esn
    the network's and trainer's flags (but ``--seed``) and ``network_only``, else the
    reservoir's flags and ``--select``; and why (``readout`` says how the ESN is fitted)."""
    if model == "esn":
        unused = {f.name for f in fields(ModelConfig)} | {
            f.name for f in fields(TrainConfig) if f.name != "seed"} | network_only
        return unused, f"--model esn has no network to train ({readout})"
    return ({f.name for f in fields(ReservoirConfig)} | {"select"},
            f"it shapes the echo state network of --model esn, not --model {model}")


# what the hybrid has no use for: inputs besides the target, encodings, the combination's
# components, static covariates, walk-forward folds
HYBRID_UNUSED = {"covariates", "known", "future_data", "features", "target_kind", "window_norm",
                 "scaler", "loss", "series_embedding", "static", "combine",
                 "folds", "select"}


@dataclass(frozen=True)
class ForecastJob(Job):
    """Forecast a series (default: the tutorial's AAPL Close) and score it against baselines."""

    covariates: str = opt("", "comma-separated extra input columns, e.g. 'Volume,High'")
    known: str = opt("", "comma-separated columns known in advance (a promotion, a holiday "
                     "flag, a planned price): inputs, and read at the forecast steps too; their "
                     "values after the data come from --future-data")
    future_data: str = opt("", "with --known: a file of the known columns at the times after "
                           "the data (the next --horizon at least), read as --data is")
    features: str = opt("auto", "comma-separated inputs derived from the target: level (the "
                        "value itself), return, log_return, ma<n>, vol<n> (e.g. ma20), the "
                        "calendar hour, dow, month; auto = chosen from the training data")
    target_kind: str = opt("auto", "what the network predicts for step h: log_return "
                           "log(p[t+h]/p[t]), diff p[t+h]-p[t], sdiff p[t+h] minus its seasonal "
                           "naive forecast, level p[t+h] (the tutorial); auto = chosen from "
                           "the training data", ("auto", "log_return", "diff", "sdiff", "level"))
    window_norm: str = opt("auto", "take each window's last value (last) or mean (mean) off its "
                           "level and covariate inputs; auto = last when the level is an input "
                           "and the target is relative to it", ("auto", "none", "last", "mean"))
    season: int = opt(0, "seasonal period m of the seasonal-naive baseline and MASE; 0 = "
                      "inferred from the dates (hourly 24, daily 7, business-daily 5, ...)")
    model: str = opt("lstm", "recurrent cell, or esn: an echo state network (a fixed "
                     "reservoir, the --units ... --ridge flags; readout by ridge regression), "
                     "or hybrid: Holt-Winters per series and a dilated LSTM across them, "
                     "learned together (ES-RNN; the --hidden ... --history flags)",
                     ("lstm", "gru", "rnn", "esn", "hybrid"))
    select: bool = opt(True, "with --model esn: choose the ridge λ (1e-8 .. 1e2) by the "
                       "validation part's MSE; --no-select keeps --ridge")
    lookback: int = opt(0, "input window length; 0 = chosen on the validation part between "
                        "3 seasons (at least 20) and 7 (at least 60: the tutorial's 60 days)")
    horizon: int = opt(0, "steps predicted at once (H > 1: direct multi-step); 0 = the M4 "
                       "test file's width, else one season when the training data's validation "
                       "part shows one (seasonal naive beats naive a season ahead), else 1")
    scaler: str = opt("standard", "input scaling, fitted on training rows only",
                      ("standard", "minmax"))
    loss: str = opt("auto", "training loss; auto = mse or mae, chosen on the validation part",
                    ("auto", "mse", "mae", "huber"))
    test_fraction: float = opt(0.2, "last part of the rows held out for testing (tutorial: 0.2)")
    val_fraction: float = opt(0.1, "end of the training part used for validation and early "
                              "stopping (--model hybrid with many series: each one's last "
                              "horizon)")
    ensemble: int = opt(0, "models trained with consecutive seeds; the forecast is their mean;"
                        " 0 = 1 for one series, for many 3 if that lowers the validation error "
                        "(else 1)")
    series_embedding: bool = opt(False, "many series: give every window its series' one-hot "
                                 "id, so the first layer learns a vector per series")
    static: str = opt("", "many series: a CSV of static covariates, the series id in its "
                      "first column, then numeric columns")
    combine: str = opt("auto", "the forecast handed out: auto = the network, a least-squares "
                       "linear model and seasonal naive, weighted per step by their errors on "
                       "the validation part; none = the network alone", ("auto", "none"))
    intervals: str = opt("95", "levels in percent of the prediction intervals, comma-separated "
                         "(e.g. 80,95), calibrated on the validation part")
    future: int = opt(0, "steps forecast beyond the end of the data; 0 = the horizon")
    folds: int = opt(0, "walk-forward backtest over this many expanding folds; 0 = skip")
    out: str = opt("runs/forecast", "output folder")
    resume: bool = opt(False, "continue an interrupted run from OUT/checkpoints")
    progress: bool = opt(True, "show a progress bar")
    figures: bool = opt(True, "draw the figures (forecast.png, loss.png, ...); --no-figures "
                        "writes the numbers and the model only")
    source: DataConfig = section(DataConfig())
    network: ModelConfig = section(ModelConfig(hidden_size=32), omit=("cell",))
    # the default budget: AUTO_EPOCHS epochs of at most AUTO_EPOCH_BATCHES batches each (all
    # windows when fewer), early stopping on validation; --epoch-batches 0 = full passes
    train: TrainConfig = section(TrainConfig(epochs=AUTO_EPOCHS, batch_size=64,
                                             learning_rate=1e-3, patience=15,
                                             epoch_batches=AUTO_EPOCH_BATCHES),
                                 omit=("tbptt_steps",))
    reservoir: ReservoirConfig = section(ReservoirConfig(), omit=("washout",))
    hybrid: HybridConfig = section(HybridConfig())
    runtime: RuntimeConfig = section(RuntimeConfig())

    def __post_init__(self) -> None:
        check_non_negative_int("lookback", self.lookback)
        check_non_negative_int("ensemble", self.ensemble)
        check_non_negative_int("horizon", self.horizon)
        check_non_negative_int("future", self.future)
        check_non_negative_int("folds", self.folds)

    def search_space(self) -> dict[str, Param]:
        """What ``rnnkit tune forecast`` varies: the network's or the reservoir's settings."""
        return RESERVOIR_SPACE if self.model == "esn" else NETWORK_SPACE

    def inapplicable(self) -> tuple[set[str], str]:
        """The flags that do nothing for the chosen ``--model``, and why."""
        hybrid = {f.name for f in fields(HybridConfig)}
        if self.model == "hybrid":
            return ({f.name for f in fields(ModelConfig)} | {f.name for f in fields(
                ReservoirConfig)} | HYBRID_UNUSED, "--model hybrid reads the target alone, "
                    "deseasonalised by its own smoothing; its network is set by --hidden")
        unused, why = network_or_reservoir(self.model, {"epochs", "loss"},
                                           "its readout is fitted in closed form")
        return unused | hybrid, why if self.model == "esn" else (
            f"it shapes --model esn or --model hybrid, not --model {self.model}")


CHOSEN_NOISE = -1.0  # ClassifyJob.input_noise left to --choose


@dataclass(frozen=True)
class ClassifyJob(Job):
    """Classify whole sequences (default: the UCR archive's ECG200 heartbeats) and score the
    model against the majority class and 1-nearest-neighbour (Euclidean) on held-out data."""

    data: str = opt("ecg200", f"the training sequences: {described('sequences')}, a file in "
                    "the UCR archive's format (one sequence per "
                    "line, label first; tab, comma or spaces; shorter ones end in NaN) or in "
                    "long format (a header; a row per step: id, time, value column(s), label)")
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


@dataclass(frozen=True)
class PredictJob(Job):
    """Forecast the next steps after the end of a data file, or classify the sequences of one,
    with a saved model (the model folder says which)."""

    model: str = opt("runs/forecast/model", "folder written by `rnnkit forecast` or `rnnkit "
                     "classify` (its model/)")
    data: str = opt("", f"forecast: a CSV/Parquet file (or "
                    f"{' or '.join(map(repr, dataset_names('series')))}) with the model's columns; "
                    "classify: sequences in the training run's format; empty = the data the "
                    "model was trained on (a classifier: its test sequences), read as it was")
    date_column: str = opt("", "time column of the file; empty = the training run's, or detect")
    steps: int = opt(0, "steps to forecast; 0 = the model's horizon")
    future_data: str = opt("", "a model trained with --known: a file of those columns at the "
                           "times after the data")
    out: str = opt("", "write the forecast to this CSV file; empty = print it")
    runtime: RuntimeConfig = section(RuntimeConfig())

    def __post_init__(self) -> None:
        check_non_negative_int("steps", self.steps)


@dataclass(frozen=True)
class DiagnoseJob(Job):
    """Show how far back gradients reach: ‖∂L/∂h_t‖ for every step t, and the W_hh spectra."""

    model: str = opt("rnn", "recurrent cell to diagnose", ("rnn", "lstm", "gru"))
    length: int = opt(100, "time steps T; the loss is taken at the last one")
    batch_size: int = opt(16, "random N(0, 1) input sequences averaged over")
    spectral_radius: float = opt(0.0, "rescale W_hh to this spectral radius; 0 = leave it")
    seed: int = opt(0, "seeds the weights, the inputs and the readout")
    out: str = opt("runs/diagnose", "output folder")
    network: ModelConfig = section(ModelConfig(hidden_size=32),
                                   omit=("cell", "num_layers", "dropout", "bidirectional"))
    runtime: RuntimeConfig = section(RuntimeConfig())

    def __post_init__(self) -> None:
        check_positive_int("length", self.length)
        check_positive_int("batch_size", self.batch_size)


@dataclass(frozen=True)
class TaskJob(Job):
    """Train a cell on a long-memory task (adding problem, copy task) and score it."""

    task: str = opt("adding", "the task", ("adding", "copy"), positional=True)
    model: str = opt("lstm", "cell: rnn (tanh), irnn (ReLU, W_hh = I), lstm, gru",
                     ("rnn", "irnn", "lstm", "gru"))
    length: int = opt(50, "sequence length T (copy: blanks before the recall)")
    steps: int = opt(3000, "optimizer updates, each on a fresh batch")
    out: str = opt("runs/task", "output folder")
    resume: bool = opt(False, "continue an interrupted run from OUT/checkpoints")
    progress: bool = opt(True, "show a progress bar")
    network: ModelConfig = section(ModelConfig(hidden_size=64),
                                   omit=("cell", "nonlinearity", "recurrent_init"))
    train: TrainConfig = section(TrainConfig(batch_size=64, learning_rate=3e-3, grad_clip=1.0,
                                             lr_schedule="cosine", patience=0),
                                 omit=("epochs", "steps", "tbptt_steps", "epoch_batches"))
    runtime: RuntimeConfig = section(RuntimeConfig())


@dataclass(frozen=True)
class TextTrainJob(Job):
    """Train a character-level language model on a text file and sample from it."""

    corpus: str = opt("shakespeare", f"{described('corpus')} or a text file")
    model: str = opt("lstm", "recurrent cell", ("lstm", "gru", "rnn"))
    seq_len: int = opt(128, "truncated-BPTT chunk length k1, in characters")
    val_fraction: float = opt(0.1, "end of the text held out for validation")
    prompt: str = opt("", "primes samples.txt (checked against the corpus before training); "
                      "empty = the corpus's first line, at most 40 characters")
    sample_length: int = opt(500, "characters in samples.txt")
    temperature: float = opt(0.8, "sampling temperature for samples.txt")
    out: str = opt("runs/text", "output folder")
    resume: bool = opt(False, "continue an interrupted run from OUT/checkpoints")
    progress: bool = opt(True, "show a progress bar")
    network: ModelConfig = section(ModelConfig(hidden_size=256, num_layers=2),
                                   omit=("cell", "bidirectional"))
    train: TrainConfig = section(TrainConfig(epochs=1, batch_size=32, learning_rate=2e-3,
                                             patience=0), omit=("epoch_batches",))
    runtime: RuntimeConfig = section(RuntimeConfig())

    def __post_init__(self) -> None:
        check_in_range("val_fraction", self.val_fraction, 0.0, 0.5, low_open=True)

    def search_space(self) -> dict[str, Param]:
        """What ``rnnkit tune text`` varies."""
        return TEXT_SPACE


@dataclass(frozen=True)
class TextGenerateJob(Job):
    """Sample text from a trained character-level model, streaming it to the terminal."""

    model: str = opt("runs/text/model", "folder written by `rnnkit text train` (model/)")
    prompt: str = opt("", "text that primes the model (its characters must be known); empty "
                      "= the prompt of its training run")
    length: int = opt(500, "characters to generate")
    temperature: float = opt(0.8, "softmax temperature: < 1 sharper, > 1 more random")
    top_k: int = opt(0, "sample only among the k most likely characters; 0 = all")
    seed: int = opt(1, "seeds the sampling")
    runtime: RuntimeConfig = section(RuntimeConfig())


@dataclass(frozen=True)
class LayersJob(Job):
    """Check rnnkit.nn against torch.nn on this machine: agreement and speed of each path."""

    batch_size: int = opt(64, "sequences per batch")
    seq_len: int = opt(60, "time steps per sequence")
    input_size: int = opt(1, "features per time step")
    hidden_size: int = opt(100, "hidden units per layer")
    repeats: int = opt(7, "timed forward+backward passes per path; the median is reported")
    seed: int = opt(0, "seeds the weights and inputs")
    runtime: RuntimeConfig = section(RuntimeConfig())


@dataclass(frozen=True)
class EsnJob(Job):
    """Fit an echo state network to a series; score one-step and closed-loop NRMSE held out."""

    length: int = opt(2500, "Mackey-Glass values generated (after a 500-value transient)")
    test_fraction: float = opt(0.2, "last part of the series held out for scoring")
    horizons: str = opt("84,500", "comma-separated closed-loop horizons scored")
    search: int = opt(0, "random-search trials over spectral radius, leak rate, input scaling "
                      "and ridge before the fit (the last fifth of the training part "
                      "validates); 0 = off")
    select: bool = opt(True, "pick the ridge λ and the input scaling from a grid (λ 1e-8 .. "
                       "1e2, scaling 0.1 .. 2) on the last fifth of the training part, "
                       "unless --search is on; --no-select keeps --ridge and --input-scaling")
    readout: str = opt("ridge", "ridge (closed form) or rls (recursive least squares, online)",
                       ("ridge", "rls"))
    feedback_scaling: float = opt(0.0, "W_fb ~ U(-s, s) feeds the previous output back into "
                                  "the reservoir; 0 = no feedback")
    seed: int = opt(0, "seeds the reservoir (and the search)")
    out: str = opt("runs/esn", "output folder")
    progress: bool = opt(True, "show a progress bar during the search")
    source: DataConfig = section(DataConfig(data="mackey-glass"),
                                 omit=("test_data", "format", "id_column", "series"))
    reservoir: ReservoirConfig = section(ReservoirConfig())
    runtime: RuntimeConfig = section(RuntimeConfig())

    def __post_init__(self) -> None:
        check_positive_int("length", self.length)
        check_in_range("test_fraction", self.test_fraction, 0.0, 1.0, low_open=True,
                       high_open=True)
        check_non_negative_int("search", self.search)
        horizons = self.horizons.split(",")
        if not all(h.strip().isdigit() and int(h) > 0 for h in horizons):
            raise InputError(f"--horizons must be positive ints separated by commas, got "
                             f"{self.horizons!r}")


@dataclass(frozen=True)
class TuneJob(Job):
    """Search a command's hyperparameters with an Optuna study that any number of workers share.

    Every flag of the tuned command is a fixed value (e.g. --epochs 2); the search space is the
    command's own, changed with --space. Trials are scored on the validation part only (never
    the test part) and pruned from their per-epoch validation loss; run the same command again,
    here or on another machine against one --storage, and the workers share the study.
    """

    trials: int = opt(20, "trials this worker runs (Optuna's n_trials: counted per process)")
    timeout: float = opt(0.0, "seconds after which this worker starts no new trial; 0 = none")
    study_name: str = opt("", "the study's name in the storage; empty = rnnkit-COMMAND")
    storage: str = opt("", "an Optuna storage URL the workers share (sqlite:///study.db, "
                       "postgresql://...); empty = SQLite in OUT/study.db")
    space: str = opt("", "a TOML file that changes the search space: key = {low, high, log}, "
                     "key = [choices], or key = value to fix it")
    pruning: bool = opt(True, "stop a trial whose validation loss after an epoch is worse than "
                        "the median of the earlier trials' at that epoch (Optuna's MedianPruner)")
    out: str = opt("runs/tune", "output folder: best.toml, trials.csv, history.png, "
                   "importance.png (and study.db without --storage)")
    job: Any = field(default=None, metadata={"flag": False})  # the tuned job's fixed values

    def __post_init__(self) -> None:
        check_positive_int("trials", self.trials)
        check_in_range("timeout", self.timeout, 0.0, 1e9)

