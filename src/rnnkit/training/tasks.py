"""Long-memory benchmark tasks: the adding problem and the copy task, generated on the fly.

Both tasks put the information a network needs at the start (or anywhere) of a long sequence
and ask for it at the end, so they measure how far back a cell can carry a gradient:

    adding  (Hochreiter & Schmidhuber 1997, in Le et al. 2015's form) many-to-one regression:
            add the two marked values of T uniform numbers; trivial baseline MSE 1/6
    copy    (Arjovsky et al. 2016) many-to-many classification: reproduce S symbols after
            T blanks; trivial baseline cross-entropy S·log(8)/(T + 2S) per step

Batches are drawn from a ``torch.Generator`` seeded by (seed, stream, epoch), so every run is
reproducible and the held-out validation and test sets (other streams) never meet the training
data. :func:`build_model` builds a network by name ("rnn", "irnn", "lstm", "gru") and
:func:`score_task` scores it on the test set beside the trivial baseline; ``rnnkit task``
(:mod:`rnnkit.cli.jobs.task`) trains it in between.
"""

import math
from collections.abc import Callable, Iterator
from dataclasses import asdict, replace

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnkit._checks import (
    InputError,
    check_choice,
    check_non_negative_int,
    check_positive_int,
)
from rnnkit.nn.models import ModelConfig, SequenceRegressor, SequenceTagger
from rnnkit.training.runtime import device_of

TASKS = ("adding", "copy")
MODELS = ("rnn", "irnn", "lstm", "gru")
STREAMS = ("train", "val", "test")

# copy task alphabet (Arjovsky et al.'s a_0 .. a_9): blank, 8 symbols, delimiter
BLANK, DELIMITER = 0, 9
NUM_SYMBOL_KINDS = 8
COPY_CHANNELS = 10  # one-hot input: blank, a_1 .. a_8, delimiter
COPY_CLASSES = 9  # outputs: blank, a_1 .. a_8 (the delimiter is never a target)

STEPS_PER_EPOCH = 100  # at most: one history record (a point of the learning curve) per epoch
VAL_SAMPLES = 1024
TEST_SAMPLES = 4096
EVAL_BATCH_SIZE = 512  # held-out sets are drawn in batches of this size, whatever batch_size is
SOLVED_MSE = 0.01  # adding: solved when the test MSE is below this (6% of the baseline 1/6)
SOLVED_ACCURACY = 0.99  # copy: solved when this share of the recalled symbols is right
IRNN_INPUT_STD = 1e-3  # Le et al. 2015 write W_xh ~ N(0, 0.001); read here as the std


def _check_generator(generator: object) -> torch.Generator:
    if not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator, got {type(generator).__name__}")
    return generator


def _check_length(length: object, minimum: int) -> int:
    if isinstance(length, bool) or not isinstance(length, int):
        raise TypeError(f"length must be an int, got {type(length).__name__}")
    if length < minimum:
        raise InputError(f"length must be an int >= {minimum}, got {length}")
    return length


