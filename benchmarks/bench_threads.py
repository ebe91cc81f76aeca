"""Threads that don't fight: the data behind rnnkit's thread policy, and two runs side by side.

    steps       one LSTM training step (forward, backward, Adam) at several sizes, 1 thread
                against 2, in this process: the speed-up a second thread buys against the
                step's work (multiply-adds per time step, rnnkit.training.runtime.recurrent_work),
                which sets rnnkit.training.runtime.WORK_PER_THREAD
    together    `rnnkit forecast` (the default run on the bundled AAPL data) alone, then two of
                them started at the same moment: with the default policy and with --threads
                set to the cores (what torch does by default); wall time of each child

Rounds alternate the settings; figures are medians over rounds. Run it on an idle machine:

    python benchmarks/bench_threads.py --rounds 3 --out runs/bench_threads.json
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SIZES = [(16, 64, 60, 1), (32, 64, 60, 1), (64, 64, 60, 1), (128, 64, 60, 1),
         (64, 256, 168, 1), (256, 32, 128, 2)]  # (hidden, batch, steps, layers)


def step_seconds(threads: int, hidden: int, batch: int, length: int, layers: int,
                 repeats: int = 15) -> float:
    """Median seconds of one training step of an LSTM regressor with ``threads`` threads."""
    import torch

    from rnnkit.nn.models import SequenceRegressor

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = SequenceRegressor(3, output_size=1, cell="lstm", hidden_size=hidden,
                              num_layers=layers)
    optimizer = torch.optim.Adam(model.parameters())
    x, y = torch.randn(batch, length, 3), torch.randn(batch, 1)

    def step():
        _, loss, _ = model(x, y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    for _ in range(3):
        step()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        step()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def steps_table(rounds: int) -> list[dict]:
    from rnnkit.training.runtime import default_threads, recurrent_work

    rows = []
    for hidden, batch, length, layers in SIZES:
        ratios, one = [], []
        for _ in range(rounds):
            a, b = step_seconds(1, hidden, batch, length, layers), step_seconds(
                2, hidden, batch, length, layers)
            ratios.append(a / b)
            one.append(a)
        work = recurrent_work("lstm", hidden, batch, layers, 3)
        rows.append({"hidden": hidden, "batch": batch, "steps": length, "layers": layers,
                     "work": work, "ms_1_thread": 1e3 * statistics.median(one),
                     "speedup_2_threads": statistics.median(ratios),
                     "policy_threads_on_2_cores": default_threads(work, cores=2, processes=1)})
        r = rows[-1]
        print(f"LSTM H={hidden} B={batch} T={length} layers={layers}: work {work:.2g}, "
              f"{r['ms_1_thread']:.1f} ms/step, 2 threads x{r['speedup_2_threads']:.2f}, "
              f"policy {r['policy_threads_on_2_cores']}", flush=True)
    return rows


def forecasts(count: int, flags: list[str], folder: Path) -> list[float]:
    """Start ``count`` default forecasts at once; the wall time of each."""
    command = [sys.executable, "-m", "rnnkit", "forecast", "--no-progress", *flags]
    started = time.perf_counter()
    children = [subprocess.Popen([*command, "--out", str(folder / f"run{k}")],
                                 stdout=subprocess.DEVNULL) for k in range(count)]
    seconds = []
    for child in children:
        child.wait()
        if child.returncode:
            raise SystemExit(f"rnnkit forecast failed: exit {child.returncode}")
        seconds.append(time.perf_counter() - started)
    return seconds


def together_table(rounds: int) -> dict:
    cores = len(os.sched_getaffinity(0))
    settings = {"default policy": [], f"--threads {cores} (torch's default)": [
        "--threads", str(cores)]}
    times = {name: {"alone": [], "together": []} for name in settings}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(rounds):
            for name, flags in settings.items():
                times[name]["alone"] += forecasts(1, flags, Path(tmp))
                times[name]["together"] += forecasts(2, flags, Path(tmp))
    result = {}
    for name, t in times.items():
        alone, together = statistics.median(t["alone"]), statistics.median(t["together"])
        result[name] = {"alone_s": alone, "together_s": together, "ratio": together / alone,
                        "runs": t}
        print(f"{name}: alone {alone:.1f} s, two together {together:.1f} s each "
              f"(x{together / alone:.2f})", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", nargs="*", default=["steps", "together"])
    parser.add_argument("--out", default="runs/bench_threads.json")
    args = parser.parse_args()
    report = {}
    if "steps" in args.only:
        report["steps"] = steps_table(args.rounds)
    if "together" in args.only:
        report["together"] = together_table(args.rounds)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
