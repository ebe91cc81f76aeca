"""Stopping a run at the same point on every run, in this process or in a real one.

:func:`stop_run` arms once a training run has written ``after_checkpoints`` epoch checkpoints
and stops it as its next optimizer step starts; :func:`stop_at_call` stops whatever runs at
the n-th call of a function (e.g. the n-th trial of a study). A stop is a signal sent to this
process (SIGINT, SIGTERM, SIGKILL), or :data:`KILL`: raising :class:`Killed`, which stands for
SIGKILL in-process (nothing of the run goes on). The run itself reaches the point, so it never
finishes before its stop, however loaded the machine is.

Run as a script it is ``rnnkit`` stopped by :func:`stop_run`, in a real process::

    python tests/stopping.py SIGKILL forecast --epochs 8 ...   # exits as the signal says
"""

import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rnnkit.training import loop

KILL = "kill"


class Killed(BaseException):
    """The run was stopped as SIGKILL stops it (a BaseException, as nothing catches SIGKILL:
    the library's ``except Exception`` clauses let it through)."""


def _stop(how: int | str) -> None:
    if how == KILL:
        raise Killed
    os.kill(os.getpid(), how)


@contextmanager
def _wrapped(owner, name: str, wrap: Callable[[Callable], Callable]) -> Iterator[None]:
    original = getattr(owner, name)
    setattr(owner, name, wrap(original))
    try:
        yield
    finally:
        setattr(owner, name, original)


@contextmanager
def stop_at_call(owner, name: str, call: int, how: int | str) -> Iterator[dict]:
    """Within the block, ``owner.name`` stops the run (``how``) as it is called the ``call``-th
    time, before it runs. Yields a record whose ``"stopped"`` says whether that happened."""
    record = {"calls": 0, "stopped": False}

    def wrap(function):
        def stopping(*args, **kwargs):
            record["calls"] += 1
            if record["calls"] == call:
                record["stopped"] = True
                _stop(how)
            return function(*args, **kwargs)
        return stopping

    with _wrapped(owner, name, wrap):
        yield record


@contextmanager
def stop_run(how: int | str, after_checkpoints: int = 2) -> Iterator[dict]:
    """Within the block, the training run stops (``how``) as its first optimizer step after its
    ``after_checkpoints``-th epoch checkpoint starts: a signal is then acted on after that step,
    inside the epoch. Yields a record whose ``"stopped"`` says whether that happened."""
    record = {"checkpoints": 0, "stopped": False}

    def counting(save_checkpoints):
        def save(*args, **kwargs):
            save_checkpoints(*args, **kwargs)
            partial = args[7] if len(args) > 7 else kwargs.get("partial")
            record["checkpoints"] += partial is None  # a stop's own checkpoint is no epoch's
        return save

    def stopping(lr_at):  # the loop asks for the learning rate as every step starts
        def first_step_after(*args, **kwargs):
            if record["checkpoints"] >= after_checkpoints and not record["stopped"]:
                record["stopped"] = True
                _stop(how)
            return lr_at(*args, **kwargs)
        return first_step_after

    with _wrapped(loop, "save_checkpoints", counting), _wrapped(loop, "lr_at", stopping):
        yield record


if __name__ == "__main__":
    from rnnkit.cli.app import main

    with stop_run(signal.Signals[sys.argv[1]]):
        sys.exit(main(sys.argv[2:]))
