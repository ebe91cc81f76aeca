"""rnnkit.speech's parts against references: the mel bank against its definition, CTC decoding
against brute force over every frame path, the acoustic model's padding, the string recipe."""

import itertools

import numpy as np
import pytest
import torch

from rnnkit._checks import InputError
from rnnkit.speech.data import StringBatches, draw_strings, join, padded
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
