"""`rnnkit classify` on the UCR archive's ECG200, beside the published figures.

Every row is the default `rnnkit classify` (5 networks of a bidirectional LSTM averaged, each
step reading 12 values, Gaussian input noise 0.3, 150 epochs) with one thing changed: the
pooling (mean is the default, last, attention) or the model (the echo state network). Each is
run with seeds 0 .. N-1 (the seed draws the weights, the batch order, the noise and the
validation parts); the table shows the mean test accuracy, its standard deviation over the
seeds, the mean balanced accuracy and the mean wall time of one run. The published accuracies
(mean of 5 runs; Fawaz et al. 2019 for the networks, Dau et al. 2019 for 1-NN) are printed
beside them. 1-NN Euclidean and the majority class are computed by rnnkit on the same split.

Nothing else should run on the machine meanwhile: the times are the runs' own.

    python benchmarks/bench_classify.py --seeds 5 [--data TRAIN --test-data TEST] [--only mean]
"""

import argparse
import statistics
import time

from rnnkit.cli.config import ClassifyJob
from rnnkit.cli.flags import job_with
from rnnkit.cli.jobs import classify

PUBLISHED = {"MLP": 0.914, "FCN": 0.888, "Encoder": 0.884, "ResNet": 0.874,
             "ESN (TWIESN)": 0.874, "1-NN Euclidean": 0.880}
VARIANTS = {  # name: the flags changed from the defaults
    "mean (default)": {}, "last": {"pooling": "last"}, "attention": {"pooling": "attention"},
    "esn": {"model": "esn"},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="runs per row, seeds 0 .. N-1")
    parser.add_argument("--data", default="ecg200", help="training file (default: ECG200)")
    parser.add_argument("--test-data", default="", help="test file")
    parser.add_argument("--only", default="", help="run only the rows whose name starts so")
    parser.add_argument("--out", default="runs/bench_classify", help="scratch output folder")
    args = parser.parse_args()
    base = ClassifyJob(data=args.data, test_data=args.test_data, progress=False, out=args.out)
    baselines = None
    print(f"| {'model':<16} | accuracy (sd) | balanced | seconds/run | per seed |")
    print(f"|{'-' * 18}|---------------|----------|-------------|----------|")
    for name, flags in VARIANTS.items():
        if not name.startswith(args.only):
            continue
        accuracy, balanced, seconds = [], [], []
        for seed in range(args.seeds):
            job = job_with(base, flags | {"seed": seed})
            started = time.perf_counter()
            metrics = classify.run(job).metrics
            seconds.append(time.perf_counter() - started)
            accuracy.append(metrics["model"]["accuracy"])
            balanced.append(metrics["model"]["balanced_accuracy"])
            baselines = baselines or {who: metrics[who]["accuracy"]
                                      for who in ("nn1_euclidean", "majority")}
        spread = statistics.pstdev(accuracy)
        print(f"| {name:<16} | {statistics.mean(accuracy):.3f} ({spread:.3f}) | "
              f"{statistics.mean(balanced):.3f}    | {statistics.mean(seconds):11.1f} | "
              f"{', '.join(f'{a:.2f}' for a in accuracy)} |", flush=True)
    if baselines:
        print(f"rnnkit on the same split: 1-NN Euclidean {baselines['nn1_euclidean']:.3f}, "
              f"majority {baselines['majority']:.3f}")
    print("published (ECG200, mean of 5 runs): "
          + ", ".join(f"{k} {v:.3f}" for k, v in PUBLISHED.items()))


if __name__ == "__main__":
    main()
