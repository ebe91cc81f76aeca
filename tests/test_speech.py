"""rnnkit.speech's parts against references: the mel bank against its definition, CTC decoding
against brute force over every frame path, the acoustic model's padding, the string recipe."""

import itertools

import numpy as np
import pytest
import torch

from rnnkit._checks import InputError
from rnnkit.speech.data import StringBatches, draw_strings, join, padded, play_at
from rnnkit.speech.decoding import beam_search, digit_error_rate, edit_distance
from rnnkit.speech.features import FeatureConfig, log_mel, mel, mel_filterbank, spec_augment
from rnnkit.speech.model import AcousticModel


def test_the_mel_bands_are_triangles_equally_spaced_in_mel():
    config = FeatureConfig(n_fft=8192)  # fine bins, so that every peak is where it belongs
    bank = mel_filterbank(config).numpy()
    bins = np.linspace(0, config.rate / 2, config.n_fft // 2 + 1)
    peaks = bins[bank.argmax(axis=0)]
    spacing = np.diff(mel(np.r_[0.0, peaks, config.rate / 2]))
    assert np.allclose(spacing, spacing.mean(), rtol=0.02)  # n_mels + 1 equal steps in mel
    assert bank.max() <= 1.0 and np.allclose(bank.max(axis=0), 1.0, atol=0.01)
    half = bank[:, 10] >= 0.5  # a triangle: one run of bins above half its peak
    assert np.count_nonzero(np.diff(half.astype(int))) == 2
    assert (mel_filterbank(FeatureConfig()).sum(dim=0) > 0).all()  # no empty band at 256


def test_a_tone_lights_the_band_of_its_frequency():
    config = FeatureConfig()
    t = np.arange(4000) / config.rate
    frames = log_mel(np.sin(2 * np.pi * 1000.0 * t), config)
    band = int(frames.mean(dim=0).argmax())
    peaks = np.linspace(0, config.rate / 2, config.n_fft // 2 + 1)[
        mel_filterbank(config).numpy().argmax(axis=0)]
    assert abs(peaks[band] - 1000.0) < 120
    assert torch.allclose(frames.mean(dim=0), torch.zeros(40), atol=1e-4)


def test_a_waveform_shorter_than_a_window_is_refused():
    with pytest.raises(InputError, match="shorter than one analysis window"):
        log_mel(np.zeros(100))


def test_spec_augment_masks_spans_and_is_seeded():
    frames = torch.ones(60, 40)
    a = spec_augment(frames, torch.Generator().manual_seed(3))
    b = spec_augment(frames, torch.Generator().manual_seed(3))
    assert torch.equal(a, b) and (frames == 1).all()  # seeded, and a copy
    rows, cols = (a == 0).all(dim=1), (a == 0).all(dim=0)
    assert rows.sum() <= 20 and cols.sum() <= 12


def _path_probability(log_probs: np.ndarray, labels: tuple[int, ...]) -> float:
    """P(labels) by brute force: the sum over every frame path that collapses to them."""
    total = 0.0
    for path in itertools.product(range(log_probs.shape[1]), repeat=len(log_probs)):
        merged = [k for i, k in enumerate(path) if i == 0 or k != path[i - 1]]
        if tuple(k for k in merged if k) == labels:
            total += float(np.exp(sum(log_probs[s, k] for s, k in enumerate(path))))
    return total


@pytest.mark.parametrize("seed", range(6))
def test_a_wide_beam_finds_the_most_probable_transcript(seed):
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.ones(3) * 0.7, size=5)  # 5 frames, blank and two labels
    log_probs = np.log(p)
    candidates = {tuple(k for i, k in enumerate(path) if k and (i == 0 or k != path[i - 1]))
                  for path in itertools.product(range(3), repeat=5)}
    best = max(candidates, key=lambda c: _path_probability(log_probs, c))
    assert tuple(beam_search(log_probs, beam=64)) == best


