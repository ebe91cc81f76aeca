"""Character-level language models: vocabulary, memorisation, sampling, the text commands."""

import json

import numpy as np
import pytest
import torch

from rnnkit._checks import InputError
from rnnkit.cli.app import main
from rnnkit.nn.models import CharLM, ModelConfig
from rnnkit.text.charlm import CharVocab, generate, load_char_model, next_id, save_char_model
from rnnkit.training.batches import StreamBatches
from rnnkit.training.loop import TrainConfig, train

PHRASE = "the cat sat on the mat. "


def test_vocabulary_round_trip_and_unknown_characters():
    vocab = CharVocab.from_text("hello world")
    assert vocab.chars == " dehlorw"
    assert vocab.decode(vocab.encode("low word")) == "low word"
    with pytest.raises(InputError, match="prompt has characters the model never saw: 'XZ'"):
        vocab.encode("ZlX", "prompt")
    with pytest.raises(InputError, match="empty"):
        CharVocab.from_text("")


def _memorised():
    text = PHRASE * 40
    vocab = CharVocab.from_text(text)
    ids = vocab.encode(text)
    torch.manual_seed(0)
    model = CharLM(len(vocab), hidden_size=32, num_layers=1)
    cfg = TrainConfig(epochs=60, batch_size=4, learning_rate=1e-2, patience=0)
    history = train(model, StreamBatches(ids[:-1], ids[1:], 4, 24), cfg)
    return model, vocab, history


@pytest.fixture(scope="module")
def memorised():
    return _memorised()


def test_a_repeated_text_is_memorised_and_reproduced(memorised):
    model, vocab, history = memorised
    assert history.records[-1]["train_loss"] < 0.05  # nats per character
    text = generate(model, vocab, "the ", len(PHRASE) * 2, temperature=1e-9)
    assert text == (PHRASE * 3)[4 : 4 + len(PHRASE) * 2]


def test_sampling_is_reproducible_per_seed(memorised):
    model, vocab, _ = memorised
    a = generate(model, vocab, "t", 60, temperature=2.0, seed=3)
    b = generate(model, vocab, "t", 60, temperature=2.0, seed=3)
    c = generate(model, vocab, "t", 60, temperature=2.0, seed=4)
    assert a == b and a != c


def test_streaming_sees_every_character(memorised):
    model, vocab, _ = memorised
    seen = []
    text = generate(model, vocab, "the", 30, seed=1, on_text=seen.append)
    assert "".join(seen) == text


def test_temperature_to_zero_is_argmax_and_top_k_stays_in_the_top_k():
    gen = torch.Generator().manual_seed(0)
    logits = torch.tensor([0.1, 2.0, 1.9, -1.0, 0.5])
    assert next_id(logits, 1e-9, 0, gen) == 1
    assert {next_id(logits, 1e-3, 0, gen) for _ in range(50)} == {1}  # sharp: argmax
    picks = {next_id(logits, 5.0, 2, gen) for _ in range(300)}
    assert picks == {1, 2}  # hot, yet never outside the two largest


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"length": 0}, "length must be a positive int"),
     ({"temperature": 0.0}, r"temperature must lie in \(0.0"),
     ({"prompt": "Ω"}, "never saw"),
     ({"prompt": ""}, "prompt must not be empty")],
)
def test_bad_sampling_arguments(memorised, kwargs, match):
    model, vocab, _ = memorised
    args = {"prompt": "the", "length": 5} | kwargs
    with pytest.raises(InputError, match=match):
        generate(model, vocab, args.pop("prompt"), args.pop("length"), **args)


def test_embedding_and_output_weights_are_tied():
    model = CharLM(10, hidden_size=8, num_layers=1)
    assert model.head.weight is model.embedding.weight