def adding_problem(
    batch_size: int, length: int, generator: torch.Generator
) -> tuple[Tensor, Tensor]:
    """Draw a batch of the adding problem (Hochreiter & Schmidhuber 1997; Le et al. 2015).

    Math:
        v_t ~ U[0, 1]  for t = 1 .. T                       (channel 0: the values)
        m_t = 1 at t = a and t = b, else 0                  (channel 1: the markers)
        a ~ U{1 .. ⌊T/2⌋},  b ~ U{⌊T/2⌋+1 .. T}             (one marker in each half)
        y = v_a + v_b = Σ_t m_t v_t                         (the target)
    Always predicting ŷ = 1 = E[y] scores E[(y - 1)^2] = Var(v_a) + Var(v_b) = 2/12 = 1/6;
    a model must beat that MSE to have learned anything; below 0.01 it is called solved.

    Parameters
    ----------
    batch_size
        Sequences B in the batch.
    length
        Sequence length T >= 2 (one marker per half).
    generator
        The only source of randomness: the same generator state gives the same batch.

    Returns
    -------
    x, y
        x (B, T, 2) float32 [values, markers]; y (B, 1) float32, the marked sums.

    Raises
    ------
    InputError
        ``batch_size`` < 1 or ``length`` < 2.

    Example
    -------
    >>> x, y = adding_problem(4, 10, torch.Generator().manual_seed(0))
    >>> tuple(x.shape), tuple(y.shape), x[..., 1].sum(dim=1).tolist()
    ((4, 10, 2), (4, 1), [2.0, 2.0, 2.0, 2.0])
    """
    check_positive_int("batch_size", batch_size)
    _check_length(length, 2)
    _check_generator(generator)
    half = length // 2
    values = torch.rand(batch_size, length, generator=generator)  # (B, T)
    first = torch.randint(0, half, (batch_size,), generator=generator)
    second = torch.randint(half, length, (batch_size,), generator=generator)
    rows = torch.arange(batch_size)
    markers = torch.zeros(batch_size, length)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    x = torch.stack([values, markers], dim=-1)  # (B, T, 2)
    y = (values * markers).sum(dim=1, keepdim=True)  # (B, 1)
    return x, y


def copy_task(
    batch_size: int, length: int, generator: torch.Generator, num_symbols: int = 10
) -> tuple[Tensor, Tensor]:
    """Draw a batch of the copy task (Arjovsky et al. 2016, section 4.1).

    Math (S = num_symbols, T = length, a_0 blank, a_1 .. a_8 symbols, a_9 delimiter):
        input   s_1 .. s_S,  a_0 × (T - 1),  a_9,  a_0 × S          (T' = T + 2S steps)
        target  a_0 × (T + S),  s_1 .. s_S                         (recall after the delimiter)
        s_i ~ U{a_1 .. a_8}
    Predicting blanks, then a uniform distribution over the 8 symbols for the last S steps,
    scores a cross-entropy of S·log(8) / (T + 2S) per step (:func:`copy_baseline_loss`).

    Parameters
    ----------
    batch_size
        Sequences B in the batch.
    length
        T >= 1, the blanks between the symbols and the recall (the delimiter is the last one).
    generator
        The only source of randomness.
    num_symbols
        S, the symbols to remember (Arjovsky et al.: 10).

    Returns
    -------
    x, y
        x (B, T', 10) float32 one-hot over (a_0 .. a_9); y (B, T') int64 class labels in
        0 .. 8, the index of a_k being k.

    Raises
    ------
    InputError
        ``batch_size`` or ``num_symbols`` < 1, or ``length`` < 1.

    Example
    -------
    >>> x, y = copy_task(2, 5, torch.Generator().manual_seed(0), num_symbols=3)
    >>> tuple(x.shape), tuple(y.shape), x[0].argmax(-1).tolist()[3:], y[0].tolist()[:8]
    ((2, 11, 10), (2, 11), [0, 0, 0, 0, 9, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0])
    """
    check_positive_int("batch_size", batch_size)
    _check_length(length, 1)
    check_positive_int("num_symbols", num_symbols)
    _check_generator(generator)
    total = length + 2 * num_symbols
    symbols = torch.randint(1, NUM_SYMBOL_KINDS + 1, (batch_size, num_symbols),
                            generator=generator)  # (B, S), a_1 .. a_8
    inputs = torch.full((batch_size, total), BLANK, dtype=torch.int64)
    inputs[:, :num_symbols] = symbols
    inputs[:, num_symbols + length - 1] = DELIMITER
    x = F.one_hot(inputs, COPY_CHANNELS).float()  # (B, T', 10)
    y = torch.full((batch_size, total), BLANK, dtype=torch.int64)
    y[:, -num_symbols:] = symbols
    return x, y


def copy_baseline_loss(length: int, num_symbols: int = 10) -> float:
    """Cross-entropy per step of the memoryless copy-task baseline: S·log(8) / (T + 2S).

    The baseline puts probability 1 on the blank for the first T + S steps (cost 0) and 1/8 on
    each symbol for the last S (cost log 8 each), averaged over all T + 2S steps.

    >>> round(copy_baseline_loss(100, 10), 4)
    0.1733
    """
    _check_length(length, 1)
    check_positive_int("num_symbols", num_symbols)
    return num_symbols * math.log(NUM_SYMBOL_KINDS) / (length + 2 * num_symbols)