def test_edit_distance_and_the_digit_error_rate():
    assert edit_distance("31415", "31415") == 0 and edit_distance("123", "321") == 2
    assert edit_distance("", "") == 0 and edit_distance("12", "") == 2
    assert digit_error_rate(["12", "345"], ["12", "35"]) == pytest.approx(1 / 5)


def test_a_padded_batch_gives_what_each_utterance_gives_alone():
    torch.manual_seed(0)
    model = AcousticModel(n_mels=8, labels=3, hidden_size=6).eval()
    frames = [torch.randn(n, 8) for n in (9, 4, 6)]
    x, y = padded(frames, [[1, 2], [3], [1]])
    with torch.no_grad():
        batch, loss, _ = model(x, y)
        for b, f in enumerate(frames):
            alone, _, _ = model(f[None])
            assert torch.allclose(batch[b, : alone.shape[1]], alone[0], atol=1e-5)
    assert torch.isfinite(loss) and loss > 0


def test_connected_strings_are_seeded_and_transcribed_in_order():
    pool = [(np.full(100, d / 10, np.float32), str(d)) for d in range(10)]
    a, b = draw_strings(pool, 5, seed=7), draw_strings(pool, 5, seed=7)
    assert [t for _, t in a] == [t for _, t in b]
    assert all(np.array_equal(x, y) for (x, _), (y, _) in zip(a, b, strict=True))
    assert all(1 <= len(t) <= 7 for _, t in a)
    x = join([pool[3][0], pool[1][0]], np.random.default_rng(0))
    assert 200 + 3 * 400 <= len(x) <= 200 + 3 * 2800
    batches = StringBatches(pool, "0123456789", strings=5, batch_size=2, seed=1)
    shapes = [(tuple(x.shape), tuple(y.shape)) for x, y in batches.epoch(0)]
    assert len(shapes) == len(batches) == 3 and all(s[0][2] == 40 for s in shapes)


@pytest.mark.parametrize("speed", [0.9, 1.1])
def test_speed_perturbation_moves_a_tones_pitch_and_length_together(speed):
    rate, hz = 8000, 500.0
    tone = np.sin(2 * np.pi * hz * np.arange(rate) / rate).astype(np.float32)
    played = play_at(tone, speed)
    assert abs(len(played) - rate / speed) <= 1
    assert abs(_peak_hz(played) - hz * speed) < 2


def _peak_hz(x: np.ndarray, rate: int = 8000) -> float:
    return float(np.fft.rfftfreq(len(x), 1 / rate)[np.abs(np.fft.rfft(x)).argmax()])


def test_strings_play_each_recording_at_one_of_three_speeds():
    tone = np.sin(2 * np.pi * 500 * np.arange(8000) / 8000).astype(np.float32)
    plain = draw_strings([(tone, "1")], 30, seed=3, lengths=(1, 1))
    varied = draw_strings([(tone, "1")], 30, seed=3, lengths=(1, 1), perturb=0.1)
    assert {round(_peak_hz(x)) for x, _ in plain} == {500}
    assert {round(_peak_hz(x) / 50) * 50 for x, _ in varied} == {450, 500, 550}


# -- the recogniser and the commands ----------------------------------------------------------
TINY = ["--epochs", "2", "--strings", "32", "--hidden-size", "8", "--num-layers", "1",
        "--batch-size", "16", "--test-strings", "6", "--no-progress"]


@pytest.fixture(scope="module")
def recordings(tmp_path_factory):
    """Twenty synthetic 'digits' (two tones each) by two speakers, in FSDD's name pattern."""
    import soundfile

    folder = tmp_path_factory.mktemp("recordings")
    t = np.arange(1600) / 8000
    for digit in range(10):
        for speaker, shift in (("ann", 1.0), ("bob", 1.1)):
            for index in (0, 5, 6):
                f = shift * (300 + 150 * digit)
                tone = 0.3 * np.sin(2 * np.pi * f * t) * np.hanning(len(t))
                soundfile.write(folder / f"{digit}_{speaker}_{index}.wav", tone, 8000)
    return folder


