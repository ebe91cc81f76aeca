"""Echo state networks: rnnkit.reservoir.esn against ReservoirPy, Mackey-Glass one-step prediction.

Same data (rnnkit.reservoir.chaos.mackey_glass, τ = 17, standardised by the training part), same
shared hyperparameters (units, spectral radius 1.25, leak rate 0.3, ridge 1e-6, connectivity 0.1,
input scaling 1, washout 100, 2000 training steps), each library's own defaults for the rest
(ReservoirPy: ±1 input weights on 10% of the units, no bias; rnnkit: dense U(-1, 1) input
weights, bias U(-0.2, 0.2)). Threads (NumPy/SciPy BLAS and torch) are pinned to ``--threads``;
each library fits once, untimed, before any timing (imports, BLAS and ARPACK warm-up); then per
seed, in one run, the two alternate which goes first, and the script checks that both fitted
the same number of units on the same training steps:

- fit time: from constructing the network to a fitted readout (reservoir drawn, spectral radius
  computed, states collected, ridge solved);
- one-step NRMSE on the 500 held-out values (teacher forced, from the zero state);
- closed-loop steps within 10% of the series' range, from the end of the training part;
- the spectral radius each library actually gave W_hh (dense eigenvalues, first seed only).

``--costs`` times instead where rnnkit's fit goes, per size: one sparse product W_hh h of the
state loop (a block of MATVECS products, alternated with the next measure, medians) and the
spectral radius of W_hh (ARPACK, the 10 largest eigenvalues with a 60-vector subspace).

    pip install -e '.[bench]'        # reservoirpy==0.4.2
    python benchmarks/bench_esn.py --seeds 10 --units 500 2000
    python benchmarks/bench_esn.py --costs --units 500
    python benchmarks/bench_esn.py --seeds 1 --units 50 --libraries rnnkit   # a smoke test
"""

import argparse
import statistics
import time

import numpy as np
from _common import alternated, medians, pin_threads, same_work, timed, warm_up

from rnnkit.reservoir import Reservoir, spectral_radius_of
from rnnkit.reservoir.chaos import mackey_glass
from rnnkit.reservoir.esn import ESN
from rnnkit.reservoir.evaluation import nrmse, standardize

TRAIN, TEST, WASHOUT = 2000, 500, 100
SHARED = {"spectral_radius": 1.25, "leak_rate": 0.3, "ridge": 1e-6}
MATVECS = 1000  # sparse products per timed call of --costs


def costs(units: int, repeats: int) -> dict:
    """Microseconds of one W_hh h and milliseconds of W_hh's spectral radius at ``units``."""
    reservoir = Reservoir(1, units, spectral_radius=SHARED["spectral_radius"],
                          leak_rate=SHARED["leak_rate"], seed=0)
    weight_hh, h = reservoir.weight_hh, np.ones((units, 1))  # a state column, as in the loop

    def matvecs() -> None:
        for _ in range(MATVECS):
            weight_hh @ h
    sides = {"matvec": timed(matvecs), "radius": timed(lambda: spectral_radius_of(weight_hh))}
    warm_up(sides)
    seconds = medians(alternated(sides, repeats))
    result = {"units": units, "connections": weight_hh.nnz,
              "matvec_us": 1e6 * seconds["matvec"] / MATVECS, "radius_ms": 1e3 * seconds["radius"]}
    print(f"{units} units, {weight_hh.nnz:,} connections: one sparse W_hh h "
          f"{result['matvec_us']:.1f} us, the spectral radius (ARPACK) {result['radius_ms']:.1f} "
          f"ms (medians of {repeats})", flush=True)
    return result


def valid_steps(actual: np.ndarray, generated: np.ndarray, span: float) -> int:
    beyond = np.flatnonzero(np.abs(generated - actual) > 0.1 * span)
    return int(beyond[0]) if len(beyond) else len(actual)


def run_rnnkit(z: np.ndarray, units: int, seed: int) -> dict:
    start = time.perf_counter()
    esn = ESN(units=units, washout=WASHOUT, seed=seed, **SHARED).fit(z[: TRAIN - 1], z[1:TRAIN])
    seconds = time.perf_counter() - start
    one_step = esn.predict(z[:-1])[TRAIN - 1 :, 0]
    closed = esn.generate(TEST, warmup=z[:TRAIN])[:, 0]
    return {"seconds": seconds, "one_step": one_step, "closed": closed,
            "weight_hh": esn.reservoir_.weight_hh,
            "work": {"units": esn.reservoir_.weight_hh.shape, "readout": esn.weight_out_.shape}}


