"""`rnnkit forecast`'s defaults on stock tickers nobody tuned for: one ticker at a time.

A seeded random sample of the tickers of a long-format price file (the S&P 500 file of
Kaggle's "S&P 500 stock data", columns date, open, high, low, close, volume, Name) is forecast
one ticker at a time with the default job (close, horizon 1, the last 20% as test), exactly as
`rnnkit forecast --data FILE --id-column Name --series T --target close` runs it. For each, the
Diebold-Mariano verdict at 5% of the forecast handed out (`model`) and of the network alone
(`network`) against the naive forecast; the count of "loses to" verdicts is to be compared
with what chance gives at 5% (a binomial(n, 0.05) tail), and the MAE ratios to naive.

    python benchmarks/bench_tickers.py --data all_stocks_5yr.csv --tickers 30 --seed 0
"""

import argparse
import json
import statistics
import sys
import tempfile
from collections import Counter
from math import comb
from pathlib import Path

import pandas as pd
from _common import pin_threads

from rnnkit.cli import main


def run_ticker(data: str, ticker: str, out: Path) -> dict:
    """The default job on one ticker; its metrics.json."""
    code = main(["forecast", "--data", data, "--id-column", "Name", "--series", ticker,
                 "--target", "close", "--no-progress", "--out", str(out)])
    if code != 0:
        raise SystemExit(f"rnnkit forecast failed on {ticker} (exit {code})")
    return json.loads((out / "metrics.json").read_text())


def chance_tail(n: int, k: int, p: float = 0.05) -> float:
    """P(at least k of n independent tests at level p reject by chance)."""
    return sum(comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k, n + 1))


def main_(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="the long-format price file")
    parser.add_argument("--tickers", type=int, default=30, help="tickers sampled")
    parser.add_argument("--seed", type=int, default=0, help="seeds the sample of tickers")
    parser.add_argument("--threads", type=int, default=1, help="torch and BLAS threads")
    parser.add_argument("--out", default="", help="write the results as JSON here")
    args = parser.parse_args(argv)
    pin_threads(args.threads)
    names = pd.read_csv(args.data, usecols=["Name"])["Name"].drop_duplicates()
    sample = names.sample(args.tickers, random_state=args.seed).sort_values().tolist()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for ticker in sample:
            m = run_ticker(args.data, ticker, Path(tmp) / ticker)
            rows.append({"ticker": ticker,
                         "model": m["significance"]["naive"]["verdict"],
                         "network": m["significance_network"]["naive"]["verdict"],
                         "mae_ratio": m["model"]["mae"] / m["naive"]["mae"],
                         "network_mae_ratio": m["network"]["mae"] / m["naive"]["mae"],
                         "target_kind": m["encoding"]["target_kind"]})
            print(f"{ticker:6s} {rows[-1]['model']:28s} network: {rows[-1]['network']:28s} "
                  f"MAE/naive {rows[-1]['mae_ratio']:.3f} ({rows[-1]['target_kind']})",
                  flush=True)
    n = len(rows)
    for who in ("model", "network"):
        counts = Counter(r[who] for r in rows)
        loses = counts.get("loses to", 0)
        ratios = [r["mae_ratio" if who == "model" else "network_mae_ratio"] for r in rows]
        print(f"{who}: {dict(counts)} of {n}; P(>= {loses} 'loses to' by chance at 5%) = "
              f"{chance_tail(n, loses):.3f}; median MAE / naive {statistics.median(ratios):.4f}")
    if args.out:
        Path(args.out).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    sys.exit(main_())
