"""rnnkit forecast's defaults on the tutorial's AAPL split: test MAE against naive, and speed.

For each seed: fit the default Forecaster on the first ceil(0.8 N) rows, score the last 302 days
(lookback 60, horizon 1) beside the naive and drift forecasts. In the same run, time the
tutorial's own loop (nn.LSTM(1, 100), Linear, batch of one window, Adam 1e-3, MSE, MinMax scaling)
for a few epochs and scale to its 150 epochs; the speed-up is tutorial time / rnnkit fit time.

    python benchmarks/bench_forecast.py --seeds 5 --tutorial-epochs 2
"""

import argparse
import json
import math
import statistics
import time
from dataclasses import replace

import numpy as np
import torch
from torch import nn

from rnnkit.config import ForecastJob
from rnnkit.data import Scaler, make_windows
from rnnkit.forecast import backtest
from rnnkit.io import load_aapl
from rnnkit.jobs.forecast import build_forecaster


def tutorial_epoch_seconds(close: np.ndarray, epochs: int) -> float:
    """Seconds per epoch of the tutorial's loop: one window per optimizer step, batch of one."""
    train_len = math.ceil(len(close) * 0.8)
    scaled = Scaler("minmax").fit(close[:train_len, None]).transform(close[:train_len, None])
    x, y = make_windows(scaled, scaled[:, 0], 60, 1)
    x, y = torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)
    torch.manual_seed(0)
    lstm, linear = nn.LSTM(1, 100), nn.Linear(100, 1)
    params = [*lstm.parameters(), *linear.parameters()]
    optimizer = torch.optim.Adam(params, lr=0.001)
    start = time.perf_counter()
    for _ in range(epochs):
        for seq, label in zip(x, y, strict=True):
            optimizer.zero_grad()
            state = (torch.zeros(1, 1, 100), torch.zeros(1, 1, 100))
            out, _ = lstm(seq.view(len(seq), 1, -1), state)
            loss = nn.functional.mse_loss(linear(out.view(len(seq), -1))[-1], label)
            loss.backward()
            optimizer.step()
    return (time.perf_counter() - start) / epochs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1")
    parser.add_argument("--tutorial-epochs", type=int, default=2,
                        help="epochs of the tutorial's loop to time (scaled to 150)")
    parser.add_argument("--out", default="", help="write the rows as JSON here")
    args = parser.parse_args()
    torch.set_num_threads(2)
    frame = load_aapl()[["Close"]]
    rows = []
    for seed in range(args.seeds):
        start = time.perf_counter()
        job = ForecastJob()  # `rnnkit forecast`'s defaults, with this seed
        result = backtest(build_forecaster(replace(job, train=replace(job.train, seed=seed))),
                          frame)
        seconds = time.perf_counter() - start
        m = result.metrics
        rows.append({"seed": seed, "mae": m["model"]["mae"], "naive_mae": m["naive"]["mae"],
                     "drift_mae": m["drift"]["mae"], "skill": m["skill"], "seconds": seconds,
                     "epochs": len(result.forecaster.history_[0].records)})
        print(f"seed {seed}: MAE {rows[-1]['mae']:.4f} (naive {rows[-1]['naive_mae']:.4f}, "
              f"ratio {rows[-1]['mae'] / rows[-1]['naive_mae']:.4f}), skill {m['skill']:+.4f}, "
              f"{rows[-1]['epochs']} epochs, {seconds:.1f} s")
    per_epoch = tutorial_epoch_seconds(frame["Close"].to_numpy(), args.tutorial_epochs)
    tutorial = 150 * per_epoch
    fit_seconds = statistics.median(r["seconds"] for r in rows)
    ratios = [r["mae"] / r["naive_mae"] for r in rows]
    print(f"\nMAE / naive MAE over {args.seeds} seeds: mean {statistics.mean(ratios):.4f}, "
          f"min {min(ratios):.4f}, max {max(ratios):.4f}")
    print(f"model MAE: mean {statistics.mean(r['mae'] for r in rows):.4f}, spread (std) "
          f"{statistics.pstdev(r['mae'] for r in rows):.4f}; naive MAE {rows[0]['naive_mae']:.4f}")
    print(f"tutorial loop: {per_epoch:.2f} s/epoch -> {tutorial:.0f} s for 150 epochs; rnnkit "
          f"median {fit_seconds:.1f} s (fit + evaluation) -> {tutorial / fit_seconds:.0f}x faster")
    if args.out:
        with open(args.out, "w") as fh:
            json.dump({"rows": rows, "tutorial_seconds_150_epochs": tutorial}, fh, indent=2)


if __name__ == "__main__":
    main()
