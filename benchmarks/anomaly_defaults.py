"""How the anomaly detector's defaults were chosen: on synthetic labelled streams, never NAB's.

Each setting is scored by the NAB profiles' normalised scores over a corpus of
:mod:`rnnkit.anomaly.synthetic` streams (every kind, ``--seeds`` streams of each), with NAB's
threshold optimised over that corpus.

1. The forecaster: each network setting is trained on every stream and scored with the default
   scoring.
2. The scoring, on the default forecaster's errors: the surprise (the error ratio r_t itself,
   or its tail in decades capped at c), the short window and the quiet rows.

    python benchmarks/anomaly_defaults.py --seeds 4
"""

import argparse
import itertools
import time

import numpy as np
import pandas as pd

from rnnkit.anomaly import LabelledScores, StreamDetector, score_report, scored
from rnnkit.anomaly.detector import tail_decades
from rnnkit.anomaly.synthetic import KINDS, synthetic_stream

NETWORKS = {"GRU 16, lookback 32, adapting (default)": {},
            "the same, never adapting": {"adapt_every": 0},
            "GRU 32": {"hidden_size": 32}, "lookback 64": {"lookback": 64}}
SURPRISES = {"error ratio": None, "decades, cap 3": 3.0, "decades, cap 4": 4.0,
             "decades, cap 6": 6.0}
SHORT = (2, 3, 4, 5, 10)
QUIET = {"none": 0, "probation": 1, "twice probation": 2}  # multiples of the probationary rows


def corpus_score(fits, surprise: float | None, short: int, quiet: int) -> dict[str, float]:
    """Each profile's normalised score of the fitted detectors under one scoring."""
    files = []
    for key, stream, d in fits:
        e = d.error_ratio_ if surprise is None else tail_decades(d.error_ratio_, surprise)
        _, alarmed = scored(e, d.probation_, short, d.long, quiet * d.probation_)
        files.append(LabelledScores(key, list(stream.frame["timestamp"]), alarmed,
                                    stream.windows))
    corpus = score_report(files).corpus
    return {p: round(float(corpus.loc[p, "normalised"]), 1) for p in corpus.index}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=4, help="streams of each kind")
    args = parser.parse_args()
    streams = [(f"{kind}_{seed}", synthetic_stream(kind, seed=100 + seed))
               for kind, seed in itertools.product(KINDS, range(args.seeds))]
    rows, default_fits = [], None
    for name, params in NETWORKS.items():
        started = time.perf_counter()
        fits = [(key, s, StreamDetector(**params).fit(s.frame["value"].to_numpy()))
                for key, s in streams]
        seconds = time.perf_counter() - started
        d = fits[0][2]
        rows.append({"forecaster": name, **corpus_score(fits, d.cap, d.short, 1),
                     "seconds": round(seconds)})
        print(rows[-1], flush=True)
        default_fits = default_fits or fits
    print(pd.DataFrame(rows).to_string(index=False))
    rows = [{"surprise": surprise, "short": short, "quiet": quiet,
             **corpus_score(default_fits, SURPRISES[surprise], short, QUIET[quiet])}
            for surprise, short, quiet in itertools.product(SURPRISES, SHORT, QUIET)]
    table = pd.DataFrame(rows).sort_values("standard", ascending=False)
    print(table.to_string(index=False))
    print("best:", table.iloc[0].to_dict(), "; mean over the grid:",
          round(float(np.mean(table["standard"])), 1))


if __name__ == "__main__":
    main()
