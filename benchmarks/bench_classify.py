"""`rnnkit classify` on the UCR archive's ECG200, beside the published figures.

Every row is the default `rnnkit classify` (5 networks of a bidirectional LSTM averaged, each
step reading 12 values, Gaussian input noise 0.3, 150 epochs) with one thing changed: the
pooling (mean is the default, last, attention) or the model (the echo state network). Each is
run with seeds 0 .. N-1 (the seed draws the weights, the batch order, the noise and the
validation parts); the table shows the mean test accuracy, its standard deviation over the
seeds, the mean balanced accuracy and the median wall time of one run. The published accuracies
(mean of 5 runs; Fawaz et al. 2019 for the networks, Dau et al. 2019 for 1-NN) are printed
beside them. 1-NN Euclidean and the majority class are computed by rnnkit on the same split.

Nothing else should run on the machine meanwhile: the times are the runs' own. Threads (torch,
BLAS) are pinned to ``--threads`` (1: what rnnkit's policy picks for this network), every row
runs once untimed with one network of one epoch (imports, allocator, kernels), then the rows
alternate within each seed, the order reversed every other seed; seconds are medians.

    python benchmarks/bench_classify.py --seeds 5 [--data TRAIN --test-data TEST] [--only mean]
    python benchmarks/bench_classify.py --quick       # a smoke test: one seed, tiny budgets
"""

import argparse
import itertools
import statistics
from collections.abc import Callable

from _common import alternated, medians, pin_threads, timed, warm_up

from rnnkit.cli.config import ClassifyJob
from rnnkit.cli.flags import job_with
from rnnkit.cli.jobs import classify

PUBLISHED = {"MLP": 0.914, "FCN": 0.888, "Encoder": 0.884, "ResNet": 0.874,
             "ESN (TWIESN)": 0.874, "1-NN Euclidean": 0.880}
VARIANTS = {  # name: the flags changed from the defaults
    "mean (default)": {}, "last": {"pooling": "last"}, "attention": {"pooling": "attention"},
    "esn": {"model": "esn"},
}
WARM_UP = {"epochs": 1, "ensemble": 1}  # the untimed first run of every row
QUICK = {"epochs": 2, "ensemble": 1}


def variant(base: ClassifyJob, flags: dict, metrics: list[dict]) -> Callable[[], None]:
    """A side of ``alternated``: its k-th call runs the job with ``flags`` and seed k, and
    appends the run's metrics to ``metrics``."""
    seeds = itertools.count()

    def run() -> None:
        metrics.append(classify.run(job_with(base, flags | {"seed": next(seeds)})).metrics)
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="runs per row, seeds 0 .. N-1")
    parser.add_argument("--data", default="ecg200", help="training file (default: ECG200)")
    parser.add_argument("--test-data", default="", help="test file")
    parser.add_argument("--only", default="", help="run only the rows whose name starts so")
    parser.add_argument("--threads", type=int, default=1, help="torch and BLAS threads")
    parser.add_argument("--out", default="runs/bench_classify", help="scratch output folder")
    parser.add_argument("--quick", action="store_true",
                        help="one seed, one network of two epochs (checks the script, not a "
                             "result)")
    args = parser.parse_args()
    threads = pin_threads(args.threads)
    base = ClassifyJob(data=args.data, test_data=args.test_data, progress=False, out=args.out)
    base = job_with(base, {"threads": threads} | (QUICK if args.quick else {}))
    seeds = 1 if args.quick else args.seeds
    rows = {name: flags for name, flags in VARIANTS.items() if name.startswith(args.only)}
    warm_up({name: variant(base, flags | WARM_UP, []) for name, flags in rows.items()})
    metrics = {name: [] for name in rows}
    seconds = medians(alternated(
        {name: timed(variant(base, flags, metrics[name])) for name, flags in rows.items()},
        seeds))
    print(f"| {'model':<16} | accuracy (sd) | balanced | seconds/run | per seed |")
    print(f"|{'-' * 18}|---------------|----------|-------------|----------|")
    for name, runs in metrics.items():
        accuracy = [m["model"]["accuracy"] for m in runs]
        balanced = [m["model"]["balanced_accuracy"] for m in runs]
        print(f"| {name:<16} | {statistics.mean(accuracy):.3f} "
              f"({statistics.pstdev(accuracy):.3f}) | {statistics.mean(balanced):.3f}    | "
              f"{seconds[name]:11.1f} | {', '.join(f'{a:.2f}' for a in accuracy)} |")
    print(f"seconds: medians of {seeds} alternated run(s), {threads} thread(s)")
    if metrics:
        first = next(iter(metrics.values()))[0]
        print(f"rnnkit on the same split: 1-NN Euclidean {first['nn1_euclidean']['accuracy']:.3f}"
              f", majority {first['majority']['accuracy']:.3f}")
    print("published (ECG200, mean of 5 runs): "
          + ", ".join(f"{k} {v:.3f}" for k, v in PUBLISHED.items()))


if __name__ == "__main__":
    main()