def run_reservoirpy(z: np.ndarray, units: int, seed: int) -> dict:
    from reservoirpy.nodes import Reservoir, Ridge

    x = z[:, None]
    start = time.perf_counter()
    reservoir = Reservoir(units, sr=SHARED["spectral_radius"], lr=SHARED["leak_rate"],
                          seed=seed)
    esn = reservoir >> Ridge(ridge=SHARED["ridge"])
    esn.fit(x[: TRAIN - 1], x[1:TRAIN], warmup=WASHOUT)
    seconds = time.perf_counter() - start
    esn.reset()
    one_step = esn.run(x[:-1])[TRAIN - 1 :, 0]
    esn.reset()
    y = esn.run(x[:TRAIN])[-1]
    closed = np.empty(TEST)
    for t in range(TEST):
        closed[t] = y[0]
        y = esn.step(y)
    readout = esn.nodes[-1].Wout  # (units, outputs)
    return {"seconds": seconds, "one_step": one_step, "closed": closed, "weight_hh": reservoir.W,
            "work": {"units": reservoir.W.shape, "readout": readout.T.shape}}


def radius(matrix) -> float:
    dense = matrix.toarray() if hasattr(matrix, "toarray") else np.asarray(matrix)
    return float(np.abs(np.linalg.eigvals(dense)).max())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10, help="seeds per reservoir size")
    parser.add_argument("--units", type=int, nargs="+", default=[500, 2000],
                        help="reservoir sizes")
    parser.add_argument("--threads", type=int, default=2, help="BLAS and torch threads")
    parser.add_argument("--libraries", nargs="+", default=["rnnkit", "reservoirpy"],
                        choices=["rnnkit", "reservoirpy"], help="which libraries to run")
    parser.add_argument("--costs", action="store_true",
                        help="time one sparse W_hh h and the spectral radius instead")
    args = parser.parse_args()
    pin_threads(args.threads)
    if args.costs:
        for units in args.units:
            costs(units, repeats=21)
        return

    series = mackey_glass(TRAIN + TEST, discard=500)
    z = standardize(series, TRAIN)[0]
    actual = z[TRAIN:]
    span = float(np.ptp(z[:TRAIN]))
    runners = {name: run for name, run in (("rnnkit", run_rnnkit),
                                           ("reservoirpy", run_reservoirpy))
               if name in args.libraries}
    for run in runners.values():  # warm-up, untimed
        run(z, min(args.units), 0)
    for units in args.units:
        results = {name: [] for name in runners}
        for seed in range(args.seeds):
            order = list(runners) if seed % 2 == 0 else list(runners)[::-1]  # alternate
            work = {}
            for name in order:
                r = runners[name](z, units, seed)
                work[name] = r["work"]
                results[name].append({
                    "seconds": r["seconds"], "nrmse": nrmse(actual, r["one_step"]),
                    "valid": valid_steps(actual, r["closed"], span),
                    "radius": radius(r["weight_hh"]) if seed == 0 else None})
            same_work("reservoir and readout shapes", **work)
        print(f"\n{units} units, {args.seeds} seeds, {TRAIN} training steps, {args.threads} "
              f"threads (medians; NRMSE min-max)")
        print(f"{'library':<12}{'fit s':>8}{'NRMSE':>10}{'NRMSE range':>22}{'closed loop':>13}"
              f"{'radius':>10}")
        for name, rows in results.items():
            scores = [r["nrmse"] for r in rows]
            print(f"{name:<12}{statistics.median(r['seconds'] for r in rows):>8.3f}"
                  f"{statistics.median(scores):>10.2e}"
                  f"{min(scores):>11.2e} - {max(scores):.2e}"
                  f"{statistics.median(r['valid'] for r in rows):>13.0f}"
                  f"{rows[0]['radius']:>10.5f}")
        if len(results) == 2:
            ratio = (statistics.median(r["seconds"] for r in results["reservoirpy"])
                     / statistics.median(r["seconds"] for r in results["rnnkit"]))
            print(f"fit speed-up rnnkit vs ReservoirPy: {ratio:.2f}x")


if __name__ == "__main__":
    main()
