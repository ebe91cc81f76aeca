"""What rnnkit does with hostile input: every case of tests/hostile.py through the CLI, printed as
a Markdown table "input | what rnnkit does" for the README.

Each table goes to ``rnnkit forecast --data FILE --epochs 1 --no-progress --threads 1 --out DIR``
(and to ``rnnkit esn --data FILE``, named where its answer differs), each corpus to ``rnnkit
text train --corpus FILE --steps 2`` (small flags); then the output folders: an unwritable one,
a file, and a rerun into the folder of a many-series run. The answer is the one line rnnkit
prints on stderr (paths cut to the file name), or "forecast written" / "model written" and the
warnings a usable file gets. The runs call ``rnnkit.cli.app.main`` in this process: the command's
code, without a torch import per case. Files and folders without permissions are left out
where permissions do not apply (root; ``setpriv --bounding-set=-all`` runs it as root without
its capabilities).

    python benchmarks/hostile_table.py [--no-esn]
"""

import argparse
import contextlib
import io
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from hostile import ROWS, Case, write_hostile  # noqa: E402  (tests/ is not a package)
from rnnkit.cli.app import main  # noqa: E402

QUIET = ["--no-progress", "--threads", "1"]
TEXT_FLAGS = ["--steps", "2", "--batch-size", "4", "--seq-len", "16", "--hidden-size", "8",
              "--sample-length", "8"]


WARNING = "rnnkit: warning: "


def answer(argv: list[str], folder: Path, done: str) -> tuple[bool, str]:
    """(worked, what rnnkit said): its error line, or ``done`` and the warnings it gave (the CLI
    prints each as one line, ``rnnkit: warning: ...``)."""
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
        code = main([*argv, *QUIET])
    lines = stderr.getvalue().strip().replace(f"{folder}/", "").splitlines()
    warned = sorted({line.removeprefix(WARNING) for line in lines if line.startswith(WARNING)})
    said = [line for line in lines if not line.startswith(WARNING)]
    if code != 0:
        if code != 2 or len(said) != 1 or not said[0].startswith("rnnkit: error: "):
            raise SystemExit(f"{argv}: exit {code}, stderr {lines!r}: not one error line")
        return False, said[0].removeprefix("rnnkit: error: ")
    return True, done + "".join(f"; warns: {note}" for note in warned)


def row(case: Case, said: str) -> str:
    return f"| `{case.name}`: {case.what} | {said.replace('|', '/')} |"


def permissions_apply(folder: Path) -> bool:
    """Whether a file of mode 000 is unreadable here (not for root with its capabilities)."""
    probe = folder / "probe"
    probe.write_text("")
    probe.chmod(0)
    try:
        probe.read_text()
    except PermissionError:
        return True
    finally:
        probe.unlink()
    return False


def main_table(esn: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        permissions = permissions_apply(Path(tmp))
        folder = Path(tmp) / "in"
        cases = write_hostile(folder)
        out = Path(tmp) / "out"
        print(f"| input ({ROWS} business days of a price, Close, unless said) | what rnnkit does |")
        print("|---|---|")
        for case in cases:
            if not permissions and "unreadable" in case.name:
                print(row(case, "not run: permissions do not apply here (root)"))
                continue
            if case.flag == "--corpus":
                _, said = answer(["text", "train", "--corpus", str(case.path), *TEXT_FLAGS,
                                  "--out", str(out / case.name)], folder, "model written")
                print(row(case, said))
                continue
            worked, said = answer(["forecast", "--data", str(case.path), "--epochs", "1",
                                   "--out", str(out / case.name)], folder, "forecast written")
            if esn:
                esn_worked, esn_said = answer(["esn", "--data", str(case.path), "--out",
                                               str(out / f"esn-{case.name}")], folder,
                                              "ESN written")
                if esn_worked != worked:
                    said += f" (`rnnkit esn`: {esn_said})"
            print(row(case, said))
        for what, said in out_folders(Path(tmp), cases, permissions):
            print(f"| {what} | {said} |")


def out_folders(tmp: Path, cases: list[Case], permissions: bool) -> list[tuple[str, str]]:
    """The --out cases: what each is, and what rnnkit does."""
    clean = str(next(c.path for c in cases if c.name == "clean.csv"))
    rows = []
    if permissions:
        locked = tmp / "locked"
        locked.mkdir(mode=0o555)
        rows.append(("`--out` a folder without write permission", answer(
            ["forecast", "--data", clean, "--epochs", "1", "--out", str(locked)], tmp,
            "forecast written")[1]))
    else:
        rows.append(("`--out` a folder without write permission",
                     "not run: permissions do not apply here (root)"))
    rows.append(("`--out` an existing file", answer(
        ["forecast", "--data", clean, "--epochs", "1", "--out", clean], tmp / "in",
        "forecast written")[1]))
    run = tmp / "rerun"
    answer(["esn", "--data", clean, "--out", str(run)], tmp, "")
    before = sorted(p.name for p in run.iterdir())
    answer(["forecast", "--data", clean, "--epochs", "1", "--out", str(run)], tmp, "")
    after = sorted(p.name for p in run.iterdir())
    gone = ", ".join(name for name in before if name not in after)
    rows.append(("a rerun into the `--out` of another command (`esn`, then `forecast`)",
                 f"forecast written; the ESN run's {gone} removed"))
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-esn", dest="esn", action="store_false",
                        help="leave out the `rnnkit esn` runs (faster)")
    main_table(parser.parse_args().esn)
