"""The jobs of ``rnnkit text train`` and ``text generate``; what ``rnnkit tune text`` varies.

``TextTrainJob`` trains a character-level language model by truncated BPTT and samples from it;
``TEXT_SPACE`` is its default search space. ``TextGenerateJob`` streams samples from a trained
model folder.
"""

from dataclasses import dataclass

from rnnkit._checks import check_in_range
from rnnkit._fields import opt
from rnnkit.cli.config.base import Job, section
from rnnkit.io.datasets import described
from rnnkit.nn.models import ModelConfig
from rnnkit.training.loop import TrainConfig
from rnnkit.training.runtime import RuntimeConfig
from rnnkit.training.search import Choice, Float, Int, Param

# What `rnnkit tune text` varies by default; `--space FILE.toml` changes it
# (rnnkit.training.search).
TEXT_SPACE = {"hidden_size": Choice(128, 256, 512), "num_layers": Int(1, 3),
              "learning_rate": Float(5e-4, 5e-3, log=True), "seq_len": Choice(64, 128, 256)}


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