@pytest.fixture(scope="module")
def trained(recordings, tmp_path_factory):
    from rnnkit.cli.app import main

    out = tmp_path_factory.mktemp("speech")
    assert main(["speech", "train", "--data", str(recordings), "--out", str(out), *TINY]) == 0
    return out


def test_speech_train_writes_its_model_scores_and_figures(trained):
    import json

    import pandas as pd

    metrics = json.loads((trained / "metrics.json").read_text())
    assert metrics["recordings"] == {"train": 40, "test": 20}
    assert metrics["isolated"]["count"] == 20 and metrics["connected"]["count"] == 6
    transcripts = pd.read_csv(trained / "transcripts.csv", dtype=str)
    assert list(transcripts.columns) == ["kind", "file", "reference", "hypothesis", "errors"]
    assert (trained / "alignment.png").stat().st_size > 5_000
    assert (trained / "model" / "weights.safetensors").is_file()


def test_transcribe_prints_a_line_per_file_as_the_saved_model_decodes(trained, recordings,
                                                                      capsys):
    from rnnkit.cli.app import main
    from rnnkit.io.audio import read_audio
    from rnnkit.speech import SpeechRecognizer

    files = [str(recordings / "3_ann_0.wav"), str(recordings / "7_bob_5.wav")]
    assert main(["speech", "transcribe", "--model", str(trained / "model"), *files]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    model = SpeechRecognizer.load(trained / "model")
    texts = model.transcribe([read_audio(f).samples for f in files])
    assert lines == [f"{f}\t{t}" for f, t in zip(files, texts, strict=True)]


@pytest.mark.parametrize(("args", "message"), [
    (["speech", "transcribe", "--model", "{out}/model", "{folder}/none.wav"], "no such file"),
    (["speech", "transcribe", "--model", "{folder}"], "at least one recording"),
    (["speech", "transcribe", "--model", "{folder}", "{folder}/3_ann_0.wav"],
     "holds no rnnkit model"),
    (["speech", "train", "--data", "{folder}", "--labels", "0123", *TINY], "not among"),
])
def test_speech_bad_input_is_one_line(trained, recordings, capsys, args, message):
    from rnnkit.cli.app import main

    argv = [a.format(out=trained, folder=recordings) for a in args]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_classify_reads_a_folder_of_recordings_as_log_mel_sequences(recordings, tmp_path):
    import json

    from rnnkit.cli.app import main

    out = tmp_path / "out"
    assert main(["classify", "--data", str(recordings), "--out", str(out), "--epochs", "2",
                 "--hidden-size", "8", "--ensemble", "1", "--choose", "none",
                 "--no-progress"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["train"]["sequences"] == 40 and metrics["test"]["sequences"] == 20
    assert metrics["train"]["features"] == [f"mel{k}" for k in range(40)]
    import pandas as pd

    predicted = pd.read_csv(out / "predictions.csv", dtype=str)
    assert main(["predict", "--model", str(out / "model"), "--out", str(tmp_path / "a.csv")]) == 0
    again = pd.read_csv(tmp_path / "a.csv", dtype=str)
    assert again["id"].tolist() == predicted["id"].tolist()
    assert again["predicted"].tolist() == predicted["predicted"].tolist()
    unnamed = tmp_path / "calls"
    unnamed.mkdir()
    for k, name in enumerate(("3_ann_0.wav", "7_bob_5.wav")):
        (unnamed / f"call{k}.wav").write_bytes((recordings / name).read_bytes())
    for data, rows in ((unnamed, 2), (recordings / "3_ann_0.wav", 1)):
        assert main(["predict", "--model", str(out / "model"), "--data", str(data), "--out",
                     str(tmp_path / "b.csv")]) == 0
        frame = pd.read_csv(tmp_path / "b.csv", dtype=str)
        assert len(frame) == rows and "true" not in frame
    expected = dict(zip(predicted["id"], predicted["predicted"], strict=True))
    assert frame["predicted"].tolist() == [expected["3_ann_0.wav"]]
