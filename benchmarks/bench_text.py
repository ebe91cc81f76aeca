"""Character-model training speed: rnnkit (CharLM + training.loop) against a plain PyTorch loop.

The plain loop trains the same architecture built from torch.nn.LSTM (embedding, 2 x 256 LSTM,
tied output layer) from the same weights on the same consecutive Tiny Shakespeare chunks with
the same optimizer, clipping and carried state. Each side is warmed up once on a few chunks
(which also checks that both end with the same weights, within float tolerance: both run
torch's fused LSTM kernel), then timed ``--repeats`` times in alternating order with torch's
and BLAS's threads pinned; the sizes and optimizer steps are checked equal. Medians;
tokens/s = batch x seq_len x chunks / s.

    python benchmarks/bench_text.py --chunks 40 --repeats 3
"""

import argparse
import statistics
import time
from dataclasses import replace
from importlib import resources

import torch
import torch.nn.functional as F
from _common import pin_threads, rounds, same_work
from bench_tbptt import plain_loop  # the same reference loop (benchmarks/ is on sys.path)
from torch import nn

from rnnkit.nn.models import CharLM
from rnnkit.text.charlm import CharVocab
from rnnkit.training.batches import StreamBatches
from rnnkit.training.loop import TrainConfig, train


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
    parser.add_argument("--threads", type=int, default=2, help="torch and BLAS threads")
    parser.add_argument("--hidden-size", type=int, default=256)
    parser.add_argument("--num-layers", type=int, default=2)
    args = parser.parse_args()
    pin_threads(args.threads)
    text = (resources.files("rnnkit.datasets") / "tinyshakespeare.txt").read_text("utf-8")
    vocab = CharVocab.from_text(text)
    ids = vocab.encode(text)
    batches = StreamBatches(ids[:-1], ids[1:], 32, 128)
    cfg = TrainConfig(epochs=1, steps=args.chunks, learning_rate=2e-3, patience=0,
                      lr_schedule="constant")

    def run(name: str, chunks: int) -> tuple[float, int, nn.Module]:
        torch.manual_seed(0)
        ours = CharLM(len(vocab), args.hidden_size, args.num_layers)
        model = ours
        if name == "torch.nn loop":
            model = TorchCharLM(len(vocab), args.hidden_size, args.num_layers)
            model.load_state_dict(ours.state_dict())
            same_work("sizes", **{side: (m.rnn.hidden_size, m.rnn.num_layers, sum(
                p.numel() for p in m.parameters())) for side, m in (("rnnkit", ours),
                                                                      (name, model))})
        start = time.perf_counter()
        if name == "torch.nn loop":
            steps = plain_loop(model, batches, cfg.learning_rate, chunks)
        else:
            steps = len(train(model, batches, replace(cfg, steps=chunks)).steps)
        return time.perf_counter() - start, steps, model

    names = ["torch.nn loop", "rnnkit"]
    warm = {name: run(name, 3) for name in names}
    close = all(torch.allclose(p, q, rtol=1e-4, atol=1e-5) for p, q in zip(
        warm[names[0]][2].state_dict().values(), warm["rnnkit"][2].state_dict().values(),
        strict=True))
    times: dict[str, list[float]] = {name: [] for name in names}
    steps = {}
    for name in rounds(names, args.repeats):
        seconds, steps[name], _ = run(name, args.chunks)
        times[name].append(seconds)
    same_work("optimizer steps", **steps)
    tokens = steps["rnnkit"] * 32 * 128
    print(f"LSTM {args.num_layers} x {args.hidden_size}, {steps['rnnkit']} chunks of 32 x 128, "
          f"{args.threads} threads, median of {args.repeats} alternated runs; the same weights "
          f"after the warm-up's 3 steps: {close}")
    for name, ts in times.items():
        print(f"{name:>14}: {tokens / statistics.median(ts):,.0f} tokens/s")
    ratio = statistics.median(times["torch.nn loop"]) / statistics.median(times["rnnkit"])
    print(f"rnnkit / torch.nn loop throughput: {ratio:.3f}")
    if not close:
        raise SystemExit("the two loops did not compute the same steps")


if __name__ == "__main__":
    main()
