"""Reservoir states for classification: rnnkit's batched collection against ReservoirPy's run.

The same reservoir on both sides: rnnkit.reservoir.Reservoir draws W_hh, W_xh and b (with
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
features, max |difference| printed: ~1e-16 for the states and the float64 features, ~1e-7 for
the float32 ones. The headline compares the two libraries at the same precision, float64
(ReservoirPy's own; given float32 weights it still returns float64 states, and is slower);
rnnkit in float32, what ``ReservoirClassifier`` runs, is its own row, with its speed-up over
rnnkit in float64 and over ReservoirPy. Threads (BLAS, torch) are pinned to ``--threads``,
each side runs once untimed, then ``--rounds`` rounds alternate the order of the three sides;
medians, and ratios against the sides measured in the same invocation.

    pip install -e '.[bench]'        # reservoirpy==0.4.2
    python benchmarks/bench_esn_classify.py --units 500 2000 --rounds 7
    python benchmarks/bench_esn_classify.py --quick              # a smoke test: 100 units, once
"""

import argparse
import statistics
from pathlib import Path

import numpy as np
from _common import alternated, medians, pin_threads, same_work, speedups, timed, warm_up

from rnnkit.classify.reservoir import ReservoirClassifier
from rnnkit.reservoir import Reservoir, reservoir_features

DATA = Path(__file__).resolve().parents[1] / "src" / "rnnkit" / "datasets"
TOLERANCE = {"states": 1e-10, "float64 features": 1e-10, "float32 features": 1e-5}
RNNKIT, RESERVOIRPY, RNNKIT32 = "rnnkit float64", "ReservoirPy float64", "rnnkit float32"


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


def rnnkit_features(reservoir: Reservoir, x: np.ndarray, dtype=np.float64) -> np.ndarray:
    return reservoir_features(reservoir, x, np.full(len(x), x.shape[1]), dtype)


def reservoirpy_features(node, series: list[np.ndarray]) -> np.ndarray:
    node.reset()  # every series from the zero state, as rnnkit's
    states = node.run(series)  # list of (T, N)
    return np.stack([np.concatenate([s[-1], s.mean(axis=0)]) for s in states])


def check_same_states(ours: Reservoir, theirs, x: np.ndarray) -> None:
    """Max |difference| over all states and over the features; exits if it is not tiny."""
    series = list(x)
    theirs.reset()
    all_theirs = np.stack(theirs.run(series))  # (B, T, N)
    reference = reservoirpy_features(theirs, series)
    gaps = {"states": abs(ours.run(x) - all_theirs).max(),
            "float64 features": abs(rnnkit_features(ours, x) - reference).max(),
            "float32 features": abs(rnnkit_features(ours, x, np.float32) - reference).max()}
    print("max |rnnkit - ReservoirPy|: " + ", ".join(f"{k} {v:.1e}" for k, v in gaps.items()))
    if any(gaps[k] > TOLERANCE[k] for k in gaps):
        raise SystemExit(f"the two reservoirs differ by {gaps}, more than {TOLERANCE}: not the "
                         "same computation")


def compare(units: int, seed: int, x: np.ndarray, repeats: int) -> dict[str, float]:
    """Median seconds of the three sides on ``units`` units (after the checks and a warm-up)."""
    ours, theirs = reservoirs(units, seed)
    check_same_states(ours, theirs, x)
    series = list(x)
    sides = {RNNKIT: lambda: rnnkit_features(ours, x),
             RESERVOIRPY: lambda: reservoirpy_features(theirs, series),
             RNNKIT32: lambda: rnnkit_features(ours, x, np.float32)}
    same_work("features (series, 2 x units)",
              **{name: features.shape for name, features in warm_up(sides).items()})
    seconds = alternated({name: timed(run) for name, run in sides.items()}, repeats)
    for name, values in seconds.items():
        print(f"  {name:<20}{statistics.median(values):>8.3f} s   ({min(values):.3f} - "
              f"{max(values):.3f})")
    return medians(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, nargs="+", default=[500], help="reservoir sizes")
    parser.add_argument("--rounds", type=int, default=7, help="timed runs per side")
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS and torch threads (SciPy's sparse product uses one)")
    parser.add_argument("--seed", type=int, default=0, help="draws the reservoir")
    parser.add_argument("--quick", action="store_true",
                        help="100 units, one round (checks the script, not a result)")
    args = parser.parse_args()
    pin_threads(args.threads)
    units, repeats = ([100], 1) if args.quick else (args.units, args.rounds)
    x = ecg200()
    rows = {}
    for n in units:
        print(f"{n} units, {len(x)} series x {x.shape[1]} steps, {args.threads} thread(s), "
              f"median of {repeats} alternated round(s):")
        rows[n] = compare(n, args.seed, x, repeats)
    print("| units | precision | rnnkit | ReservoirPy | rnnkit faster by |")
    print("|---|---|---|---|---|")
    for n, seconds in rows.items():
        over_float64, over_reservoirpy = speedups(seconds, RNNKIT), speedups(seconds, RESERVOIRPY)
        print(f"| {n} | float64 both (like for like) | {seconds[RNNKIT]:.3f} s | "
              f"{seconds[RESERVOIRPY]:.3f} s | {over_reservoirpy[RNNKIT]:.1f}x |")
        print(f"| {n} | rnnkit float32 (ReservoirClassifier's default; "
              f"{over_float64[RNNKIT32]:.1f}x its float64) | {seconds[RNNKIT32]:.3f} s | "
              f"{seconds[RESERVOIRPY]:.3f} s (float64) | {over_reservoirpy[RNNKIT32]:.1f}x |")

if __name__ == "__main__":
    main()
