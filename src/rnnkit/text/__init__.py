"""rnnkit.text: character-level language models. The vocabulary, sampling, and the model
folder of a trained ``CharLM``."""

from rnnkit.text.charlm import CharVocab, generate, load_char_model, save_char_model

__all__ = ["CharVocab", "generate", "load_char_model", "save_char_model"]
