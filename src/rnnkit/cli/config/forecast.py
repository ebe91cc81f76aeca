"""The jobs of ``rnnkit forecast`` and ``rnnkit predict``; what ``tune forecast`` varies.

``ForecastJob`` forecasts a series with a recurrent network, an echo state network or the ES-RNN
hybrid; its ``inapplicable()`` names the flags the chosen ``--model`` ignores (``HYBRID_UNUSED``
for the hybrid). ``NETWORK_SPACE`` and ``RESERVOIR_SPACE`` are its default search spaces.
``PredictJob`` applies a saved model folder, a forecaster's or a classifier's, to new data.
"""

from dataclasses import dataclass, fields

from rnnkit._checks import check_non_negative_int
from rnnkit._fields import opt
from rnnkit.cli.config.base import (
    AUTO_EPOCH_BATCHES,
    AUTO_EPOCHS,
    DataConfig,
    Job,
    network_or_reservoir,
    section,
)
from rnnkit.forecast.hybrid.config import HybridConfig
from rnnkit.io.datasets import dataset_names
from rnnkit.nn.models import ModelConfig
from rnnkit.reservoir import ReservoirConfig
from rnnkit.training.loop import TrainConfig
from rnnkit.training.runtime import RuntimeConfig
from rnnkit.training.search import Choice, Float, Int, Param

# What `rnnkit tune forecast` varies by default, per --model; `--space FILE.toml` changes it
# (rnnkit.training.search).
NETWORK_SPACE = {"hidden_size": Int(8, 128, log=True), "num_layers": Int(1, 2),
                 "learning_rate": Float(3e-4, 1e-2, log=True), "batch_size": Choice(32, 64, 128)}
RESERVOIR_SPACE = {"units": Int(100, 1000, log=True), "spectral_radius": Float(0.5, 1.3),
                   "leak_rate": Float(0.1, 1.0), "input_scaling": Float(0.1, 2.0, log=True),
                   "ridge": Float(1e-6, 1e2, log=True)}


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
