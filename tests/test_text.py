"""Character-level language models: vocabulary, memorisation, sampling, the text commands."""

import json

import numpy as np
import pytest
import torch

from rnnkit._checks import InputError
from rnnkit.batches import StreamBatches
from rnnkit.cli import main
from rnnkit.models import CharLM, ModelConfig
from rnnkit.text import CharVocab, generate, load_char_model, next_id, save_char_model
from rnnkit.train import TrainConfig, train

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