GENERATORS: dict[str, Callable[..., tuple[Tensor, Tensor]]] = {
    "adding": adding_problem, "copy": copy_task,
}


def task_generator(seed: int, stream: str = "train", epoch: int = 0) -> torch.Generator:
    """A fresh ``torch.Generator`` seeded from (seed, stream, epoch) through NumPy's SeedSequence.

    The three numbers are hashed together, so nearby seeds or epochs give unrelated streams and
    the "val" and "test" streams of a seed never repeat a training batch.
    """
    check_non_negative_int("seed", seed)
    check_choice("stream", stream, STREAMS)
    check_non_negative_int("epoch", epoch)
    key = [seed, STREAMS.index(stream), epoch]
    state = np.random.SeedSequence(key).generate_state(1, dtype=np.uint64)[0]
    return torch.Generator().manual_seed(int(state))


class TaskBatches:
    """Batches of a task drawn on the fly: the Batches interface of
    :func:`rnnkit.training.loop.train`.

    ``epoch(e)`` yields ``num_batches`` fresh batches from :func:`task_generator` (seed, stream,
    e): the same (seed, e) gives the same batches, another epoch new ones, so training never
    sees a sample twice. The "val" and "test" streams ignore the epoch: they are fixed held-out
    sets, the same on every call.

    Parameters
    ----------
    task
        "adding" or "copy".
    length
        T, as the task's generator takes it.
    batch_size, num_batches
        B per batch and batches per epoch (``len(batches)``, the optimizer steps per epoch).
    seed
        Seeds every batch, with ``stream`` and the epoch.
    stream
        "train" (new batches each epoch), "val" or "test" (fixed).
    num_symbols
        S, for the copy task only.

    Example
    -------
    >>> batches = TaskBatches("adding", 20, batch_size=8, num_batches=3, seed=0)
    >>> len(batches), batches.num_samples, [tuple(x.shape) for x, _ in batches.epoch(0)][0]
    (3, 24, (8, 20, 2))
    """

    def __init__(
        self, task: str, length: int, *, batch_size: int, num_batches: int, seed: int = 0,
        stream: str = "train", num_symbols: int = 10,
    ) -> None:
        self.task = check_choice("task", task, TASKS)
        self.length = _check_length(length, 2 if task == "adding" else 1)
        self.batch_size = check_positive_int("batch_size", batch_size)
        self.num_batches = check_positive_int("num_batches", num_batches)
        self.seed = check_non_negative_int("seed", seed)
        self.stream = check_choice("stream", stream, STREAMS)
        self.num_symbols = check_positive_int("num_symbols", num_symbols)

    def __len__(self) -> int:
        return self.num_batches

    @property
    def num_samples(self) -> int:
        return self.num_batches * self.batch_size

    def epoch(self, epoch: int) -> Iterator[tuple[Tensor, Tensor]]:
        generator = task_generator(self.seed, self.stream, epoch if self.stream == "train" else 0)
        extra = {"num_symbols": self.num_symbols} if self.task == "copy" else {}
        for _ in range(self.num_batches):
            yield GENERATORS[self.task](self.batch_size, self.length, generator, **extra)


