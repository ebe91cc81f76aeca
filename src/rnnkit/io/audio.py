"""One recording: a sound file as mono float32 samples at the rate a model expects.

:func:`read_audio` reads whatever libsndfile reads (WAV, FLAC, OGG/Vorbis, AIFF, ...) through
soundfile, as float32 in [-1, 1], and brings it to one channel and one rate:

- C channels are mixed down to their mean, x_t = (1/C) Σ_c x_{t,c};
- a file at rate r_in is resampled to ``rate`` r by polyphase filtering
  (:func:`scipy.signal.resample_poly`): with g = gcd(r_in, r), U = r / g and D = r_in / g,
  y = ↓D(h ∗ ↑U x), h the Kaiser-windowed low-pass that function designs (cut-off at the lower
  of the two Nyquist rates), so N samples become ⌈N U / D⌉;
- samples the filter's ripple carries beyond ±1 are clipped back to it.

Each of these steps, when it happens, leaves one line in :attr:`Recording.notes`. A missing
file, a folder, a file that is not audio, an empty, silent (peak below 1e-4) or non-finite
recording, and one too short for a single analysis frame (``min_samples``) are one-line
InputErrors naming the file.

>>> import tempfile, pathlib
>>> import soundfile
>>> path = pathlib.Path(tempfile.mkdtemp()) / "tone.wav"
>>> t = np.arange(1600) / 16000  # 0.1 s at 16 kHz
>>> soundfile.write(path, 0.5 * np.sin(2 * np.pi * 440 * t), 16000)
>>> recording = read_audio(path)
>>> recording.rate, len(recording.samples), recording.samples.dtype
(8000, 800, dtype('float32'))
>>> recording.notes == (f"{path}: resampled from 16000 Hz to 8000 Hz",)
True
"""

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile
from scipy.signal import resample_poly

from rnnkit._checks import InputError, check_positive_int
from rnnkit.io.sniff import PathLike

SILENCE = 1e-4  # peak amplitude below which a recording counts as silent


@dataclass(frozen=True)
class Recording:
    """A recording as read: ``samples`` (float32, mono, in [-1, 1]) at ``rate`` Hz, the file it
    came from (``source``, the path as given) and one line per step taken on it (``notes``)."""

    source: str
    samples: np.ndarray
    rate: int
    notes: tuple[str, ...]


def read_audio(path: PathLike, rate: int = 8000, *, min_samples: int = 200) -> Recording:
    """Read one recording, mixed down to mono and resampled to ``rate`` Hz (module docstring).

    ``min_samples`` is the length of one analysis frame at ``rate``: 200 is 25 ms at 8 kHz.

    Raises
    ------
    InputError
        No such file; a folder; not audio libsndfile reads; no frames; a NaN or infinite
        sample; silent (peak amplitude below 1e-4); fewer than ``min_samples`` samples at
        ``rate``.
    """
    check_positive_int("rate", rate)
    check_positive_int("min_samples", min_samples)
    name = str(path)
    if Path(path).is_dir():
        raise InputError(f"{name} is a folder, not a file")
    if not Path(path).is_file():
        raise InputError(f"{name}: no such file")
    try:
        frames, file_rate = soundfile.read(path, dtype="float32", always_2d=True)  # (T, C)
    except soundfile.SoundFileError as e:  # LibsndfileError, a RuntimeError
        why = getattr(e, "error_string", str(e)).rstrip(".")
        raise InputError(f"{name} is not audio that libsndfile reads ({why})") from None
    num_frames, num_channels = frames.shape
    if num_frames == 0:
        raise InputError(f"{name} is empty: it holds no audio frames")
    if not np.isfinite(frames).all():
        raise InputError(f"{name} holds NaN or infinite samples")
    notes = []
    samples = frames.mean(axis=1, dtype=np.float32)  # (T,)
    if num_channels > 1:
        notes.append(f"{name}: {num_channels} channels mixed down to mono")
    peak = float(np.abs(samples).max())
    if peak < SILENCE:
        raise InputError(f"{name} is silent: its peak amplitude {peak:.2g} is below {SILENCE:g}")
    if file_rate != rate:
        g = math.gcd(file_rate, rate)
        samples = resample_poly(samples, rate // g, file_rate // g).astype(np.float32)
        notes.append(f"{name}: resampled from {file_rate} Hz to {rate} Hz")
    if len(samples) < min_samples:
        frame_ms = 1000 * min_samples / rate
        raise InputError(f"{name} is too short: {len(samples)} samples at {rate} Hz, fewer than "
                         f"one analysis frame (min_samples={min_samples}, {frame_ms:g} ms)")
    beyond = int((np.abs(samples) > 1).sum())
    if beyond:
        samples = np.clip(samples, -1, 1)
        notes.append(f"{name}: {beyond} samples beyond ±1 clipped")
    return Recording(name, samples, rate, tuple(notes))


__all__ = ["Recording", "read_audio"]
