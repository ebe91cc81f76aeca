"""rnnkit forecast's defaults on the tutorial's AAPL split: test MAE against naive, and speed.

Accuracy: for each seed, fit the default Forecaster on the first ceil(0.8 N) rows and score the
last 302 days (lookback 60, horizon 1) beside the naive and drift forecasts; the wall time of
each (fit + scoring, after one untimed warm-up fit) is reported, not compared.

Speed, at equal work: the tutorial's loop (nn.LSTM(1, 100) + Linear, one window per optimizer
step, Adam 1e-3, MSE, no clipping) against rnnkit.training.loop on the same model (the same initial
weights), the same windows (MinMax-scaled Close on the training rows, lookback 60), the same
optimizer and the same number of epochs, in mini-batches of 64: only the loop and the batching
differ. Each side is warmed up once, then timed ``--repeats`` times in alternating order; the
script checks that both train the same hidden size for the same epochs over the same windows.

    python benchmarks/bench_forecast.py --seeds 5 --epochs 2 --repeats 3
"""

import argparse
import copy
import json
import math
import statistics
import time
from dataclasses import replace

import numpy as np
import torch
from _common import pin_threads, rounds, same_work
from torch import nn

from rnnkit.cli.config import ForecastJob
from rnnkit.cli.jobs.forecast import checked_forecaster, fit_selected
from rnnkit.forecast.backtesting import backtest
from rnnkit.forecast.metrics import skill
from rnnkit.forecast.windows import make_windows
from rnnkit.io import load_aapl
from rnnkit.nn.models import SequenceRegressor
from rnnkit.training.batches import Batches
from rnnkit.training.loop import TrainConfig, train
from rnnkit.training.scaling import Scaler

LOOKBACK, HIDDEN = 60, 100  # the tutorial's


def tutorial_windows(close: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The tutorial's inputs: Close MinMax-scaled on the training rows, windows of 60 -> 1."""
    train_len = math.ceil(len(close) * 0.8)
    scaled = Scaler("minmax").fit(close[:train_len, None]).transform(close[:train_len, None])
    return make_windows(scaled, scaled[:, 0], LOOKBACK, 1)


def tutorial_loop(lstm: nn.LSTM, linear: nn.Linear, x: torch.Tensor, y: torch.Tensor,
                  epochs: int) -> dict:
    """The tutorial's loop: one window per optimizer step, batch of one, zero initial state."""
    optimizer = torch.optim.Adam([*lstm.parameters(), *linear.parameters()], lr=1e-3)
    steps = 0
    for _ in range(epochs):
        for seq, label in zip(x, y, strict=True):
            optimizer.zero_grad()
            state = (torch.zeros(1, 1, lstm.hidden_size), torch.zeros(1, 1, lstm.hidden_size))
            out, _ = lstm(seq.view(len(seq), 1, -1), state)
            loss = nn.functional.mse_loss(linear(out.view(len(seq), -1))[-1], label)
            loss.backward()
            optimizer.step()
            steps += 1
    return {"hidden_size": lstm.hidden_size, "epochs": epochs, "windows": len(x),
            "steps": steps}


def rnnkit_loop(model: SequenceRegressor, x: np.ndarray, y: np.ndarray, epochs: int) -> dict:
    """rnnkit.training.loop on the same windows: batches of 64, the same Adam, no clipping."""
    cfg = TrainConfig(epochs=epochs, batch_size=64, learning_rate=1e-3, grad_clip=0.0,
                      lr_schedule="constant", patience=0)
    batches = Batches(x, y, cfg.batch_size)
    history = train(model, batches, cfg)
    return {"hidden_size": model.rnn.hidden_size, "epochs": len(history.records),
            "windows": batches.num_samples, "steps": len(history.steps)}


def speed(close: np.ndarray, epochs: int, repeats: int) -> dict:
    """Seconds per epoch of both loops on the same model, windows and epochs."""
    x, y = tutorial_windows(close)
    torch.manual_seed(0)
    lstm, linear = nn.LSTM(1, HIDDEN), nn.Linear(HIDDEN, 1)
    initial = SequenceRegressor(1, hidden_size=HIDDEN)
    initial.rnn.load_state_dict(lstm.state_dict())  # the same weights on both sides
    initial.head.load_state_dict(linear.state_dict())
    xt, yt = torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)

    def run(side: str, n_epochs: int, windows: int | None = None) -> tuple[float, dict]:
        started = time.perf_counter()
        if side == "tutorial":
            work = tutorial_loop(copy.deepcopy(lstm), copy.deepcopy(linear), xt[:windows],
                                 yt[:windows], n_epochs)
        else:
            work = rnnkit_loop(copy.deepcopy(initial), x[:windows], y[:windows], n_epochs)
        return time.perf_counter() - started, work

    for side in ("tutorial", "rnnkit"):  # warm-up: allocator, oneDNN primitives
        run(side, 1, windows=128)
    seconds: dict[str, list[float]] = {"tutorial": [], "rnnkit": []}
    work = {}
    for side in rounds(list(seconds), repeats):
        elapsed, work[side] = run(side, epochs)
        seconds[side].append(elapsed)
    for what in ("hidden_size", "epochs", "windows"):
        same_work(what, **{side: w[what] for side, w in work.items()})
    per_epoch = {side: statistics.median(s) / epochs for side, s in seconds.items()}
    return {"per_epoch": per_epoch, "work": work, "epochs": epochs, "repeats": repeats}


