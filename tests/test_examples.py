"""The example notebooks run top to bottom, with a short training budget."""

import json
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="needs the test extra: pip install -e .[test]")
nbclient = pytest.importorskip("nbclient", reason="needs the test extra: pip install -e .[test]")
pytest.importorskip("ipykernel", reason="needs the test extra: pip install -e .[test]")

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _pin_python3_kernel(jupyter_dir: Path) -> None:
    """A "python3" kernel spec that runs this interpreter (JUPYTER_PATH is searched first)."""
    spec = jupyter_dir / "kernels" / "python3"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec.joinpath("kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "Python 3 (tests)", "language": "python"}))


@pytest.mark.slow
def test_aapl_walkthrough_runs(tmp_path, monkeypatch):
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
