"""Run the example notebooks top to bottom and store them with their outputs.

    python examples/regenerate.py                      # every notebook here, rewritten in place
    python examples/regenerate.py aapl_walkthrough.ipynb --out run.ipynb  # a copy, run

The stored outputs (tables, printouts, plots) are what a reader sees on GitHub without running
anything, so a run is made as repeatable as the maths allows:

- the kernel is this interpreter, whatever Jupyter kernels the machine has installed;
- it runs with one thread (OMP/MKL) and a fixed hash seed, in an empty temporary folder, so
  nothing is written into the repository;
- the notebooks seed their own models (`seed=0`), so the same machine gives the same numbers;
- nothing volatile is stored: no execution timestamps, no kernel version, no widget state.

A cell that raises stops the run and nothing is written. Needs the test extra
(`pip install -e '.[test]'`: nbclient, nbformat, ipykernel).
"""

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import nbclient
import nbformat

EXAMPLES = Path(__file__).resolve().parent
KERNEL = "python3"
CELL_TIMEOUT_S = 600
REPEATABLE_ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONHASHSEED": "0"}


def pin_kernel(jupyter_dir: Path) -> None:
    """A "python3" kernel spec that runs this interpreter (JUPYTER_PATH is searched first)."""
    spec = jupyter_dir / "kernels" / KERNEL
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec.joinpath("kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "Python 3", "language": "python"}))


def execute(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Run every code cell of `notebook` in place (outputs replaced) and return it."""
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        pin_kernel(folder / "jupyter")
        (folder / "work").mkdir()
        # read by this process (kernel spec, connection file) and inherited by the kernel
        os.environ.update(REPEATABLE_ENV, JUPYTER_PATH=str(folder / "jupyter"),
                          JUPYTER_RUNTIME_DIR=str(folder / "runtime"))
        client = nbclient.NotebookClient(
            notebook, kernel_name=KERNEL, timeout=CELL_TIMEOUT_S, record_timing=False,
            store_widget_state=False, resources={"metadata": {"path": str(folder / "work")}})
        client.execute()  # raises CellExecutionError, naming the cell, at the first error
    return strip_volatile(notebook)


def strip_volatile(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop what changes from run to run without changing what the notebook shows."""
    notebook.metadata.pop("widgets", None)
    notebook.metadata["language_info"] = {"name": "python"}
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
        for output in cell.get("outputs", []):
            output.get("metadata", {}).pop("execution", None)
    return notebook


def regenerate(source: Path, out: Path) -> None:
    notebook = execute(nbformat.read(source, as_version=4))
    nbformat.validate(notebook)
    nbformat.write(notebook, out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to run (default: every .ipynb in examples/)")
    parser.add_argument("--out", type=Path,
                        help="write the run here instead of over the notebook (one notebook only)")
    args = parser.parse_args(argv)
    notebooks = ([n if n.exists() else EXAMPLES / n for n in args.notebooks]
                 or sorted(EXAMPLES.glob("*.ipynb")))
    if args.out is not None and len(notebooks) != 1:
        parser.error("--out takes one notebook")
    for source in notebooks:
        regenerate(source, args.out or source)
        print(f"ran {source.name} -> {args.out or source}")


if __name__ == "__main__":
    main()
