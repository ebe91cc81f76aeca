"""The example notebooks run top to bottom, with a short training budget."""

import importlib
import json
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _required(name: str):
    """The module, or a failure naming the missing extra: a notebook that cannot be run is a
    failed check, never a skipped one."""
    try:
        return importlib.import_module(name)
    except ImportError as e:
        pytest.fail(f"the notebook test needs {name} (the test extra: pip install -e '.[test]'):"
                    f" {e}")


def _pin_python3_kernel(jupyter_dir: Path) -> None:
    """A "python3" kernel spec that runs this interpreter (JUPYTER_PATH is searched first)."""
    spec = jupyter_dir / "kernels" / "python3"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec.joinpath("kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "Python 3 (tests)", "language": "python"}))


@pytest.mark.slow
def test_aapl_walkthrough_runs(tmp_path, monkeypatch):
    nbformat, nbclient = _required("nbformat"), _required("nbclient")
    _required("ipykernel")
    notebook = nbformat.read(EXAMPLES / "aapl_walkthrough.ipynb", as_version=4)
    first = next(cell for cell in notebook.cells if cell.cell_type == "code")
    assert "EPOCHS = 30" in first.source  # the one knob the test turns down
    first.source = first.source.replace("EPOCHS = 30", "EPOCHS = 2", 1)
    _pin_python3_kernel(tmp_path / "jupyter")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))  # connection files
    work = tmp_path / "work"  # the kernel's cwd: nothing is written into the repository
    work.mkdir()
    client = nbclient.NotebookClient(notebook, kernel_name="python3", timeout=300,
                                     resources={"metadata": {"path": str(work)}})
    client.execute()  # raises CellExecutionError, naming the cell, at the first error


def test_a_missing_extra_fails_the_notebook_test_instead_of_skipping(monkeypatch):
    monkeypatch.setitem(sys.modules, "nbclient", None)  # importing it now raises ImportError
    with pytest.raises(pytest.fail.Exception, match=r"needs nbclient \(the test extra"):
        _required("nbclient")
