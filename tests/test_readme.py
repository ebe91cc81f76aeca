"""The README's Python examples run as they are written, in order, in one namespace."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def test_the_readme_has_python_examples():
    assert len(BLOCK.findall(README.read_text(encoding="utf-8"))) >= 5


@pytest.mark.slow
def test_every_python_example_of_the_readme_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # an example that writes files writes them here
    namespace: dict = {}
    for number, block in enumerate(BLOCK.findall(README.read_text(encoding="utf-8")), 1):
        try:
            exec(compile(block, f"README.md, Python example {number}", "exec"), namespace)
        except Exception as error:  # name the example that failed
            raise AssertionError(f"README Python example {number} fails: {error!r}") from error
