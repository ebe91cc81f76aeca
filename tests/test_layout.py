"""The house rules that keep rnnkit readable, checked so that later changes keep them."""

import ast
import inspect
from dataclasses import fields
from pathlib import Path

import pytest

from rnnkit.nn.models import (
    CharLM,
    ModelConfig,
    PooledClassifier,
    SequenceRegressor,
    SequenceTagger,
    recurrent_layer,
)
from rnnkit.reservoir.esn import ESN, ReservoirConfig

SRC = Path(__file__).resolve().parents[1] / "src" / "rnnkit"
MAX_LINES = 500  # any source file
MAX_CLI_LINES = 200  # cli.py parses, prints and sets exit codes; new commands go into jobs/
# what the library never imports
LIBRARY_ABOVE = {"rnnkit.cli.config", "rnnkit.cli.flags", "rnnkit.cli.app", "rnnkit.cli.jobs"}


def _sources() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(SRC)))
def test_no_source_file_over_500_lines(path):
    assert len(path.read_text().splitlines()) <= MAX_LINES


def test_cli_stays_small():
    assert len((SRC / "cli.py").read_text().splitlines()) < MAX_CLI_LINES


def _imported(path: Path, packages: set[str]) -> set[str]:
    """The modules of ``packages`` (or the packages themselves) that ``path`` imports."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {n for n in names if any(n == top or n.startswith(top + ".") for top in packages)}


@pytest.mark.parametrize("path", [p for p in _sources() if p.parent == SRC
                                  and p.stem not in ("config", "flags", "cli", "__main__")],
                         ids=lambda p: p.name)
def test_the_library_never_imports_the_layers_above_it(path):
    """Imports flow one way: library modules <- jobs <- config, flags <- cli."""
    above = _imported(path, LIBRARY_ABOVE)
    assert not above, f"{path.name} imports {above}"


def test_config_imports_no_job_and_no_job_imports_the_cli():
    assert not _imported(SRC / "config.py", {"rnnkit.cli.jobs", "rnnkit.cli.app", "rnnkit.cli.flags"})
    assert not _imported(SRC / "flags.py", {"rnnkit.cli.jobs", "rnnkit.cli.app"})
    for path in (SRC / "jobs").glob("*.py"):
        assert not _imported(path, {"rnnkit.cli.app"}), path.name


def _keywords(function) -> set[str]:
    return set(inspect.signature(function).parameters)


@pytest.mark.parametrize("target", [SequenceRegressor, SequenceTagger, CharLM, PooledClassifier,
                                    recurrent_layer])
def test_model_config_fields_are_the_keywords_of_what_it_builds(target):
    """No silent drift: every ModelConfig field is a keyword of every model it feeds."""
    missing = {f.name for f in fields(ModelConfig)} - _keywords(target)
    assert not missing, f"{target.__name__} lacks {missing}"


def test_reservoir_config_fields_are_the_esn_keywords_with_the_same_defaults():
    params = inspect.signature(ESN).parameters
    for f in fields(ReservoirConfig):
        assert f.name in params, f.name
        assert params[f.name].default == f.default, f.name
