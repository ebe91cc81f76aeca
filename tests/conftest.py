"""Settings for the whole suite.

One thread per process for torch's and NumPy's thread pools: the suite's tensors are tiny, so a
second intra-op thread only adds hand-offs, and on a busy machine its spinning workers multiply
the run time (layers, cells, BPTT and backtests: 19 s with one thread, 101 s with two, on two
loaded cores). pytest loads this file before any test module imports torch or NumPy, which read
the variable as they load; a value already in the environment is kept. What the library does
with threads is tested explicitly in test_runtime.py.
"""

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
