"""Model files from strangers: loading reads safetensors and JSON only, and every bad folder is
one line — a pickle (that would run code), a truncated or tampered file, weights that do not
fit their config, a newer format, checkpoints of another model."""

import json
import os
import pickle
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest
import torch

from rnnkit import __version__
from rnnkit._checks import InputError
from rnnkit.cli.app import main
from rnnkit.io.files import MODEL_FORMAT, WEIGHTS, save_model, save_safetensors_atomic
from rnnkit.nn.models import CharLM, ModelConfig, SequenceRegressor
from rnnkit.text.charlm import CharVocab, load_char_model, save_char_model
from rnnkit.training.batches import Batches
from rnnkit.training.loop import TrainConfig, train


class _Payload:
    """Unpickling this runs os.system: it writes a marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _char_model(folder: Path) -> None:
    vocab = CharVocab.from_text("abcdef")
    network = ModelConfig(cell="gru", hidden_size=8)
    save_char_model(folder, CharLM(len(vocab), **asdict(network)), vocab, network, "ab")


def _one_line_error(capsys, argv) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("rnnkit: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


def test_a_pickle_in_place_of_the_weights_is_refused_and_never_run(tmp_path, capsys):
    folder, marker = tmp_path / "model", tmp_path / "code-ran"
    folder.mkdir()
    (folder / WEIGHTS).write_bytes(pickle.dumps(_Payload(marker)))
    (folder / "model.pt").write_bytes(pickle.dumps(_Payload(marker)))
    for argv in (["text", "generate", "--model", str(folder)],
                 ["predict", "--model", str(folder)]):
        assert "is not a safetensors file" in _one_line_error(capsys, argv)
    assert not marker.exists()


def test_a_truncated_or_tampered_file_is_one_line(tmp_path, capsys):
    _char_model(tmp_path / "model")
    weights = tmp_path / "model" / WEIGHTS
    data = weights.read_bytes()
    weights.write_bytes(data[: len(data) // 2])
    assert "is not a safetensors file" in _one_line_error(
        capsys, ["text", "generate", "--model", str(tmp_path / "model")])
    tampered = bytearray(data)
    tampered[8:12] = b"\x00\x01\x02\x03"  # inside the JSON header
    weights.write_bytes(bytes(tampered))
    assert "is not a safetensors file" in _one_line_error(
        capsys, ["text", "generate", "--model", str(tmp_path / "model")])


def test_weights_that_do_not_fit_their_config_are_one_line(tmp_path, capsys):
    vocab = CharVocab.from_text("abcdef")
    model = CharLM(len(vocab), cell="gru", hidden_size=8)
    tensors = {k: v.contiguous() for k, v in model.state_dict().items()}
    save_model(tmp_path / "model", "CharLM", tensors, {
        "vocab": vocab.chars, "network": {"cell": "gru", "hidden_size": 16}})  # not 8
    with pytest.raises(InputError, match="weights and config do not fit together"):
        load_char_model(tmp_path / "model")
    save_model(tmp_path / "nokey", "CharLM", tensors, {"network": {}})  # no vocab
    assert "do not fit together" in _one_line_error(
        capsys, ["text", "generate", "--model", str(tmp_path / "nokey")])


def test_a_folder_from_a_newer_rnnkit_says_upgrade(tmp_path, capsys):
    _char_model(tmp_path / "model")
    record = {"kind": "CharLM", "rnnkit_version": "9.0.0", "format": MODEL_FORMAT + 1,
              "config": {}}
    save_safetensors_atomic(tmp_path / "model" / WEIGHTS, {"x": torch.zeros(1)}, record)
    err = _one_line_error(capsys, ["text", "generate", "--model", str(tmp_path / "model")])
    assert f"written by rnnkit 9.0.0 in model format {MODEL_FORMAT + 1}" in err
    assert f"rnnkit {__version__} cannot read: upgrade rnnkit" in err


def test_resuming_checkpoints_of_another_model_is_one_line(tmp_path):
    x = np.random.default_rng(0).normal(size=(64, 5, 1)).astype(np.float32)
    y = x[:, -1]
    cfg = TrainConfig(epochs=1, batch_size=16)
    train(SequenceRegressor(1, hidden_size=4), Batches(x, y, 16), cfg, checkpoint_dir=tmp_path)
    with pytest.raises(InputError, match="resume with the flags of the run that wrote it"):
        train(SequenceRegressor(1, hidden_size=6), Batches(x, y, 16), cfg,
              checkpoint_dir=tmp_path, resume=True)


def test_loading_reads_json_and_safetensors_only(tmp_path):
    """The record a loader sees is the header's JSON; config.json is for people only."""
    _char_model(tmp_path / "model")
    (tmp_path / "model" / "config.json").write_text(json.dumps({"kind": "Forecaster"}))
    model, vocab, prompt = load_char_model(tmp_path / "model")
    assert "".join(vocab.chars) == "abcdef" and prompt == "ab"
