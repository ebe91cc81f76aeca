"""Reservoir states for classification: rnnkit's batched collection against ReservoirPy's run.

The same reservoir on both sides: rnnkit.reservoir.esn.Reservoir draws W_hh, W_xh and b (with
ReservoirClassifier's defaults: spectral radius, leak rate, input scaling), and the very same
arrays, leak rate and activation go into a ReservoirPy 0.4.2 ``Reservoir(W=..., Win=...,
bias=..., lr=...)`` node. Both read the same series: ECG200's 100 training and 100 test
heartbeats, 200 series x 96 steps, each from the zero state.

- rnnkit: ``reservoir_features`` (what ``ReservoirClassifier.fit`` runs), all 200 series at
  once, one sparse (N, N) x dense (N, 200) product per step, giving each series'
  [h_{T_i}, mean of h_t] as it goes;
- ReservoirPy: ``reservoir.run(list_of_series)``, how its users run many series (one sparse
  mat-vec per series per step), then the same two summaries of each returned (96, N) array.

Before any timing the script checks that both sides give the same states: all 96 states of
every series (rnnkit's ``Reservoir.run`` on the batch against ReservoirPy's outputs) and the
features, max |difference| printed: ~1e-12 for the states (both in float64), ~1e-6 for the
features (rnnkit collects them in float32, as ReservoirClassifier does). Then threads (BLAS,
torch) are pinned to ``--threads``, each side runs once untimed, and ``--rounds`` rounds
alternate which side goes first; the medians and their ratio are printed.

    pip install -e '.[bench]'        # reservoirpy==0.4.2
    python benchmarks/bench_esn_classify.py --units 500 2000 --rounds 7
    python benchmarks/bench_esn_classify.py --rounds 2                 # a smoke test
"""

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
from _common import pin_threads, rounds, same_work

from rnnkit.classify.reservoir import ReservoirClassifier, reservoir_features
from rnnkit.reservoir.esn import Reservoir

DATA = Path(__file__).resolve().parents[1] / "src" / "rnnkit" / "datasets"
TOLERANCE = {"states": 1e-10, "features": 1e-5}  # float64 states; float32 features


def ecg200() -> np.ndarray:
    """The 200 ECG200 heartbeats (train, then test) as (200, 96, 1); labels dropped."""
    parts = [np.loadtxt(DATA / f"ECG200_{p}.tsv", delimiter="\t")[:, 1:] for p in
             ("TRAIN", "TEST")]
    return np.concatenate(parts)[:, :, None]


def reservoirs(units: int, seed: int):
    """An rnnkit Reservoir and a ReservoirPy node holding the same weights."""
    from reservoirpy.nodes import Reservoir as RpyReservoir

    defaults = ReservoirClassifier(units=units, seed=seed).get_params()
    ours = Reservoir(1, units, spectral_radius=defaults["spectral_radius"],
                     leak_rate=defaults["leak_rate"], input_scaling=defaults["input_scaling"],
                     bias_scaling=defaults["bias_scaling"],
                     connectivity=defaults["connectivity"], activation=defaults["activation"],
                     seed=seed)
    theirs = RpyReservoir(units, lr=ours.leak_rate, W=ours.weight_hh, Win=ours.weight_ih,
                          bias=ours.bias, activation=ours.activation, input_dim=1)
    theirs.initialize(np.zeros((1, 1)))  # keeps the given arrays; sets the zero state
    return ours, theirs


def rnnkit_features(reservoir: Reservoir, x: np.ndarray) -> np.ndarray:
    return reservoir_features(reservoir, x, np.full(len(x), x.shape[1]))


def reservoirpy_features(node, series: list[np.ndarray]) -> np.ndarray:
    node.reset()  # every series from the zero state, as rnnkit's
    states = node.run(series)  # list of (T, N)
    return np.stack([np.concatenate([s[-1], s.mean(axis=0)]) for s in states])


def check_same_states(ours: Reservoir, theirs, x: np.ndarray) -> float:
    """Max |difference| over all states and over the features; exits if it is not tiny."""
    series = list(x)
    theirs.reset()
    all_theirs = np.stack(theirs.run(series))  # (B, T, N)
    states = abs(ours.run(x) - all_theirs).max()
    features = abs(rnnkit_features(ours, x) - reservoirpy_features(theirs, series)).max()
    print(f"max |rnnkit - ReservoirPy|: all states {states:.1e}, features {features:.1e}")
    if states > TOLERANCE["states"] or features > TOLERANCE["features"]:
        raise SystemExit(f"the two reservoirs differ by {states:.1e} (states), {features:.1e} "
                         f"(features), more than {TOLERANCE}: not the same computation")
    return max(states, features)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, nargs="+", default=[500], help="reservoir sizes")
    parser.add_argument("--rounds", type=int, default=7, help="timed runs per side")
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS and torch threads (SciPy's sparse product uses one)")
    parser.add_argument("--seed", type=int, default=0, help="draws the reservoir")
    args = parser.parse_args()
    pin_threads(args.threads)
    x = ecg200()
    series = list(x)
    for units in args.units:
        ours, theirs = reservoirs(units, args.seed)
        check_same_states(ours, theirs, x)
        sides = {"rnnkit": lambda r=ours: rnnkit_features(r, x),
                 "reservoirpy": lambda n=theirs: reservoirpy_features(n, series)}
        same_work("features (series, 2 x units)",
                  **{name: run().shape for name, run in sides.items()})  # also the warm-up
        seconds = {name: [] for name in sides}
        for name in rounds(list(sides), args.rounds):
            start = time.perf_counter()
            sides[name]()
            seconds[name].append(time.perf_counter() - start)
        medians = {name: statistics.median(s) for name, s in seconds.items()}
        print(f"{units} units, {len(x)} series x {x.shape[1]} steps, {args.threads} thread(s), "
              f"median of {args.rounds}:")
        for name, median in medians.items():
            print(f"  {name:<12}{median:>8.3f} s   ({min(seconds[name]):.3f} - "
                  f"{max(seconds[name]):.3f})")
        print(f"  rnnkit is {medians['reservoirpy'] / medians['rnnkit']:.1f}x faster")


if __name__ == "__main__":
    main()