def build_model(task: str, model: str, network: ModelConfig = ModelConfig(hidden_size=64),
                num_symbols: int = 10) -> nn.Module:
    """The network for ``task`` with the cell named ``model``, drawn from torch's generator.

    Cells (``network``'s own cell is replaced by ``model``'s):
        rnn   Elman, h_t = tanh(W_hh h_{t-1} + W_xh x_t + b_h), torch's U(-1/√H, 1/√H) init
        irnn  Elman with ReLU, W_hh = I, W_xh ~ N(0, 0.001²), b_h = 0 (Le et al. 2015, whose
              "N(0, 0.001)" is read as a standard deviation of 0.001)
        lstm  forget-gate bias b_f = ``network.forget_bias`` (1: Gers et al. 2000; Jozefowicz
              et al. 2015), else torch's
        gru   torch's init
    Heads: adding -> :class:`~rnnkit.nn.models.SequenceRegressor` (y = W_hy h_T + b_y, MSE);
    copy -> :class:`~rnnkit.nn.models.SequenceTagger` (softmax over 9 classes at every step).

    Example
    -------
    >>> rnn = build_model("adding", "irnn", ModelConfig(hidden_size=4)).rnn
    >>> rnn.nonlinearity, rnn.weight_hh_l0.diagonal().tolist(), rnn.bias_hh_l0.abs().sum().item()
    ('relu', [1.0, 1.0, 1.0, 1.0], 0.0)
    """
    check_choice("task", task, TASKS)
    check_choice("model", model, MODELS)
    if model == "irnn":
        network = replace(network, cell="rnn", nonlinearity="relu", recurrent_init="identity")
    else:
        network = replace(network, cell=model)
    if task == "adding":
        net = SequenceRegressor(2, output_size=1, **asdict(network))
    else:
        net = SequenceTagger(COPY_CHANNELS, num_classes=COPY_CLASSES, **asdict(network))
    if model == "irnn":  # recurrent_init="identity" already set W_hh = I and every bias to 0
        nn.init.normal_(net.rnn.weight_ih_l0, std=IRNN_INPUT_STD)
    return net


@torch.no_grad()
def score_task(net: nn.Module, task: str, batches: TaskBatches) -> dict[str, float]:
    """Test metrics of ``net`` and of the trivial baseline on the same held-out batches.

    Returns
    -------
    dict
        adding: ``test_mse`` = mean (ŷ - y)², ``baseline_mse`` = mean (1 - y)².
        copy: ``test_loss`` (cross-entropy per step, all T' steps), ``test_accuracy`` (share of
        the S recalled symbols whose argmax is right) and ``baseline_loss`` = S·log(8)/(T + 2S).
    """
    was_training = net.training
    net.eval()
    sums, count = {"model": 0.0, "baseline": 0.0, "correct": 0.0}, 0
    device = device_of(net)
    for x, y in batches.epoch(0):
        x, y = x.to(device), y.to(device)
        prediction, loss, _ = net(x, y)
        sums["model"] += loss.item() * len(x)
        count += len(x)
        if task == "adding":
            sums["baseline"] += ((1.0 - y) ** 2).sum().item()
        else:
            recall = slice(-batches.num_symbols, None)
            hits = prediction[:, recall].argmax(dim=-1) == y[:, recall]
            sums["correct"] += hits.float().mean(dim=1).sum().item()
    net.train(was_training)
    if task == "adding":
        return {"test_mse": sums["model"] / count, "baseline_mse": sums["baseline"] / count}
    return {"test_loss": sums["model"] / count, "test_accuracy": sums["correct"] / count,
            "baseline_loss": copy_baseline_loss(batches.length, batches.num_symbols)}


def solved(task: str, metrics: dict[str, float]) -> tuple[bool, str]:
    """Whether :func:`score_task`'s metrics solve the task, and the criterion as text.

    Adding: test MSE < 0.01 (the baseline is 1/6 ≈ 0.167). Copy: recall accuracy > 0.99
    (cross-entropy is dominated by the blanks as T grows; accuracy on the S recalled symbols
    is not).
    """
    if task == "adding":
        return bool(metrics["test_mse"] < SOLVED_MSE), f"test_mse < {SOLVED_MSE}"
    return (bool(metrics["test_accuracy"] > SOLVED_ACCURACY),
            f"test_accuracy > {SOLVED_ACCURACY}")


def steps_per_epoch(steps: int, most: int = STEPS_PER_EPOCH) -> int:
    """The largest divisor of ``steps`` that is at most ``most``: epochs × it = steps exactly.

    >>> steps_per_epoch(2000), steps_per_epoch(250), steps_per_epoch(30)
    (100, 50, 30)
    """
    check_positive_int("steps", steps)
    return next(k for k in range(min(steps, most), 0, -1) if steps % k == 0)
