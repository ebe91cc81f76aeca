"""rnnkit.speech: recognising speech with a bidirectional recurrent network trained by CTC.

:mod:`.features` (log-mel frames, per-utterance normalisation, SpecAugment's masks; torch's
STFT), :mod:`.model` (:class:`AcousticModel`: a bidirectional GRU/LSTM over stacked frames,
log-probabilities over CTC's blank and the labels), :mod:`.decoding` (greedy and prefix beam
search, edit distance, the digit error rate), :mod:`.data` (connected digit strings joined from
isolated recordings, their batches), :mod:`.recognizer` (:class:`SpeechRecognizer`).
Recordings are read by :func:`rnnkit.io.read_audio`.

>>> from rnnkit.speech import SpeechRecognizer, beam_search
"""

from rnnkit.speech.data import StringBatches, draw_strings, join, padded
from rnnkit.speech.decoding import beam_search, digit_error_rate, edit_distance, greedy
from rnnkit.speech.features import FeatureConfig, log_mel, mel, mel_filterbank, spec_augment
from rnnkit.speech.model import AcousticModel, ctc_loss
from rnnkit.speech.recognizer import SpeechRecognizer

__all__ = ["AcousticModel", "FeatureConfig", "SpeechRecognizer", "StringBatches",
           "beam_search", "ctc_loss", "digit_error_rate", "draw_strings", "edit_distance",
           "greedy", "join", "log_mel", "mel", "mel_filterbank", "padded", "spec_augment"]
