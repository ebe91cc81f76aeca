"""How the anomaly detector's defaults were chosen: on synthetic labelled streams, never NAB's.

Each setting is scored by the NAB standard profile's normalised score over a corpus of
:mod:`rnnkit.anomaly.synthetic` streams (every kind, ``--seeds`` streams of each), with NAB's
threshold optimised over that corpus. The forecaster is trained once per network setting; the
scoring settings (short window, quiet rows) are varied on its surprise.

    python benchmarks/anomaly_defaults.py --seeds 4
"""

import argparse
import itertools
import time

import pandas as pd

from rnnkit.anomaly import LabelledScores, StreamDetector, score_report, scored
from rnnkit.anomaly.synthetic import KINDS, synthetic_stream

NETWORKS = {"adapting (default)": {}, "never adapting": {"adapt_every": 0},
            "hidden 32": {"hidden_size": 32}, "lookback 64": {"lookback": 64}}
SHORT = (1, 3, 5, 10, 20)
QUIET = {"none": lambda p, short: 0, "short": lambda p, short: short,
         "probation": lambda p, short: p, "twice probation": lambda p, short: 2 * p}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=4, help="streams of each kind")
    parser.add_argument("--networks", nargs="*", default=list(NETWORKS),
                        help="network settings to try (names of NETWORKS)")
    args = parser.parse_args()
    streams = [(f"{kind}_{seed}", synthetic_stream(kind, seed=100 + seed))
               for kind, seed in itertools.product(KINDS, range(args.seeds))]
    rows = []
    for name in args.networks:
        started, fits = time.perf_counter(), []
        for key, stream in streams:
            detector = StreamDetector(**NETWORKS[name]).fit(stream.frame["value"].to_numpy())
            fits.append((key, stream, detector))
        seconds = time.perf_counter() - started
        for short, quiet in itertools.product(SHORT, QUIET):
            files = []
            for key, stream, d in fits:
                q = QUIET[quiet](d.probation_, short)
                _, alarmed = scored(d.surprise_, d.probation_, short, d.long, q)
                files.append(LabelledScores(key, list(stream.frame["timestamp"]), alarmed,
                                            stream.windows))
            corpus = score_report(files).corpus
            rows.append({"network": name, "short": short, "quiet": quiet,
                         **{p: round(corpus.loc[p, "normalised"], 1) for p in corpus.index},
                         "seconds": round(seconds, 1)})
            print(rows[-1], flush=True)
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
