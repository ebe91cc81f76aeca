"""The training data of the acoustic model: connected digit strings joined from isolated
recordings, and batches of their features for :func:`rnnkit.training.loop.train`.

A connected string (:func:`join`) is a leading pause, then each recording followed by a
pause, every pause 50 .. 350 ms long, and low white noise (σ = ``noise`` of full scale) over
the whole: the recordings are trimmed of silence, so the pauses are what a speaker leaves
between digits. Its transcript is the recordings' labels in order. With ``perturb`` = p > 0
each recording is first played at a speed drawn from {1 − p, 1, 1 + p} (:func:`play_at`:
Ko et al. 2015's speed perturbation, which moves tempo and pitch together, as a shorter or
longer vocal tract would), so four speakers sound like more. :func:`draw_strings` draws
strings of 1 .. 7 recordings from a pool, seeded; the same recipe joins test strings from test
recordings only.

:class:`StringBatches` draws fresh strings every epoch (seed, epoch), computes their log-mel
frames with SpecAugment's masks and pads them: x (B, T, M), NaN after each utterance's end (its
length is read off the NaNs), y (B, L) the label ids 1 .. V, 0 after each transcript's end.
"""

from fractions import Fraction

import numpy as np
import torch
from scipy.signal import resample_poly
from torch import Tensor

from rnnkit.speech.features import FeatureConfig, log_mel, mel_filterbank, spec_augment

PAUSE = (0.05, 0.35)  # seconds between digits
NOISE = 0.002  # σ of the white noise over a joined string, in full scale


def play_at(samples: np.ndarray, speed: float) -> np.ndarray:
    """``samples`` played ``speed`` times as fast: resampled by 1 / speed (polyphase), so
    every frequency is multiplied by ``speed`` and the length divided by it.

    >>> len(play_at(np.zeros(900, np.float32), 0.9)), len(play_at(np.zeros(1100), 1.1))
    (1000, 1000)
    """
    if speed == 1:
        return np.asarray(samples, dtype=np.float32)
    ratio = Fraction(speed).limit_denominator(100)
    return resample_poly(samples, ratio.denominator, ratio.numerator).astype(np.float32)


def join(recordings: list[np.ndarray], rng: np.random.Generator, rate: int = 8000,
         noise: float = NOISE, perturb: float = 0.0) -> np.ndarray:
    """One connected string of ``recordings`` (module docstring).

    >>> x = join([np.ones(100, np.float32), np.ones(50, np.float32)], np.random.default_rng(0))
    >>> len(x) > 150 + 3 * 0.05 * 8000, x.dtype.name
    (True, 'float32')
    """
    parts = []
    for recording in [None, *recordings]:
        if recording is not None:
            speed = 1.0 + perturb * int(rng.integers(-1, 2)) if perturb else 1.0
            parts.append(play_at(recording, speed))
        parts.append(np.zeros(int(rng.uniform(*PAUSE) * rate), dtype=np.float32))
    x = np.concatenate(parts)
    return (x + rng.normal(0.0, noise, len(x))).astype(np.float32)


def draw_strings(pool: list[tuple[np.ndarray, str]], count: int, seed: int,
                 lengths: tuple[int, int] = (1, 7), rate: int = 8000, perturb: float = 0.0
                 ) -> list[tuple[np.ndarray, str]]:
    """``count`` connected strings of ``lengths`` recordings drawn from ``pool`` ((samples,
    label) pairs), with their transcripts; ``perturb`` as in :func:`join`.

    >>> pool = [(np.ones(80, np.float32), str(d)) for d in range(10)]
    >>> [text for _, text in draw_strings(pool, 3, seed=0, lengths=(2, 3))]
    ['652', '085', '853']
    """
    rng = np.random.default_rng(seed)
    strings = []
    for _ in range(count):
        picks = rng.integers(0, len(pool), int(rng.integers(lengths[0], lengths[1] + 1)))
        strings.append((join([pool[k][0] for k in picks], rng, rate, perturb=perturb),
                        "".join(pool[k][1] for k in picks)))
    return strings


def padded(frames: list[Tensor], targets: list[list[int]]) -> tuple[Tensor, Tensor]:
    """x (B, T, M), NaN after each end, and y (B, L), 0 after each end (module docstring)."""
    x = torch.full((len(frames), max(len(f) for f in frames), frames[0].shape[1]), np.nan)
    y = torch.zeros((len(targets), max(1, max(len(t) for t in targets))))
    for b, (f, t) in enumerate(zip(frames, targets, strict=True)):
        x[b, : len(f)] = f
        y[b, : len(t)] = torch.tensor(t, dtype=torch.float32)
    return x, y


class StringBatches:
    """Batches of freshly drawn connected strings, ``strings`` an epoch (module docstring);
    ``augment`` applies SpecAugment's masks and the speed perturbation ``perturb``;
    ``labels`` maps a character to its id 1 .. V."""

    def __init__(self, pool: list[tuple[np.ndarray, str]], labels: str, strings: int,
                 batch_size: int, seed: int, config: FeatureConfig = FeatureConfig(),
                 augment: bool = True, fixed: bool = False, perturb: float = 0.0) -> None:
        self.pool, self.labels, self.strings = pool, labels, strings
        self.batch_size, self.seed, self.config = batch_size, seed, config
        self.augment, self.fixed = augment, fixed  # fixed: the same strings every epoch
        self.perturb = perturb if augment else 0.0
        self.bank = mel_filterbank(config)

    def __len__(self) -> int:
        return -(-self.strings // self.batch_size)

    @property
    def num_samples(self) -> int:
        return self.strings

    def epoch(self, epoch: int):
        draw = self.seed if self.fixed else self.seed * 1_000_003 + epoch
        strings = draw_strings(self.pool, self.strings, draw, rate=self.config.rate,
                               perturb=self.perturb)
        generator = torch.Generator().manual_seed(draw)
        for start in range(0, len(strings), self.batch_size):
            chunk = strings[start: start + self.batch_size]
            frames = [log_mel(x, self.config, self.bank) for x, _ in chunk]
            if self.augment:
                frames = [spec_augment(f, generator) for f in frames]
            yield padded(frames, [[self.labels.index(c) + 1 for c in t] for _, t in chunk])


__all__ = ["NOISE", "PAUSE", "StringBatches", "draw_strings", "join", "padded", "play_at"]
