import math

import pytest
import torch

from rnnkit._checks import InputError
from rnnkit.nn.init import seeded
from rnnkit.nn.models import ModelConfig, SequenceTagger
from rnnkit.training.tasks import (
    BLANK,
    COPY_CHANNELS,
    COPY_CLASSES,
    DELIMITER,
    TaskBatches,
    adding_problem,
    build_model,
    copy_baseline_loss,
    copy_task,
    score_task,
    solved,
    steps_per_epoch,
)


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# -- adding problem ------------------------------------------------------------------------------
@pytest.mark.parametrize("length", [2, 3, 10, 51])
def test_adding_shapes_markers_and_target(length):
    x, y = adding_problem(64, length, gen())
    assert x.shape == (64, length, 2) and y.shape == (64, 1)
    assert x.dtype == y.dtype == torch.float32
    values, markers = x[..., 0], x[..., 1]
    assert ((values >= 0) & (values <= 1)).all()
    assert set(markers.unique().tolist()) <= {0.0, 1.0}
    half = length // 2
    assert (markers[:, :half].sum(dim=1) == 1).all()  # exactly one marker in the first half
    assert (markers[:, half:].sum(dim=1) == 1).all()  # and one in the second
    marked = values[markers == 1].view(64, 2)  # row-major: (first, second) per sequence
    torch.testing.assert_close(y[:, 0], marked.sum(dim=1))


def test_adding_baseline_is_one_sixth():
    # predicting 1 scores E[(y - 1)^2] = Var(v_a + v_b) = 1/6; the per-sample squared error has
    # variance 1/15 - 1/36 = 7/180, so with N = 40000 the standard error is 0.00099: tol ~ 5 SE
    _, y = adding_problem(40_000, 6, gen(123))
    mse = ((y - 1.0) ** 2).mean().item()
    assert abs(mse - 1 / 6) < 0.005
    assert abs(y.mean().item() - 1.0) < 0.01


def test_adding_seeded_and_seeds_differ():
    a, b, c = adding_problem(8, 20, gen(1)), adding_problem(8, 20, gen(1)), adding_problem(
        8, 20, gen(2))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[0], c[0])


# -- copy task -----------------------------------------------------------------------------------
@pytest.mark.parametrize("length, num_symbols", [(1, 1), (5, 3), (30, 10)])
def test_copy_layout(length, num_symbols):
    x, y = copy_task(16, length, gen(), num_symbols=num_symbols)
    total = length + 2 * num_symbols
    assert x.shape == (16, total, COPY_CHANNELS) and x.dtype == torch.float32
    assert y.shape == (16, total) and y.dtype == torch.int64
    assert (x.sum(dim=-1) == 1).all()  # one-hot
    inputs = x.argmax(dim=-1)
    symbols = inputs[:, :num_symbols]
    assert ((symbols >= 1) & (symbols <= 8)).all()
    recall = num_symbols + length - 1  # the delimiter: the last of the T blanks
    assert (inputs[:, recall] == DELIMITER).all()
    assert (inputs == DELIMITER).sum() == 16  # exactly one per sequence
    rest = torch.cat([inputs[:, num_symbols:recall], inputs[:, recall + 1 :]], dim=1)
    assert (rest == BLANK).all()
    assert (y[:, : length + num_symbols] == BLANK).all()
    assert torch.equal(y[:, -num_symbols:], symbols)  # recall targets are the input symbols
    assert int(y.max()) < COPY_CLASSES


def test_copy_seeded_and_baseline_formula():
    a, b = copy_task(4, 10, gen(5)), copy_task(4, 10, gen(5))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[1], copy_task(4, 10, gen(6))[1])
    # the baseline distribution, scored by cross-entropy on real targets, gives the formula
    x, y = copy_task(32, 10, gen(), num_symbols=4)
    logits = torch.full((32, 18, COPY_CLASSES), -1e9)
    logits[:, :14, BLANK] = 0.0
    logits[:, 14:, 1:] = 0.0  # uniform over the 8 symbols
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, COPY_CLASSES), y.reshape(-1))
    assert math.isclose(loss.item(), copy_baseline_loss(10, 4), rel_tol=1e-6)
    assert math.isclose(copy_baseline_loss(10, 4), 4 * math.log(8) / 18)


# -- batches -------------------------------------------------------------------------------------
@pytest.mark.parametrize("task", ["adding", "copy"])
def test_task_batches_per_epoch(task):
    batches = TaskBatches(task, 12, batch_size=4, num_batches=3, seed=7)
    assert len(batches) == 3 and batches.num_samples == 12
    e0, e0_again, e1 = (list(batches.epoch(e)) for e in (0, 0, 1))
    assert len(e0) == 3
    for (x, y), (x2, y2) in zip(e0, e0_again, strict=True):
        assert torch.equal(x, x2) and torch.equal(y, y2)
    assert not torch.equal(e0[0][0], e1[0][0])  # a new epoch draws new sequences
    assert not torch.equal(e0[0][0], e0[1][0])  # and batches within an epoch differ
    other_seed = next(TaskBatches(task, 12, batch_size=4, num_batches=1, seed=8).epoch(0))
    assert not torch.equal(e0[0][0], other_seed[0])


