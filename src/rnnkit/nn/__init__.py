"""rnnkit.nn: the maths. Cells, layers drop-in for their torch.nn namesakes, the hand-written
BPTT, initialisation, constraints on W_hh, the heads built on layers, gradient diagnostics.

>>> from rnnkit.nn import LSTM
>>> import torch
>>> out, (h, c) = LSTM(3, 8, batch_first=True)(torch.zeros(2, 5, 3))
>>> tuple(out.shape)
(2, 5, 8)
"""

from rnnkit.nn.cells import GRUCell, LSTMCell, RNNCell
from rnnkit.nn.constraints import apply_spectral_norm_, clamp_recurrent_spectrum_
from rnnkit.nn.diagnostics import GradientFlowTracker, diagnose, gradient_flow
from rnnkit.nn.dilated import DilatedGRU, DilatedLSTM, DilatedRNN
from rnnkit.nn.init import seeded
from rnnkit.nn.layers import GRU, LSTM, RNN
from rnnkit.nn.models import (
    CharLM,
    ModelConfig,
    PooledClassifier,
    SequenceRegressor,
    SequenceTagger,
    recurrent_layer,
)
from rnnkit.nn.recurrent import RecurrentLayer

__all__ = ["GRU", "LSTM", "RNN", "CharLM", "DilatedGRU", "DilatedLSTM", "DilatedRNN", "GRUCell",
           "GradientFlowTracker", "LSTMCell", "ModelConfig", "PooledClassifier", "RNNCell",
           "RecurrentLayer", "SequenceRegressor", "SequenceTagger", "apply_spectral_norm_",
           "clamp_recurrent_spectrum_", "diagnose", "gradient_flow", "recurrent_layer", "seeded"]
