"""The classification figures: valid PNGs, sized to their content, nothing written on bad input."""

import struct

import numpy as np
import pytest

from rnnkit._checks import InputError
from rnnkit.io.plots import plot_attention, plot_confusion

PNG = b"\x89PNG\r\n\x1a\n"


def _size(path) -> tuple[int, int]:
    """(width, height) in pixels from the PNG's IHDR chunk, after checking the signature."""
    data = path.read_bytes()
    assert data[:8] == PNG and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def _beats(n: int, lengths=(96,)) -> tuple[list, list, list]:
    series, weights = [], []
    for k in range(n):
        t = np.linspace(0, 1, lengths[k % len(lengths)])
        series.append(np.exp(-((t - 0.3) / 0.05) ** 2)[:, None])
        w = np.exp(-((t - 0.2 - 0.1 * k) / 0.1) ** 2)
        weights.append(w / w.sum())
    return series, weights, [f"id {k}: true 1, predicted -1" for k in range(n)]


def test_confusion_writes_a_png_that_grows_with_the_classes(tmp_path):
    plot_confusion(tmp_path / "two.png", [[30, 6], [6, 58]], [-1, 1], "ECG200")
    five = np.arange(25).reshape(5, 5)
    five[2] = 0  # a class with no true series: an empty row, no division by zero
    plot_confusion(tmp_path / "five.png", five, ["normal", "abnormal", "c", "d", "e"], "five")
    (w2, h2), (w5, h5) = _size(tmp_path / "two.png"), _size(tmp_path / "five.png")
    assert w5 > w2 and h5 > h2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["five.png", "two.png"]


@pytest.mark.parametrize("confusion, classes, match", [
    ([[1, 2], [3, 4]], ["a", "b", "c"], r"confusion must have shape \(3, 3\)"),
    ([[1, 2, 3]], ["a", "b", "c"], r"confusion must have shape \(3, 3\)"),
    ([[1, -2], [3, 4]], ["a", "b"], "counts >= 0"),
    ([[1, np.nan], [3, 4]], ["a", "b"], "counts >= 0"),
])
def test_bad_confusion_writes_nothing(tmp_path, confusion, classes, match):
    with pytest.raises(InputError, match=match):
        plot_confusion(tmp_path / "c.png", confusion, classes, "bad")
    assert list(tmp_path.iterdir()) == []


def test_attention_writes_a_png_taller_with_more_panels(tmp_path):
    plot_attention(tmp_path / "one.png", *_beats(1))
    plot_attention(tmp_path / "four.png", *_beats(4, lengths=(96, 60)))
    (w1, h1), (w4, h4) = _size(tmp_path / "one.png"), _size(tmp_path / "four.png")
    assert h4 > 2 * h1
    assert abs(w4 - w1) < 0.2 * w1  # same width, give or take the tick labels


def test_attention_takes_padded_rows_as_the_classifier_returns_them(tmp_path):
    series, weights, titles = _beats(2, lengths=(96, 60))
    padded = np.full((2, 96, 1), np.nan)  # (N, T, F), the shorter series ending in NaN
    values = np.zeros((2, 96))  # (N, T) weights, 0 past each end
    for i, (x, w) in enumerate(zip(series, weights, strict=True)):
        padded[i, : len(x)], values[i, : len(w)] = x, w
    plot_attention(tmp_path / "a.png", list(padded), values, titles)
    _size(tmp_path / "a.png")


def test_attention_with_several_features(tmp_path):
    t = np.linspace(0, 1, 50)
    x = np.stack([np.sin(6 * t), np.cos(6 * t)], axis=1)  # (T, 2)
    plot_attention(tmp_path / "a.png", [x], [np.full(50, 1 / 50)], ["two leads"],
                   feature_names=("lead I", "lead II"))
    _size(tmp_path / "a.png")


@pytest.mark.parametrize("change, match", [
    (lambda s, w, t: (s, [w[0][:-1], w[1]], t), r"weights\[0\] must have one value per step"),
    (lambda s, w, t: (s, [w[0], np.append(w[1], 0.1)], t), r"weights\[1\] must have one value"),
    (lambda s, w, t: (s, [-w[0], w[1]], t), r"weights\[0\] must be finite and >= 0"),
    (lambda s, w, t: (s, w, t[:1]), "same, non-zero length"),
    (lambda s, w, t: ([], [], []), "same, non-zero length"),
    (lambda s, w, t: ([np.full(5, np.nan), s[1]], w, t), r"series\[0\] has no steps"),
    (lambda s, w, t: ([np.zeros((2, 3, 1)), s[1]], w, t), r"series\[0\] must have shape"),
])
def test_bad_attention_input_writes_nothing(tmp_path, change, match):
    series, weights, titles = change(*_beats(2))
    with pytest.raises(InputError, match=match):
        plot_attention(tmp_path / "a.png", series, weights, titles)
    assert list(tmp_path.iterdir()) == []


def test_attention_feature_names_must_match(tmp_path):
    series, weights, titles = _beats(1)
    with pytest.raises(InputError, match="feature_names must name the 1 features"):
        plot_attention(tmp_path / "a.png", series, weights, titles, feature_names=("a", "b"))
    assert list(tmp_path.iterdir()) == []
