"""The house rules that keep rnnkit readable, checked so that later changes keep them."""

import ast
import importlib
import inspect
import io
import tokenize
from dataclasses import fields
from pathlib import Path

import pytest

from rnnkit import nn as rnnkit_nn
from rnnkit.reservoir import ESN, ReservoirConfig

SRC = Path(__file__).resolve().parents[1] / "src" / "rnnkit"
MAX_LINES = 500  # any source file, docstrings included
# Code tokens (names, operators, literals; not comments, docstrings or line breaks): a size that
# joining lines, dropping blank lines or docstrings cannot lower. 3,500 is about 500 lines of
# this code base's usual density; a module near it is split along a responsibility.
MAX_CODE_TOKENS = 3500
# The packages from the bottom up: a package imports only from those below it or its own rank,
# never from a sibling of its rank (forecast, classify and text know nothing of each other).
RANKS = [{"_checks", "_fields", "_exports", "base"}, {"io", "datasets"}, {"nn"}, {"training"},
         {"reservoir", "seq2seq"}, {"forecast", "classify", "text", "speech", "translate"},
         {"anomaly"}, {"cli"},
         {"__main__"}]
RANK = {name: k for k, names in enumerate(RANKS) for name in names}


def _sources() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


def _package(path: Path) -> str:
    """The top-level part of rnnkit a file belongs to: its package, or its root module."""
    parts = path.relative_to(SRC).parts
    return parts[0] if len(parts) > 1 else Path(parts[0]).stem


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(["rnnkit", *parts[:-1]] if parts[-1] == "__init__" else ["rnnkit", *parts])


def _code_tokens(text: str) -> int:
    tree = ast.parse(text)
    docstrings = {node.body[0].lineno for node in ast.walk(tree)
                  if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
                  and node.body and isinstance(node.body[0], ast.Expr)
                  and isinstance(node.body[0].value, ast.Constant)
                  and isinstance(node.body[0].value.value, str)}
    skip = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
            tokenize.ENDMARKER}
    return sum(1 for t in tokenize.generate_tokens(io.StringIO(text).readline)
               if t.type not in skip and not (t.type == tokenize.STRING
                                              and t.start[0] in docstrings))


def _imports(path: Path) -> list[tuple[str, list[str], int]]:
    """(module, names taken from it, line) of every rnnkit import in ``path``, lazy ones too."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, [a.name for a in node.names], node.lineno))
        elif isinstance(node, ast.Import):
            found += [(a.name, [], node.lineno) for a in node.names]
    return [(m, names, line) for m, names, line in found
            if m == "rnnkit" or m.startswith("rnnkit.")]


def _targets(module: str, names: list[str]) -> list[str]:
    """The modules an import depends on: ``from rnnkit.io import tables`` on rnnkit.io.tables,
    ``from rnnkit.forecast import Forecaster`` on the module that defines Forecaster (a package
    may export it lazily, loading nothing at import)."""
    if not names:
        return [module]
    package = importlib.import_module(module)
    found = set()
    for name in names:
        obj = getattr(package, name, None)
        if inspect.ismodule(obj):
            found.add(obj.__name__)
        elif getattr(obj, "__module__", "").startswith("rnnkit") and not inspect.ismodule(obj):
            found.add(obj.__module__ if hasattr(obj, "__qualname__") else module)
        else:
            found.add(module)
    return sorted(found)


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(SRC)))
def test_no_module_is_too_big_however_its_lines_are_packed(path):
    text = path.read_text()
    assert len(text.splitlines()) <= MAX_LINES
    assert _code_tokens(text) <= MAX_CODE_TOKENS, "split it along a responsibility"


def test_every_package_has_a_rank():
    assert {_package(p) for p in _sources()} - {"__init__"} <= set(RANK)


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(SRC)))
def test_imports_run_down_the_packages(path):
    """Imports flow one way: _checks <- io <- nn <- training <- reservoir <- forecast, classify,
    text <- cli; siblings of one rank never import each other (lazy imports count too)."""
    own = _package(path)
    if own == "__init__":  # rnnkit's lazy exports name the public classes, by strings
        return
    for module, names, line in _imports(path):
        for target in _targets(module, names):
            other = target.split(".")[1] if "." in target else "__init__"
            if other in ("__init__", own):
                continue
            assert RANK[other] < RANK[own] or RANK[other] == RANK[own] == 0, (
                f"line {line}: {own} imports {target}")


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(SRC)))
def test_no_module_takes_another_modules_private_names(path):
    bound = {}  # local name -> rnnkit module, for `module._name` attribute reads
    for module, names, line in _imports(path):
        private = [n for n in names if n.startswith("_") and not n.startswith("__")]
        if module.split(".")[-1].startswith("_"):  # _checks, _fields: shared on purpose
            private = []
        assert not private, f"line {line}: takes {private} from {module}"
        bound |= {n: f"{module}.{n}" for n in names}
    for node in ast.walk(ast.parse(path.read_text())):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in bound and node.attr.startswith("_")
                and not node.attr.startswith("__")):
            pytest.fail(f"line {node.lineno}: reads {node.value.id}.{node.attr}")


def test_no_import_cycles_not_even_lazy_ones():
    graph = {_module_name(p): {t for m, names, _ in _imports(p) for t in _targets(m, names)}
             for p in _sources()}
    graph["rnnkit"] = set()  # its PEP 562 exports load nothing at import
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            # a package's __init__ re-exports its modules: an edge into a package goes through it
            if state.get(nxt) == 1 and not (nxt in path and node.startswith(nxt + ".")):
                pytest.fail(" -> ".join(path[path.index(nxt):] + [nxt]))
            if nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])


def _keywords(function) -> set[str]:
    return set(inspect.signature(function).parameters)


@pytest.mark.parametrize("target", [rnnkit_nn.SequenceRegressor, rnnkit_nn.SequenceTagger,
                                    rnnkit_nn.CharLM, rnnkit_nn.PooledClassifier,
                                    rnnkit_nn.recurrent_layer])
def test_model_config_fields_are_the_keywords_of_what_it_builds(target):
    """No silent drift: every ModelConfig field is a keyword of every model it feeds."""
    missing = {f.name for f in fields(rnnkit_nn.ModelConfig)} - _keywords(target)
    assert not missing, f"{target.__name__} lacks {missing}"


def test_reservoir_config_fields_are_the_esn_keywords_with_the_same_defaults():
    params = inspect.signature(ESN).parameters
    for f in fields(ReservoirConfig):
        assert f.name in params, f.name
        assert params[f.name].default == f.default, f.name
