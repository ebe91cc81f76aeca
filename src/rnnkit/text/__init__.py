"""rnnkit.text: character-level language models. ``CharModel`` (the estimator), the
vocabulary, sampling, and the model folder of a trained ``CharLM``."""

from rnnkit.text.charlm import (
    CharVocab,
    generate,
    load_char_folder,
    load_char_model,
    save_char_model,
)
from rnnkit.text.estimator import CharModel, stream_split

__all__ = ["CharModel", "CharVocab", "generate", "load_char_folder", "load_char_model",
           "save_char_model", "stream_split"]
