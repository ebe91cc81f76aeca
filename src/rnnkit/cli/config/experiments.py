"""The jobs of the commands that study the cells rather than the user's data.

``DiagnoseJob`` (``rnnkit diagnose``) shows how far back gradients reach; ``TaskJob`` (``rnnkit
task``) trains a cell on the adding problem or the copy task; ``LayersJob`` (``rnnkit layers``)
checks rnnkit.nn against torch.nn; ``EsnJob`` (``rnnkit esn``) fits an echo state network to a
series (Mackey-Glass by default) and scores its one-step and closed-loop forecasts.
"""

from dataclasses import dataclass

from rnnkit._checks import InputError, check_in_range, check_non_negative_int, check_positive_int
from rnnkit._fields import opt
from rnnkit.cli.config.base import DataConfig, Job, section
from rnnkit.nn.models import ModelConfig
from rnnkit.reservoir import ReservoirConfig
from rnnkit.training.loop import TrainConfig
from rnnkit.training.runtime import RuntimeConfig


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
