"""``rnnkit translate train`` and ``rnnkit translate``.

train: reads the pairs (:func:`rnnkit.translate.pairs.read_pairs`), holds out
``--test-fraction`` of the distinct source sentences with all their translations (cut first,
before anything is learned), fits a :class:`~rnnkit.translate.Translator` on the rest and
translates every held-out source, scored with sacrebleu against all its references beside two
baselines scored the same way: copying the source, and a word-by-word dictionary learned on
the training pairs. Writes ``model/``, ``metrics.json``, ``translations.csv`` (source,
references, hypothesis, sentence chrF), ``loss.png`` (with validation BLEU per epoch) and
``attention.png``.

translate: one translation a line, in the order given.
"""

import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd

from rnnkit._checks import InputError
from rnnkit.cli.config import TranslateJob, TranslateTrainJob
from rnnkit.cli.flags import job_record
from rnnkit.cli.jobs import EpochBar, JobResult, optional_outputs, start_runtime
from rnnkit.io.datasets import data_path, is_bundled
from rnnkit.io.files import prepare_out, write_json_atomic, write_text_atomic
from rnnkit.nn.models import ModelConfig
from rnnkit.translate.baselines import WordByWord, copy_source
from rnnkit.translate.pairs import read_pairs, references, split_by_source
from rnnkit.translate.scores import corpus_scores, sentence_chrf
from rnnkit.translate.translator import Translator

REFERENCE_SEPARATOR = " | "  # between the references of one sentence in translations.csv


def train(job: TranslateTrainJob) -> JobResult:
    settings = job.translate
    network = ModelConfig(cell=settings.cell, hidden_size=settings.hidden_size,
                          num_layers=settings.num_layers, bidirectional=True)
    runtime = start_runtime(job.runtime, network, settings.batch_size)
    with data_path(job.data, "pairs") as path:
        pairs = read_pairs(path, job.data if is_bundled(job.data, "pairs") else "")
    rest, test = split_by_source(pairs, job.test_fraction, "test")
    out = prepare_out(job.out)
    bar = EpochBar(settings.epochs, job.progress)
    started = time.perf_counter()
    translator = Translator(**asdict(settings)).fit(
        list(rest.sources), list(rest.targets), checkpoint_dir=out / "checkpoints",
        resume=job.resume, on_epoch=bar.update)
    bar.close()
    train_seconds = time.perf_counter() - started
    translator.save(out / "model", run=runtime.record() | {"job": job_record(job)})
    sources, refs = references(test)
    started = time.perf_counter()
    hypotheses = translator.translate(sources, name=None)  # the test part, whatever it holds
    translate_seconds = time.perf_counter() - started
    dictionary = WordByWord.fit(list(rest.sources), list(rest.targets))
    scores = {"model": corpus_scores(hypotheses, refs),
              "copy_source": corpus_scores(copy_source(sources), refs),
              "word_by_word": corpus_scores(dictionary.translate(sources), refs)}
    metrics = {**scores, "pairs": {"train": len(rest), "test": len(test),
                                   "test_sentences": len(sources)},
               "train_seconds": round(train_seconds, 1),
               "translate_ms_per_sentence": round(1000 * translate_seconds / len(sources), 2),
               "history": translator.history_.records, "config": job_record(job)}
    table = pd.DataFrame({"source": sources,
                          "references": [REFERENCE_SEPARATOR.join(r) for r in refs],
                          "hypothesis": hypotheses,
                          "chrf": [sentence_chrf(h, r) for h, r in zip(hypotheses, refs,
                                                                       strict=True)]})
    write_text_atomic(out / "translations.csv", table.to_csv(index=False))
    write_json_atomic(out / "metrics.json", metrics)
    result = JobResult(metrics, _summary(metrics), out,
                       ["model/", "metrics.json", "translations.csv"])
    return optional_outputs(result, {
        "loss.png": lambda: _plot_loss(out, translator),
        "attention.png": lambda: _plot_attention(out, translator,
                                                 spread_by_length(sources, job.examples))})


def translate(job: TranslateJob) -> JobResult:
    start_runtime(job.runtime)
    translator = Translator.load(job.model)
    sentences, name = (list(job.sentences), "sentence") if job.sentences else (
        _read_lines(job.input), f"{job.input} line")
    texts = translator.translate(sentences, beam=job.beam or None, name=name)
    return JobResult({"translations": texts}, texts)


def _read_lines(path: str) -> list[str]:
    """The sentences of a file, one a line; an empty line is refused (it has no place in the
    output's order)."""
    file = Path(path)
    if not file.is_file():
        raise InputError(f"{path}: no such file of sentences")
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    if not lines:
        raise InputError(f"{path} holds no sentence")
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            raise InputError(f"{path} line {number}: an empty line (one sentence a line)")
    return lines


def spread_by_length(sentences: list[str], count: int) -> list[str]:
    """``count`` sentences from short to long: evenly spaced in the order of their lengths.

    >>> spread_by_length(["a", "bb bb", "c c", "dddd d d", "e"], 2)
    ['e', 'bb bb']
    """
    ranked = sorted(sentences, key=lambda s: (len(s.split()), len(s)))
    picks = np.linspace(0, len(ranked) - 1, count + 2)[1:-1].round().astype(int)
    return [ranked[k] for k in dict.fromkeys(picks.tolist())]


def _plot_loss(out: Path, translator: Translator) -> None:
    from rnnkit.io.plots import plot_loss

    plot_loss(out / "loss.png", [translator.history_], "cross-entropy per target piece",
              title="loss; validation BLEU per epoch: " + ", ".join(
                  f"{r['val_bleu']:.1f}" if "val_bleu" in r else "?"
                  for r in translator.history_.records))


def _plot_attention(out: Path, translator: Translator, sentences: list[str]) -> None:
    from rnnkit.io.plots import plot_translation_attention

    plot_translation_attention(out / "attention.png", translator.attention_maps(sentences))


def _summary(metrics: dict) -> list[str]:
    pairs, model = metrics["pairs"], metrics["model"]
    lines = [f"trained on {pairs['train']:,} pairs in {metrics['train_seconds']:.0f} s; "
             f"translated {pairs['test_sentences']:,} held-out sentences "
             f"({metrics['translate_ms_per_sentence']:.1f} ms each)"]
    for name in ("model", "word_by_word", "copy_source"):
        lines.append(f"{name.replace('_', ' '):>13}: BLEU {metrics[name]['bleu']:5.2f}  "
                     f"chrF {metrics[name]['chrf']:5.2f}")
    lines.append(f"sacrebleu: BLEU {model['bleu_signature']}; chrF {model['chrf_signature']}")
    return lines
