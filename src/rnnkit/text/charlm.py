"""Character-level text: the vocabulary and sampling from a language model.

The model, :class:`rnnkit.nn.models.CharLM`, reads characters x_1..x_T and predicts each next
one; it is trained by truncated BPTT on consecutive chunks of the text
(rnnkit.training.batches.StreamBatches), with the loss in nats per character (bits = nats /
ln 2). Here: :class:`CharVocab` (characters to ids and back), :func:`generate` (priming,
temperature, top-k, streaming) and the model folder; :mod:`rnnkit.text.estimator` trains one.
"""

import math
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from rnnkit._checks import InputError, check_in_range, check_positive_int
from rnnkit.io.files import load_model, rebuilding, save_model
from rnnkit.nn.models import CharLM, ModelConfig
from rnnkit.training.loop import TrainConfig
from rnnkit.training.runtime import device_of


class CharVocab:
    """The characters of a training text, each with an id (sorted order); saved with the model.

    Characters outside the vocabulary are refused with an error naming them: a model cannot
    read or write a symbol it was never trained on.

    >>> vocab = CharVocab.from_text("hello")
    >>> vocab.decode(vocab.encode("hole"))
    'hole'
    """

    def __init__(self, chars: str) -> None:
        self.chars = chars
        self.index = {c: i for i, c in enumerate(chars)}

    @classmethod
    def from_text(cls, text: str) -> "CharVocab":
        if not text:
            raise InputError("the corpus is empty")
        return cls("".join(sorted(set(text))))

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str, what: str = "text") -> np.ndarray:
        unknown = sorted(set(text) - self.index.keys())
        if unknown:
            raise InputError(f"{what} has characters the model never saw: "
                             f"{''.join(unknown)!r}")
        return np.fromiter((self.index[c] for c in text), dtype=np.int64, count=len(text))

    def decode(self, ids) -> str:
        return "".join(self.chars[int(i)] for i in ids)


def next_id(logits: Tensor, temperature: float, top_k: int, generator: torch.Generator) -> int:
    """Draw one id from softmax(logits / temperature), restricted to the top_k largest (0 = all).

    Temperature → 0 tends to the argmax; a tiny temperature is treated as argmax exactly.
    """
    if temperature < 1e-6:
        return int(logits.argmax())
    if top_k:
        kth = torch.topk(logits, min(top_k, logits.numel())).values[-1]
        logits = logits.masked_fill(logits < kth, -math.inf)
    probs = torch.softmax(logits / temperature, dim=-1)
    return int(torch.multinomial(probs, 1, generator=generator))


@torch.no_grad()
def generate(model: CharLM, vocab: CharVocab, prompt: str, length: int, *,
             temperature: float = 0.8, top_k: int = 0, seed: int = 0,
             on_text: Callable[[str], None] | None = None) -> str:
    """Prime the model with ``prompt``, then sample ``length`` characters one at a time.

    Each new character is fed back as the next input, carrying the state (one step per
    character). ``on_text`` receives every character as it is produced (streaming). Returns the
    generated text, without the prompt.
    """
    check_positive_int("length", length)
    check_in_range("temperature", temperature, 0.0, 100.0, low_open=True)
    if top_k < 0:
        raise InputError(f"top_k must be >= 0, got {top_k}")
    if not prompt:
        raise InputError("prompt must not be empty (it primes the model)")
    device = device_of(model)
    ids = torch.from_numpy(vocab.encode(prompt, "prompt"))[None].to(device)  # (1, P)
    was_training = model.training
    model.eval()
    generator = torch.Generator().manual_seed(seed)  # on the CPU, whatever the model's device
    logits, _, state = model(ids)
    out = []
    for _ in range(length):
        i = next_id(logits[0, -1].float().cpu(), temperature, top_k, generator)
        out.append(vocab.chars[i])
        if on_text is not None:
            on_text(out[-1])
        logits, _, state = model(torch.tensor([[i]], device=device), None, state)
    model.train(was_training)
    return "".join(out)


PROMPT_CHARACTERS = 40  # the longest default prompt taken from a corpus


def default_prompt(text: str) -> str:
    r"""The start of the corpus's first line that is not blank (at most 40 characters).

    >>> default_prompt("\n\nFirst Citizen:\nBefore we proceed")
    'First Citizen:'
    """
    line = next((line.strip() for line in text.splitlines() if line.strip()), text[:1])
    return line[:PROMPT_CHARACTERS] or text[:1]


def save_char_model(path: str | Path, model: CharLM, vocab: CharVocab,
                    network: ModelConfig, prompt: str = "", run: dict | None = None,
                    params: dict | None = None) -> None:
    """Write a trained CharLM, its vocabulary, its stack and its default ``prompt`` as an
    rnnkit model folder; ``run`` (how it was trained: device, processes) is kept for the
    record, ``params`` (a CharModel's other hyperparameters) for rebuilding it."""
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    config = {"vocab": vocab.chars, "network": asdict(network),
              "prompt": prompt or vocab.chars[0], "run": run or {}}
    save_model(path, "CharLM", tensors, config | ({"params": params} if params else {}))


def load_char_folder(path: str | Path) -> tuple[CharLM, CharVocab, str, ModelConfig, dict]:
    """The model (in eval mode), vocabulary, default prompt, stack and other hyperparameters
    (``params``, {} when the folder records none) of a folder written by
    :func:`save_char_model`."""
    tensors, config = load_model(path, "CharLM")
    with rebuilding(path):
        vocab = CharVocab(config["vocab"])
        network = ModelConfig(**config["network"])
        model = CharLM(len(vocab), **config["network"])
        model.load_state_dict(tensors)
        params = dict(config.get("params", {}))
        if "train" in params:
            params["train"] = TrainConfig(**params["train"])
        return model.eval(), vocab, config.get("prompt") or vocab.chars[0], network, params


def load_char_model(path: str | Path) -> tuple[CharLM, CharVocab, str]:
    """The model (in eval mode), vocabulary and default prompt of a folder written by
    :func:`save_char_model`."""
    return load_char_folder(path)[:3]