def default_fit(job: ForecastJob, frame):
    """`rnnkit forecast`'s fit (settings chosen on validation) and its backtest."""
    forecaster, _ = fit_selected(job, checked_forecaster(job, frame, {"test_size": 0}), frame)
    return backtest(forecaster, frame, job.test_fraction, refit=False)


def accuracy(frame, seeds: int) -> list[dict]:
    job = ForecastJob()  # `rnnkit forecast`'s defaults
    default_fit(replace(job, train=replace(job.train, epochs=1)), frame)  # warm-up
    rows = []
    for seed in range(seeds):
        start = time.perf_counter()
        result = default_fit(replace(job, train=replace(job.train, seed=seed)), frame)
        seconds = time.perf_counter() - start
        m = result.metrics
        rows.append({"seed": seed, "mae": m["model"]["mae"], "naive_mae": m["naive"]["mae"],
                     "drift_mae": m["drift"]["mae"], "skill": m["skill"],
                     "drift_skill": skill(m["drift"]["mse"], m["naive"]["mse"]), "seconds": seconds,
                     "epochs": len(result.forecaster.history_[0].records)})
        print(f"seed {seed}: MAE {rows[-1]['mae']:.4f} (naive {rows[-1]['naive_mae']:.4f}, "
              f"ratio {rows[-1]['mae'] / rows[-1]['naive_mae']:.4f}), skill {m['skill']:+.4f}, "
              f"{rows[-1]['epochs']} epochs, {seconds:.1f} s", flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1 (0: skip accuracy)")
    parser.add_argument("--epochs", type=int, default=2,
                        help="epochs both loops train in the speed comparison")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per loop")
    parser.add_argument("--threads", type=int, default=2, help="torch and BLAS threads")
    parser.add_argument("--out", default="", help="write the results as JSON here")
    args = parser.parse_args()
    pin_threads(args.threads)
    frame = load_aapl()[["Close"]]
    results = {"threads": args.threads}
    if args.seeds:
        rows = results["rows"] = accuracy(frame, args.seeds)
        ratios = [r["mae"] / r["naive_mae"] for r in rows]
        print(f"\nMAE / naive MAE over {args.seeds} seeds: mean {statistics.mean(ratios):.4f}, "
              f"min {min(ratios):.4f}, max {max(ratios):.4f}")
        print(f"model MAE: mean {statistics.mean(r['mae'] for r in rows):.4f}, spread (std) "
              f"{statistics.pstdev(r['mae'] for r in rows):.4f}; naive MAE "
              f"{rows[0]['naive_mae']:.4f}; drift MAE {rows[0]['drift_mae']:.4f} (skill "
              f"{rows[0]['drift_skill']:+.3f}); defaults' wall time (fit + scoring) "
              f"{min(r['seconds'] for r in rows):.1f}-{max(r['seconds'] for r in rows):.1f} s")
    s = results["speed"] = speed(frame["Close"].to_numpy(), args.epochs, args.repeats)
    tutorial, ours = s["per_epoch"]["tutorial"], s["per_epoch"]["rnnkit"]
    w = s["work"]
    print(f"\nequal work: LSTM({w['rnnkit']['hidden_size']}) + Linear, {w['rnnkit']['windows']} "
          f"windows, {args.epochs} epochs, Adam 1e-3, median of {args.repeats} alternated runs, "
          f"{args.threads} threads")
    print(f"tutorial loop (batch 1, {w['tutorial']['steps']} steps): {tutorial:.2f} s/epoch "
          f"-> {150 * tutorial:.0f} s for the tutorial's 150 epochs")
    print(f"rnnkit.training.loop (batch 64, {w['rnnkit']['steps']} steps): {ours:.3f} s/epoch -> "
          f"{150 * ours:.1f} s for 150 epochs; {tutorial / ours:.0f}x faster per epoch")
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(results, fh, indent=2)


if __name__ == "__main__":
    main()
