"""The example notebooks are stored with their outputs, and those outputs are what the code gives.

The stored outputs are checked without running anything (every code cell ran, in order, without
errors, its plots are there, nothing volatile or machine-specific is stored). The slow test runs
the notebook again with `examples/regenerate.py` and compares the text outputs of every code
cell: words, integers and dates exactly, numbers with a decimal point to 0.1% or 2 units of
their last printed digit (floating-point rounding differs between CPUs). Plots are not compared
byte for byte: their PNG bytes depend on the matplotlib and FreeType versions.
"""

import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
NOTEBOOKS = sorted(EXAMPLES.glob("*.ipynb"))
REGENERATE = "make notebooks"  # runs examples/regenerate.py; failure messages point to it
NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
ABSOLUTE_PATH = re.compile(r"(?<![\w.:/])/(?:[\w.-]+/){2,}|\b[A-Za-z]:\\[\w.-]")  # not URLs
DRAWS = re.compile(r"\bplt\.|\bplot_\w+\(")


def _required(name: str):
    """The module, or a failure naming the missing extra: a notebook that cannot be checked is a
    failed check, never a skipped one."""
    try:
        return importlib.import_module(name)
    except ImportError as e:
        pytest.fail(f"the notebook test needs {name} (the test extra: pip install -e '.[test]'):"
                    f" {e}")


def _code_cells(path: Path) -> list:
    nbformat = _required("nbformat")
    return [cell for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code"]


def _text(cell) -> str:
    """What a cell printed and returned, as text (the HTML of a table repeats its text)."""
    parts = []
    for output in cell.outputs:
        if output.output_type == "stream":
            parts.append(output.text)
        elif output.output_type in ("execute_result", "display_data"):
            parts.append(output.data.get("text/plain", ""))
        elif output.output_type == "error":
            parts.append(f"{output.ename}: {output.evalue}")
    return "\n".join(parts)


def _same_numbers(stored: str, fresh: str) -> bool:
    """Equal once whitespace is normalised, numbers with a decimal point to 0.1% or 2 units of
    their last printed digit, everything else exactly."""
    stored, fresh = " ".join(stored.split()), " ".join(fresh.split())
    if NUMBER.split(stored) != NUMBER.split(fresh):
        return False
    pairs = list(zip(NUMBER.findall(stored), NUMBER.findall(fresh), strict=True))
    for a, b in pairs:
        if "." not in a + b or "e" in (a + b).lower():
            if a != b:
                return False
            continue
        decimals = max(len(a.split(".")[1]), len(b.split(".")[1]))
        x, y = float(a), float(b)
        if abs(x - y) > max(2 * 10.0 ** -decimals, 1e-3 * max(abs(x), abs(y))):
            return False
    return True


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_code_cell_is_stored_with_its_outputs(path):
    cells = _code_cells(path)
    stale = f"{path.name} is stored without its outputs; run `{REGENERATE}`"
    assert [cell.execution_count for cell in cells] == list(range(1, len(cells) + 1)), stale
    for number, cell in enumerate(cells, 1):
        assert cell.outputs, f"code cell {number} has no output: {stale}"
        kinds = {output.output_type for output in cell.outputs}
        assert "error" not in kinds, f"code cell {number} stored an error: {_text(cell)}"
        assert not any(o.get("name") == "stderr" for o in cell.outputs), (
            f"code cell {number} stored a warning or a log line: {_text(cell)}")
        if DRAWS.search(cell.source):
            assert any("image/png" in o.get("data", {}) for o in cell.outputs), (
                f"code cell {number} draws a plot but stores no image: {stale}")
        assert "execution" not in cell.metadata, "execution timestamps are stored"
        assert not ABSOLUTE_PATH.search(_text(cell)), (
            f"code cell {number} shows a path of the machine that ran it: {_text(cell)}")


def test_same_numbers_tolerates_float_rounding_only():
    assert _same_numbers("skill: +0.0047\nmse  5.7524", "skill: +0.0048\nmse    5.7523")
    assert _same_numbers("mse 1300.6010", "mse 1300.9000")  # 0.1% of the value
    assert not _same_numbers("skill: +0.0047", "skill: +0.0051")
    assert not _same_numbers("trained 17 epochs", "trained 18 epochs")  # integers: exact
    assert not _same_numbers("test: 2019-10-21", "test: 2019-10-22")
    assert not _same_numbers("BEATS the naive forecast", "LOSES to the naive forecast")


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_running_the_notebook_again_reproduces_its_stored_outputs(path, tmp_path):
    for name in ("nbformat", "nbclient", "ipykernel"):
        _required(name)
    fresh = tmp_path / path.name
    subprocess.run([sys.executable, str(EXAMPLES / "regenerate.py"), str(path), "--out",
                    str(fresh)], check=True, timeout=600)
    stored_cells, fresh_cells = _code_cells(path), _code_cells(fresh)
    assert [c.source for c in fresh_cells] == [c.source for c in stored_cells]
    for number, (stored, again) in enumerate(zip(stored_cells, fresh_cells, strict=True), 1):
        assert _same_numbers(_text(stored), _text(again)), (
            f"code cell {number} of {path.name} prints something else now; if the change is"
            f" meant, run `{REGENERATE}`.\nstored:\n{_text(stored)}\nnow:\n{_text(again)}")
        images = [sum("image/png" in o.get("data", {}) for o in c.outputs)
                  for c in (stored, again)]
        assert images[0] == images[1], (
            f"code cell {number} draws {images[1]} plots now, {images[0]} stored: run"
            f" `{REGENERATE}`")


def test_a_missing_extra_fails_the_notebook_test_instead_of_skipping(monkeypatch):
    monkeypatch.setitem(sys.modules, "nbclient", None)  # importing it now raises ImportError
    with pytest.raises(pytest.fail.Exception, match=r"needs nbclient \(the test extra"):
        _required("nbclient")
