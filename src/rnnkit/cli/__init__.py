"""rnnkit.cli: the ``rnnkit`` command. Flags, job dataclasses, one module per command under
:mod:`rnnkit.cli.jobs`, and the table of commands. Importing it loads no torch."""

from rnnkit.cli.app import main

__all__ = ["main"]
