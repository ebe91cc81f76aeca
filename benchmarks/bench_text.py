"""Character-model training speed: rnnkit (CharLM + rnnkit.train) against a plain PyTorch loop.

The plain loop trains the same architecture built from torch.nn.LSTM (embedding, 2 x 256 LSTM,
tied output layer) on the same consecutive Tiny Shakespeare chunks with the same optimizer,
clipping and carried state. Interleaved repeats, medians; tokens/s = batch x seq_len x chunks / s.

    python benchmarks/bench_text.py --chunks 40 --repeats 3
"""

import argparse
import statistics
import time
from importlib import resources

import torch
import torch.nn.functional as F
from bench_tbptt import plain_loop  # the same reference loop (benchmarks/ is on sys.path)
from torch import nn

from rnnkit.batches import StreamBatches
from rnnkit.models import CharLM
from rnnkit.text import CharVocab
from rnnkit.train import TrainConfig, train


class TorchCharLM(nn.Module):
    def __init__(self, vocab_size: int, hidden: int, layers: int) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, hidden)
        self.rnn = nn.LSTM(hidden, hidden, layers, batch_first=True)
        self.head = nn.Linear(hidden, vocab_size)
        self.head.weight = self.embedding.weight

    def forward(self, x, y, state=None):
        out, state = self.rnn(self.embedding(x), state)
        logits = self.head(out)
        return logits, F.cross_entropy(logits.flatten(0, 1), y.flatten()), state


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=40, help="optimizer steps per run")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    text = (resources.files("rnnkit.datasets") / "tinyshakespeare.txt").read_text("utf-8")
    vocab = CharVocab.from_text(text)
    ids = vocab.encode(text)
    batches = StreamBatches(ids[:-1], ids[1:], 32, 128)
    cfg = TrainConfig(epochs=1, steps=args.chunks, learning_rate=2e-3, patience=0,
                      lr_schedule="constant")
    times = {"torch.nn loop": [], "rnnkit": []}
    for _ in range(args.repeats):
        torch.manual_seed(0)
        ours = CharLM(len(vocab), 256, 2)
        reference = TorchCharLM(len(vocab), 256, 2)
        reference.load_state_dict(ours.state_dict())
        start = time.perf_counter()
        plain_loop(reference, batches, 2e-3, args.chunks)
        times["torch.nn loop"].append(time.perf_counter() - start)
        start = time.perf_counter()
        train(ours, batches, cfg)
        times["rnnkit"].append(time.perf_counter() - start)
    tokens = args.chunks * 32 * 128
    for name, ts in times.items():
        print(f"{name:>14}: {tokens / statistics.median(ts):,.0f} tokens/s")
    ratio = statistics.median(times["torch.nn loop"]) / statistics.median(times["rnnkit"])
    print(f"rnnkit / torch.nn loop throughput: {ratio:.3f}")


if __name__ == "__main__":
    main()
