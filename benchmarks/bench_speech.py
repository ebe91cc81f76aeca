"""The spoken-digit recogniser on the Free Spoken Digit Dataset: the dataset's own split, and
every speaker held out in turn.

Each run is the command a user types, its own process:

    rnnkit speech train --data fsdd                       (the dataset's split: recordings
                                                           0-4 of every speaker and digit)
    rnnkit speech train --data <folder with transcripts.csv>   (--loso: one speaker's 500
                                                           recordings are the test part, the
                                                           other four speakers' the training)

Reads each run's metrics.json: isolated accuracy, connected digit error rate and string
accuracy (3-7 digits joined from test recordings only), training time, transcription speed.

    python benchmarks/bench_speech.py --out runs/bench-speech --loso
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

from rnnkit.io.datasets import bundled
from rnnkit.io.recordings import labelled_recordings


def run(data: str, out: Path, extra: list[str]) -> dict:
    subprocess.run([sys.executable, "-m", "rnnkit", "speech", "train", "--data", data, "--out",
                    str(out), "--no-progress", *extra], check=True)
    return json.loads((out / "metrics.json").read_text())


def row(name: str, metrics: dict) -> dict:
    return {"run": name, "isolated accuracy %": round(100 * metrics["isolated"]["accuracy"], 1),
            "connected DER %": round(100 * metrics["connected"]["digit_error_rate"], 2),
            "strings right %": round(100 * metrics["connected"]["accuracy"], 1),
            "train s": metrics["train_seconds"],
            "ms per audio s": metrics["transcribe_ms_per_audio_second"]}


def held_out_speaker(folder: Path, speaker: str, into: Path) -> Path:
    """A transcripts.csv beside links to every recording: ``speaker``'s are the test part."""
    into.mkdir(parents=True, exist_ok=True)
    rows = []
    for r in labelled_recordings(folder):
        link = into / r.path.name
        if not link.exists():
            link.symlink_to(r.path.resolve())
        rows.append({"file": r.path.name, "text": r.text,
                     "split": "test" if r.speaker == speaker else "train"})
    pd.DataFrame(rows).to_csv(into / "transcripts.csv", index=False)
    return into


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="runs/bench-speech", help="output folder")
    parser.add_argument("--loso", action="store_true", help="also hold out each speaker")
    parser.add_argument("--speakers", nargs="*", default=[], help="with --loso: only these")
    parser.add_argument("extra", nargs="*", help="flags for every run, after --")
    args = parser.parse_args()
    out = Path(args.out)
    rows = [row("dataset split (all speakers in training)",
                run("fsdd", out / "split", args.extra))]
    print(pd.DataFrame(rows).to_string(index=False), flush=True)
    if args.loso:
        with bundled("fsdd").path() as folder:
            speakers = args.speakers or sorted({r.speaker for r in labelled_recordings(folder)})
            for speaker in speakers:
                data = held_out_speaker(folder, speaker, out / f"data-{speaker}")
                rows.append(row(f"{speaker} held out", run(str(data), out / speaker,
                                                           args.extra)))
                print(pd.DataFrame(rows).to_string(index=False), flush=True)


if __name__ == "__main__":
    main()