def test_text_train_and_generate_commands(tmp_path, capsys):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(PHRASE * 200)
    out = tmp_path / "run"
    assert main(["text", "train", "--corpus", str(corpus), "--hidden-size", "16",
                 "--num-layers", "1", "--seq-len", "16", "--batch-size", "4",
                 "--steps", "30", "--sample-length", "20", "--prompt", "the",
                 "--no-progress", "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert {"train_loss", "val_loss", "val_bpc", "tokens_per_s"} <= set(metrics)
    assert metrics["val_bpc"] == pytest.approx(metrics["val_loss"] / np.log(2))
    assert metrics["steps"] == 30
    assert (out / "samples.txt").read_text().startswith("the")
    assert (out / "loss.png").exists() and (out / "model" / "weights.safetensors").exists()
    capsys.readouterr()
    assert main(["text", "generate", "--model", str(out / "model"), "--prompt", "the",
                 "--length", "15", "--seed", "1"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("the") and len(printed.rstrip("\n")) == 18


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "is empty"), (b"ab\x00cd", "looks binary"), (b"\xff\xfe\xfa", "not UTF-8")],
)
def test_bad_corpus_is_one_line_exit_2(tmp_path, capsys, content, message):
    corpus = tmp_path / "corpus.bin"
    corpus.write_bytes(content)
    code = main(["text", "train", "--corpus", str(corpus), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and message in err and err.startswith("rnnkit: error: --corpus")


def test_char_model_folder_round_trip(memorised, tmp_path):
    model, vocab, _ = memorised
    network = ModelConfig(cell="lstm", hidden_size=32, num_layers=1)
    save_char_model(tmp_path / "model", model, vocab, network)
    loaded, loaded_vocab, _ = load_char_model(tmp_path / "model")
    assert loaded_vocab.chars == vocab.chars and not loaded.training
    assert loaded.head.weight is loaded.embedding.weight  # tied again after loading
    assert generate(loaded, loaded_vocab, "the", 40, seed=2) == generate(model, vocab, "the", 40,
                                                                         seed=2)


def test_a_language_model_reads_forwards_only():
    with pytest.raises(InputError, match="bidirectional must be False"):
        CharLM(5, hidden_size=4, bidirectional=True)


# resume: streamed training interrupted after epoch 1 of 2, then resumed, equals one go


class Interrupted(Exception):
    """Raised from on_epoch: a crash right after epoch 1's checkpoints were written."""


def _stop_after_epoch_one(record: dict) -> None:
    if record["epoch"] == 1:
        raise Interrupted


def test_resumed_streamed_training_equals_an_uninterrupted_run(tmp_path):
    """Stateful TBPTT on StreamBatches (k2 < k1), dropout, cosine schedule, validation: two
    epochs in one go, or one epoch, a crash, and a resume into a model drawn from another
    seed; the parameters and every step's loss are identical."""
    text = PHRASE * 30
    vocab = CharVocab.from_text(text)
    ids = vocab.encode(text)
    batches = StreamBatches(ids[:600], ids[1:601], 4, 24)
    val = StreamBatches(ids[600:-1], ids[601:], 2, 24)
    cfg = TrainConfig(epochs=2, batch_size=4, learning_rate=1e-2, patience=0,
                      tbptt_steps=8, lr_schedule="cosine")

    def model(seed):
        torch.manual_seed(seed)
        return CharLM(len(vocab), hidden_size=16, num_layers=2, dropout=0.3)

    whole = model(0)
    history = train(whole, batches, cfg, val_batches=val)
    with pytest.raises(Interrupted):
        train(model(0), batches, cfg, val_batches=val, checkpoint_dir=tmp_path,
              on_epoch=_stop_after_epoch_one)
    resumed = model(99)
    again = train(resumed, batches, cfg, val_batches=val, checkpoint_dir=tmp_path, resume=True)
    assert [s["loss"] for s in again.steps] == [s["loss"] for s in history.steps]
    assert len(again.steps) == 2 * len(batches)
    assert [r["val_loss"] for r in again.records] == [r["val_loss"] for r in history.records]
    for (name, p), q in zip(resumed.state_dict().items(), whole.state_dict().values(),
                            strict=True):
        assert torch.equal(p, q), name


def test_text_train_resumes_from_its_checkpoints(tmp_path, monkeypatch):
    """`rnnkit text train --resume` after a crash at the end of epoch 1 of 2 writes the model the
    uninterrupted command writes, to the bit."""
    import rnnkit.cli.jobs.text as text_job

    corpus = tmp_path / "corpus.txt"
    corpus.write_text(PHRASE * 40)

    def run(out, *extra):
        return main(["text", "train", "--corpus", str(corpus), "--hidden-size", "16",
                     "--num-layers", "1", "--seq-len", "16", "--batch-size", "4",
                     "--epochs", "2", "--sample-length", "5", "--prompt", "the",
                     "--no-progress", "--out", str(tmp_path / out), *extra])

    assert run("whole") == 0

    class CrashingBar(text_job.EpochBar):
        def update(self, record):
            super().update(record)
            _stop_after_epoch_one(record)

    with monkeypatch.context() as patch:
        patch.setattr(text_job, "EpochBar", CrashingBar)
        with pytest.raises(Interrupted):
            run("split")
    assert (tmp_path / "split" / "checkpoints" / "last").is_dir()
    assert not (tmp_path / "split" / "model").exists()
    assert run("split", "--resume") == 0
    whole = load_char_model(tmp_path / "whole" / "model")[0]
    split = load_char_model(tmp_path / "split" / "model")[0]
    for (name, p), q in zip(split.state_dict().items(), whole.state_dict().values(),
                            strict=True):
        assert torch.equal(p, q), name
    steps = [json.loads((tmp_path / run_ / "metrics.json").read_text())["steps"]
             for run_ in ("whole", "split")]
    assert steps[0] == steps[1] > 0
