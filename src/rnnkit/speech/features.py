"""Acoustic features: log-mel filterbank frames of a waveform, normalised per utterance, and
SpecAugment's masks for training.

For a waveform x sampled at r Hz (:class:`FeatureConfig`: a Hann window of ``window``
samples every ``hop`` samples, an FFT of ``n_fft`` points, ``n_mels`` bands):

    P_t(k)  = |Σ_n w(n) x(t·hop + n) e^{-2πi kn/n_fft}|²     (torch.stft: the power spectrum)
    mel(f)  = 2595 log10(1 + f / 700)                           (HTK's mel scale)
    W(k, m) = the triangle of band m at bin k: rising from the band's left edge to its centre,
              falling to its right edge, the n_mels + 2 edges equally spaced in mel from 0 Hz
              to r / 2
    F_t(m)  = log(Σ_k P_t(k) W(k, m) + 10⁻⁶)
    F̂_t(m)  = (F_t(m) - mean_t F(m)) / (std_t F(m) + 10⁻⁵)      (per utterance and band)

SpecAugment (Park et al. 2019), for training only: ``time_masks`` spans of at most
``time_width`` frames and ``freq_masks`` spans of at most ``freq_width`` bands are set to 0
(the normalised mean), at random positions drawn from a seeded generator.
"""

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from rnnkit._checks import InputError, check_positive_int


@dataclass(frozen=True)
class FeatureConfig:
    """How a waveform becomes frames: 25 ms windows every 10 ms at 8 kHz, 40 mel bands."""

    rate: int = 8000
    n_fft: int = 256
    window: int = 200
    hop: int = 80
    n_mels: int = 40

    def __post_init__(self) -> None:
        for name in ("rate", "n_fft", "window", "hop", "n_mels"):
            check_positive_int(name, getattr(self, name))
        if self.window > self.n_fft:
            raise InputError(f"window ({self.window}) must not exceed n_fft ({self.n_fft})")


def mel(f):
    """HTK's mel scale: 2595 log10(1 + f / 700).

    >>> round(float(mel(1000.0)))   # the scale is made so that 1 kHz is 1000 mel
    1000
    """
    return 2595.0 * np.log10(1.0 + np.asarray(f, dtype=np.float64) / 700.0)


def mel_filterbank(config: FeatureConfig) -> Tensor:
    """W (n_fft/2 + 1, n_mels): triangular bands equally spaced in mel (module docstring).

    >>> W = mel_filterbank(FeatureConfig())
    >>> tuple(W.shape), bool((W >= 0).all()), bool(W.max() <= 1.0)
    ((129, 40), True, True)
    """
    edges_mel = np.linspace(0.0, float(mel(config.rate / 2)), config.n_mels + 2)
    edges = 700.0 * (10.0 ** (edges_mel / 2595.0) - 1.0)  # back to Hz
    bins = np.linspace(0.0, config.rate / 2, config.n_fft // 2 + 1)
    left, centre, right = edges[:-2], edges[1:-1], edges[2:]
    rising = (bins[:, None] - left) / (centre - left)
    falling = (right - bins[:, None]) / (right - centre)
    return torch.from_numpy(np.maximum(0.0, np.minimum(rising, falling)).astype(np.float32))


def log_mel(samples: np.ndarray | Tensor, config: FeatureConfig = FeatureConfig(),
            bank: Tensor | None = None) -> Tensor:
    """F̂ (T, n_mels) of one waveform (module docstring); T = 1 + len // hop.

    Raises InputError when the waveform is shorter than one window.

    >>> frames = log_mel(np.sin(np.arange(8000) * 2 * np.pi * 440 / 8000))
    >>> tuple(frames.shape), abs(float(frames.mean())) < 1e-4
    ((101, 40), True)
    """
    x = torch.as_tensor(samples, dtype=torch.float32)
    if x.ndim != 1 or len(x) < config.window:
        raise InputError(f"a waveform of {x.numel()} samples is shorter than one analysis "
                         f"window ({config.window} samples)")
    spectrum = torch.stft(x, config.n_fft, hop_length=config.hop, win_length=config.window,
                          window=torch.hann_window(config.window), center=True,
                          return_complex=True)  # (n_fft/2 + 1, T)
    power = spectrum.real ** 2 + spectrum.imag ** 2
    bank = mel_filterbank(config) if bank is None else bank
    frames = torch.log(power.T @ bank + 1e-6)  # (T, n_mels)
    return (frames - frames.mean(dim=0)) / (frames.std(dim=0, unbiased=False) + 1e-5)


def spec_augment(frames: Tensor, generator: torch.Generator, time_masks: int = 2,
                 time_width: int = 10, freq_masks: int = 2, freq_width: int = 6) -> Tensor:
    """A copy of ``frames`` (T, M) with random time and band spans set to 0 (module docstring).

    >>> g = torch.Generator().manual_seed(0)
    >>> masked = spec_augment(torch.ones(50, 40), g)
    >>> bool((masked == 0).any()), bool((masked == 1).any())
    (True, True)
    """
    out = frames.clone()
    steps, bands = out.shape
    for count, width, size, axis in ((time_masks, time_width, steps, 0),
                                     (freq_masks, freq_width, bands, 1)):
        for _ in range(count):
            span = int(torch.randint(0, min(width, size) + 1, (1,), generator=generator))
            start = int(torch.randint(0, max(1, size - span + 1), (1,), generator=generator))
            if axis == 0:
                out[start: start + span] = 0.0
            else:
                out[:, start: start + span] = 0.0
    return out


def frame_count(samples: int, config: FeatureConfig = FeatureConfig()) -> int:
    """T of a waveform of ``samples`` samples: 1 + ⌊samples / hop⌋ (torch.stft, centred)."""
    return 1 + math.floor(samples / config.hop)


__all__ = ["FeatureConfig", "frame_count", "log_mel", "mel", "mel_filterbank", "spec_augment"]
