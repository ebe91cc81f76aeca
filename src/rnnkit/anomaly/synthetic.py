"""Labelled synthetic streams: the validation corpus the detector's defaults are chosen on.

NAB's own files are the test; the detector's settings are chosen on streams made here, of the
kinds NAB holds (server metrics, counts, sensors, prices) with the kinds of anomaly it labels,
and windows sized by NAB's rule: together they cover 10% of the rows, each centred on one
anomaly's first row.

Streams (5-minute rows, a daily season of 288 rows where there is one):

==========  ===============================================================================
``daily``   a daily cycle with a slow drift and Gaussian noise (a machine's temperature)
``counts``  Poisson counts whose rate follows a daily cycle (tweets, taxi rides)
``walk``    a random walk with noise (prices, queue lengths)
``bursty``  a low level with frequent short harmless bursts (CPU utilisation)
==========  ===============================================================================

Anomalies: ``spike`` (one row far off), ``shift`` (the level moves and stays), ``noise`` (the
noise grows fourfold for a while), ``flat`` (the value sticks), ``cycle`` (the daily cycle
grows by half for a while, or vanishes in a stream without one: the level drops).

>>> stream = synthetic_stream("daily", seed=0)
>>> len(stream.frame), list(stream.frame.columns), len(stream.windows) >= 1
(4000, ['timestamp', 'value'], True)
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from rnnkit._checks import check_choice, check_positive_int

KINDS = ("daily", "counts", "walk", "bursty")
ANOMALIES = ("spike", "shift", "noise", "flat", "cycle")
DAY = 288  # 5-minute rows


@dataclass(frozen=True)
class LabelledStream:
    """A stream (``frame``: timestamp text, value), its anomaly windows [(start, end)] as
    timestamps of the frame, and the anomalies' first rows."""

    frame: pd.DataFrame
    windows: list[tuple[str, str]]
    onsets: list[int]


def synthetic_stream(kind: str, rows: int = 4000, anomalies: int = 2, seed: int = 0
                     ) -> LabelledStream:
    """A stream of ``kind`` with ``anomalies`` anomalies of random kinds after its first 20%
    of rows, one in the middle half of each of ``anomalies`` equal parts, so that no two
    windows overlap (module docstring)."""
    check_choice("kind", kind, KINDS)
    check_positive_int("rows", rows)
    check_positive_int("anomalies", anomalies)
    rng = np.random.default_rng(seed)
    t = np.arange(rows)
    cycle = np.sin(2 * np.pi * (t / DAY + rng.uniform()))
    if kind == "daily":
        level, noise = 50 + 10 * cycle + np.cumsum(rng.normal(0, 0.02, rows)), 1.0
    elif kind == "counts":
        level, noise = 40 + 25 * cycle, 0.0
    elif kind == "walk":
        level, noise = 100 + np.cumsum(rng.normal(0, 0.3, rows)), 0.5
    else:
        bursts = np.convolve(rng.random(rows) < 0.01, np.ones(6), mode="same")
        level, noise = 5 + 15 * bursts, 0.5
    change = np.zeros(rows)  # added to the level
    scale = np.ones(rows)  # multiplies the noise
    edges = np.linspace(0.2 * rows, rows - 50, anomalies + 1)  # one anomaly in each part's
    onsets = [int(rng.uniform(a + (b - a) / 4, b - (b - a) / 4))  # middle half: no overlaps
              for a, b in zip(edges[:-1], edges[1:], strict=True)]
    stuck = []
    for onset in onsets:
        what = rng.choice(ANOMALIES)
        span = slice(onset, min(rows, onset + int(rng.integers(DAY // 4, DAY))))
        spread = float(np.std(np.diff(level))) + noise + 1.0
        if what == "spike":
            change[onset] += rng.choice([-1, 1]) * 12 * spread
        elif what == "shift":
            change[onset:] += rng.choice([-1, 1]) * 6 * spread
        elif what == "noise":
            scale[span] *= 4.0
        elif what == "flat":
            stuck.append(span)
        elif kind in ("daily", "counts"):
            change[span] += 0.5 * (level[span] - np.mean(level))
        else:
            change[span] -= 5 * spread
    mean = level + change
    if kind == "counts":
        values = rng.poisson(np.maximum(mean, 1.0) * scale ** 0.5).astype(float)
    else:
        values = mean + noise * scale * rng.standard_normal(rows)
    for span in stuck:
        values[span] = values[span.start]
    times = pd.date_range("2020-01-01", periods=rows, freq="5min").strftime("%Y-%m-%d %H:%M:%S")
    width = max(1, int(0.1 * rows / anomalies))
    windows = [(times[max(0, o - width // 2)], times[min(rows - 1, o + width // 2)])
               for o in onsets]
    frame = pd.DataFrame({"timestamp": times, "value": np.round(values, 4)})
    return LabelledStream(frame, windows, onsets)


__all__ = ["ANOMALIES", "KINDS", "LabelledStream", "synthetic_stream"]