def test_held_out_streams_are_fixed_and_distinct():
    kwargs = {"batch_size": 4, "num_batches": 2, "seed": 0}
    test = TaskBatches("adding", 10, stream="test", **kwargs)
    assert torch.equal(next(test.epoch(0))[0], next(test.epoch(5))[0])  # fixed set
    train = next(TaskBatches("adding", 10, **kwargs).epoch(0))[0]
    val = next(TaskBatches("adding", 10, stream="val", **kwargs).epoch(0))[0]
    assert not torch.equal(train, next(test.epoch(0))[0]) and not torch.equal(train, val)


# -- models --------------------------------------------------------------------------------------
@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_sequence_tagger_shapes_and_loss(cell):
    torch.manual_seed(0)
    model = SequenceTagger(10, 6, 9, cell=cell)
    x, y = copy_task(3, 4, gen(), num_symbols=2)
    logits, loss, _ = model(x, y)
    assert logits.shape == (3, 8, 9)
    expected = torch.nn.functional.cross_entropy(logits.reshape(-1, 9), y.reshape(-1))
    torch.testing.assert_close(loss, expected)
    assert model(x)[1] is None
    loss.backward()
    assert model.rnn.weight_hh_l0.grad is not None


def test_sequence_tagger_options():
    lstm = SequenceTagger(10, 4, 9, forget_bias=1.0)
    assert (lstm.rnn.bias_ih_l0[4:8] == 1).all()
    bi = SequenceTagger(10, 4, 9, cell="gru", bidirectional=True)
    assert bi(torch.zeros(2, 5, 10))[0].shape == (2, 5, 9)
    irnn = SequenceTagger(10, 4, 9, cell="rnn", nonlinearity="relu", recurrent_init="identity")
    torch.testing.assert_close(irnn.rnn.weight_hh_l0, torch.eye(4))


@pytest.mark.parametrize("task", ["adding", "copy"])
def test_build_model_cells(task):
    network = ModelConfig(hidden_size=8)
    with seeded(0):
        irnn = build_model(task, "irnn", network).rnn
    assert irnn.nonlinearity == "relu"
    torch.testing.assert_close(irnn.weight_hh_l0, torch.eye(8))
    assert irnn.weight_ih_l0.abs().max() < 0.01  # N(0, 0.001²)
    assert irnn.bias_ih_l0.abs().sum() == 0 and irnn.bias_hh_l0.abs().sum() == 0
    rnn = build_model(task, "rnn", network).rnn
    assert rnn.nonlinearity == "tanh" and rnn.bias_hh_l0.abs().sum() > 0  # torch's uniform
    lstm = build_model(task, "lstm", network).rnn
    assert (lstm.bias_ih_l0[8:16] == 1).all() and (lstm.bias_hh_l0[8:16] == 0).all()
    assert type(build_model(task, "gru", network).rnn).__name__ == "GRU"


def test_score_task_and_solved_against_hand_computed_values():
    batches = TaskBatches("adding", 6, batch_size=16, num_batches=2, stream="test")

    class Oracle(torch.nn.Module):  # predicts the marked sum exactly
        def forward(self, x, y, state=None):
            return y, torch.nn.functional.mse_loss(y, y), None

    metrics = score_task(Oracle(), "adding", batches)
    targets = torch.cat([y for _, y in batches.epoch(0)])
    assert metrics["test_mse"] == 0.0
    assert metrics["baseline_mse"] == pytest.approx(((1 - targets) ** 2).mean().item())
    assert solved("adding", metrics) == (True, "test_mse < 0.01")
    assert solved("copy", {"test_accuracy": 0.5})[0] is False


def test_steps_per_epoch():
    assert [steps_per_epoch(s) for s in (1, 99, 100, 3000, 250, 101)] == [1, 99, 100, 100, 50, 1]


# -- errors --------------------------------------------------------------------------------------
@pytest.mark.parametrize("call, name", [
    (lambda: adding_problem(4, 1, gen()), "length"),
    (lambda: adding_problem(0, 10, gen()), "batch_size"),
    (lambda: copy_task(4, 0, gen()), "length"),
    (lambda: copy_task(4, 5, gen(), num_symbols=0), "num_symbols"),
    (lambda: TaskBatches("sorting", 10, batch_size=2, num_batches=1), "task"),
    (lambda: TaskBatches("adding", 10, batch_size=2, num_batches=1, stream="dev"), "stream"),
    (lambda: build_model("adding", "transformer"), "model"),
    (lambda: build_model("sorting", "lstm"), "task"),
    (lambda: TaskBatches("adding", 1, batch_size=2, num_batches=1), "length"),
    (lambda: steps_per_epoch(0), "steps"),
])
def test_bad_arguments_raise_input_error(call, name):
    with pytest.raises(InputError, match=name):
        call()


def test_generator_type_is_checked():
    with pytest.raises(TypeError, match="generator"):
        adding_problem(2, 4, 0)
    with pytest.raises(TypeError, match="length"):
        copy_task(2, 4.0, gen())
