"""Sequence to sequence with attention: a bidirectional recurrent encoder, a recurrent decoder
that attends to it (additive or multiplicative), and greedy and beam search.

Token ids in, token ids out: any token-to-token job can use it (:mod:`rnnkit.translate`
does, with subword vocabularies).
"""

from rnnkit.seq2seq.attention import AdditiveAttention, MultiplicativeAttention
from rnnkit.seq2seq.model import BOS, EOS, PAD, Memory, Seq2Seq
from rnnkit.seq2seq.search import beam_search, greedy, length_penalty

__all__ = ["BOS", "EOS", "PAD", "AdditiveAttention", "Memory", "MultiplicativeAttention",
           "Seq2Seq", "beam_search", "greedy", "length_penalty"]
