"""Past one process: training throughput of the default global M4 Hourly run under torchrun.

One fixed slice of the default global run, `rnnkit forecast --data m4-hourly` with one model
(--ensemble 1) and no early stop (--patience 0): 60 epochs of 64 batches of 64 windows, the
budget of one ensemble member. Three ways to run it on the same machine:

    1 process x 1 thread     --threads 1
    1 process x 2 threads    --threads 2
    2 processes x 1 thread   torchrun --standalone --nproc-per-node 2 ... --threads 1 (DDP, gloo)

Throughput is the windows trained per second of the training loop, validation included,
read from the run's checkpoints/m0/history.jsonl (data preparation and scoring, done once
alike, are left out); rounds alternate the three, figures are medians over rounds.

    python benchmarks/bench_ddp.py --rounds 2 --out runs/bench_ddp.json
    python benchmarks/bench_ddp.py --rounds 2 --out runs/bench_ddp_256.json \
        --extra --batch-size 256 --steps 640
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

SLICE = ["--data", "m4-hourly", "--ensemble", "1", "--patience", "0", "--no-progress"]
TORCHRUN = [os.path.join(os.path.dirname(sys.executable), "torchrun"), "--standalone",
            "--nproc-per-node", "2"]
WAYS = {"1 process x 1 thread": ([sys.executable], ["--threads", "1"]),
        "1 process x 2 threads": ([sys.executable], ["--threads", "2"]),
        "2 processes x 1 thread (DDP)": (TORCHRUN, ["--threads", "1"])}


def windows_per_second(launcher: list[str], flags: list[str], out: Path) -> float:
    """Run the slice; the windows trained per second of its training loop."""
    subprocess.run([*launcher, "-m", "rnnkit", "forecast", *SLICE, *flags, "--out", str(out)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    records = [json.loads(line) for line in
               (out / "checkpoints" / "m0" / "history.jsonl").read_text().splitlines()]
    samples = sum(r["samples_per_s"] * r["seconds"] for r in records)
    return samples / sum(r["seconds"] for r in records)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", default="runs/bench_ddp.json")
    parser.add_argument("--extra", nargs=argparse.REMAINDER, default=[],
                        help="flags added to every run (e.g. --batch-size 256 --steps 640)")
    args = parser.parse_args()
    rates = {name: [] for name in WAYS}
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(args.rounds):
            for name, (launcher, flags) in WAYS.items():
                rates[name].append(windows_per_second(launcher, [*flags, *args.extra],
                                                      Path(tmp) / f"{k}"))
                print(f"round {k}: {name}: {rates[name][-1]:.0f} windows/s", flush=True)
    base = statistics.median(rates["1 process x 1 thread"])
    report = {name: {"windows_per_s": statistics.median(r), "runs": r,
                     "speedup": statistics.median(r) / base} for name, r in rates.items()}
    report["extra_flags"] = args.extra
    for name in WAYS:
        row = report[name]
        print(f"{name}: {row['windows_per_s']:.0f} windows/s, x{row['speedup']:.2f}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
