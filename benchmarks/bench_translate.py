"""English to French on the bundled Tatoeba pairs: rnnkit's translator beside the PyTorch
tutorial's recipe trained for the same wall time, and the two baselines.

Each training is its own process, the command a user types:

    rnnkit translate train --out OUT/rnnkit          (the defaults; 5% of the English
                                                      sentences held out, all their references)
    python benchmarks/tutorial_seq2seq.py --seconds <rnnkit's training seconds>

Then, in this process, the saved model translates 1,000 test sentences with beam 5 (timed,
two threads), and every system is scored by sacrebleu against all references: as given, and
lowercase-insensitive (the tutorial's recipe writes lowercase ASCII).

    python benchmarks/bench_translate.py --out runs/bench-translate
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import torch
from sacrebleu.metrics import BLEU, CHRF

from rnnkit.cli.jobs.translate import REFERENCE_SEPARATOR
from rnnkit.translate import Translator
from rnnkit.translate.scores import reference_streams

SPEED_SENTENCES = 1000


def lowercase_scores(hypotheses: list[str], references: list[list[str]]) -> tuple[float, float]:
    streams = reference_streams(references)
    return (round(BLEU(lowercase=True).corpus_score(hypotheses, streams).score, 2),
            round(CHRF(lowercase=True).corpus_score(hypotheses, streams).score, 2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="runs/bench-translate", help="output folder")
    parser.add_argument("extra", nargs="*", help="flags for `rnnkit translate train`, after --")
    args = parser.parse_args()
    out = Path(args.out)
    subprocess.run([sys.executable, "-m", "rnnkit", "translate", "train", "--out",
                    str(out / "rnnkit"), "--no-progress", *args.extra], check=True)
    metrics = json.loads((out / "rnnkit" / "metrics.json").read_text())
    table = pd.read_csv(out / "rnnkit" / "translations.csv", keep_default_na=False)
    refs = [r.split(REFERENCE_SEPARATOR) for r in table["references"]]
    torch.set_num_threads(2)
    translator = Translator.load(out / "rnnkit" / "model")
    started = time.perf_counter()
    translator.translate(list(table["source"][:SPEED_SENTENCES]), beam=5)
    speed = time.perf_counter() - started
    subprocess.run([sys.executable, str(Path(__file__).with_name("tutorial_seq2seq.py")),
                    "--seconds", str(metrics["train_seconds"]), "--out",
                    str(out / "tutorial")], check=True)
    tutorial = json.loads((out / "tutorial" / "metrics.json").read_text())
    tutorial_table = pd.read_csv(out / "tutorial" / "translations.csv", keep_default_na=False)
    rows = []
    for name, scores, hypotheses in (
            ("rnnkit translator", metrics["model"], list(table["hypothesis"])),
            ("tutorial recipe, same wall time", tutorial["scores"],
             list(tutorial_table["hypothesis"])),
            ("word by word (IBM Model 1)", metrics["word_by_word"], None),
            ("copy the source", metrics["copy_source"], None)):
        low = lowercase_scores(hypotheses, refs) if hypotheses is not None else ("", "")
        rows.append({"system": name, "BLEU": scores["bleu"], "chrF": scores["chrf"],
                     "BLEU lowercase": low[0], "chrF lowercase": low[1]})
    print(pd.DataFrame(rows).to_string(index=False))
    print(f"test sentences {metrics['pairs']['test_sentences']}; rnnkit training "
          f"{metrics['train_seconds']} s; translating {SPEED_SENTENCES} sentences, beam 5: "
          f"{speed:.1f} s; tutorial: {tutorial['record']['epochs']} epochs; "
          f"validation BLEU per epoch {[r['val_bleu'] for r in metrics['history']]}")
    print(f"sacrebleu: {metrics['model']['bleu_signature']} / {metrics['model']['chrf_signature']}")
    (out / "summary.json").write_text(json.dumps(
        {"rows": rows, "translate_seconds_1000_beam5": round(speed, 2),
         "train_seconds": metrics["train_seconds"]}, indent=2) + "\n")


if __name__ == "__main__":
    main()
