"""rnnkit.nn: the recurrent cells and layers, drop-in for their torch.nn namesakes.

>>> from rnnkit.nn import LSTM
>>> import torch
>>> out, (h, c) = LSTM(3, 8, batch_first=True)(torch.zeros(2, 5, 3))
>>> tuple(out.shape)
(2, 5, 8)
"""

from rnnkit.cells import GRUCell, LSTMCell, RNNCell
from rnnkit.layers import GRU, LSTM, RNN

__all__ = ["GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "RNNCell"]
