"""rnnkit.io.audio: one recording read as mono float32 at the asked rate, or one clear error."""

import numpy as np
import pytest
import soundfile

from rnnkit._checks import InputError
from rnnkit.io.audio import Recording, read_audio

QUANTUM = 1 / 2**15  # one step of 16-bit PCM


def _tone(rate: int, seconds: float = 0.1, hz: float = 440.0, amplitude: float = 0.5):
    t = np.arange(round(rate * seconds)) / rate
    return (amplitude * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def _peak_hz(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[spectrum.argmax()])


# ---------------------------------------------------------------------------------------------
# what is read


@pytest.mark.parametrize("name", ["tone.wav", "tone.flac"])
def test_a_mono_file_at_the_rate_reads_back_as_written(tmp_path, name):
    path = tmp_path / name
    tone = _tone(8000)
    soundfile.write(path, tone, 8000, subtype="PCM_16")
    recording = read_audio(path)
    assert isinstance(recording, Recording)
    assert (recording.source, recording.rate, recording.notes) == (str(path), 8000, ())
    assert recording.samples.dtype == np.float32 and recording.samples.shape == tone.shape
    np.testing.assert_allclose(recording.samples, tone, atol=QUANTUM)


def test_stereo_is_mixed_down_to_the_mean_of_its_channels(tmp_path):
    path = tmp_path / "stereo.wav"
    left, right = _tone(8000, amplitude=0.6), _tone(8000, hz=1000, amplitude=0.2)
    soundfile.write(path, np.stack([left, right], axis=1), 8000, subtype="PCM_16")
    recording = read_audio(path)
    np.testing.assert_allclose(recording.samples, (left + right) / 2, atol=QUANTUM)
    assert recording.notes == (f"{path}: 2 channels mixed down to mono",)


def test_16_khz_is_resampled_to_8_khz_and_keeps_its_pitch(tmp_path):
    path = tmp_path / "wide.wav"
    soundfile.write(path, _tone(16000, seconds=0.5), 16000, subtype="PCM_16")
    recording = read_audio(path, rate=8000)
    assert recording.rate == 8000 and recording.samples.dtype == np.float32
    assert abs(len(recording.samples) - 8000 * 0.5) <= 1
    assert abs(_peak_hz(recording.samples, 8000) - 440) <= 2  # 2 Hz bins over 0.5 s
    assert recording.notes == (f"{path}: resampled from 16000 Hz to 8000 Hz",)


def test_samples_the_filter_carries_beyond_one_are_clipped(tmp_path):
    path = tmp_path / "square.wav"
    square = np.sign(_tone(44100, amplitude=1.0)).astype(np.float32)
    soundfile.write(path, square, 44100, subtype="FLOAT")
    recording = read_audio(path)
    assert np.abs(recording.samples).max() <= 1
    assert recording.notes[0] == f"{path}: resampled from 44100 Hz to 8000 Hz"
    assert recording.notes[1].endswith("beyond ±1 clipped")


# ---------------------------------------------------------------------------------------------
# what is refused, in one line naming the file


def _wav(tmp_path, samples, rate: int = 8000, subtype: str = "PCM_16"):
    path = tmp_path / "bad.wav"
    soundfile.write(path, np.asarray(samples, dtype=np.float32), rate, subtype=subtype)
    return path


def _refused(path, match: str, **kwargs) -> str:
    with pytest.raises(InputError, match=match) as caught:
        read_audio(path, **kwargs)
    message = str(caught.value)
    assert str(path) in message and "\n" not in message
    return message


def test_a_missing_file(tmp_path):
    _refused(tmp_path / "nowhere.wav", "no such file")


def test_a_folder(tmp_path):
    _refused(tmp_path, "is a folder, not a file")


def test_a_text_file_named_wav(tmp_path):
    path = tmp_path / "notes.wav"
    path.write_text("these are notes, not sound\n")
    _refused(path, r"is not audio that libsndfile reads \(Format not recognised\)")


def test_a_wav_with_no_frames(tmp_path):
    _refused(_wav(tmp_path, []), "is empty: it holds no audio frames")


def test_an_all_zeros_wav_is_silent(tmp_path):
    _refused(_wav(tmp_path, np.zeros(8000)), "is silent: its peak amplitude 0 is below 0.0001")


def test_ten_samples_are_too_short_for_one_frame(tmp_path):
    message = _refused(_wav(tmp_path, _tone(8000)[:10] + 0.1), "is too short: 10 samples")
    assert "min_samples=200, 25 ms" in message


def test_too_short_counts_the_samples_after_resampling(tmp_path):
    path = _wav(tmp_path, _tone(16000)[:300] + 0.1, rate=16000)  # 300 at 16 kHz: 150 at 8 kHz
    _refused(path, "is too short: 150 samples at 8000 Hz")


def test_non_finite_samples(tmp_path):
    samples = _tone(8000)
    samples[100] = np.nan
    _refused(_wav(tmp_path, samples, subtype="FLOAT"), "holds NaN or infinite samples")


def test_the_rate_and_frame_length_must_be_positive_ints(tmp_path):
    path = _wav(tmp_path, _tone(8000))
    with pytest.raises(InputError, match="rate must be a positive int"):
        read_audio(path, rate=0)
    with pytest.raises(InputError, match="min_samples must be a positive int"):
        read_audio(path, min_samples=0)
