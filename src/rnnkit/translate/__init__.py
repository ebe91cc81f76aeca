"""Translation: sentence pairs read and split by source sentence, subword vocabularies that
round-trip, a :class:`Translator` over :mod:`rnnkit.seq2seq`, the baselines it is scored
beside, and sacrebleu's BLEU and chrF against every reference.
"""

from rnnkit.translate.baselines import WordByWord, copy_source
from rnnkit.translate.pairs import Pairs, read_pairs, references, split_by_source
from rnnkit.translate.scores import corpus_scores
from rnnkit.translate.tokens import Subwords
from rnnkit.translate.translator import TranslateConfig, Translator

__all__ = ["Pairs", "Subwords", "TranslateConfig", "Translator", "WordByWord", "copy_source",
           "corpus_scores", "read_pairs", "references", "split_by_source"]
