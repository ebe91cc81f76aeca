"""``rnnkit speech train`` and ``rnnkit speech transcribe``.

train: reads a folder of labelled recordings (:func:`rnnkit.io.recordings.labelled_recordings`,
every file through :func:`rnnkit.io.read_audio` at 8 kHz), fits a
:class:`~rnnkit.speech.SpeechRecognizer` on the training part and scores it on the test part:
each test recording alone (isolated: a length-1 string of the same recipe) and connected
strings of 3-7 test recordings. Writes ``model/``, ``metrics.json``, ``transcripts.csv`` (kind,
files, reference, hypothesis, errors), ``loss.png`` and ``alignment.png``.

transcribe: one line per file, ``file<TAB>transcript``.
"""

import time
import warnings
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd

from rnnkit._checks import InputError
from rnnkit.cli.config import SpeechTrainJob, SpeechTranscribeJob
from rnnkit.cli.flags import job_record
from rnnkit.cli.jobs import EpochBar, JobResult, optional_outputs, start_runtime
from rnnkit.io.audio import read_audio
from rnnkit.io.datasets import data_path
from rnnkit.io.files import prepare_out, write_json_atomic, write_text_atomic
from rnnkit.io.recordings import labelled_recordings
from rnnkit.nn.models import ModelConfig
from rnnkit.speech.data import draw_strings, join
from rnnkit.speech.decoding import digit_error_rate, edit_distance
from rnnkit.speech.recognizer import SpeechRecognizer

RATE = 8000
CONNECTED = (3, 7)  # digits per connected test string
STEPS = ("mixed down", "resampled", "clipped")  # what read_audio notes, by kind


def train(job: SpeechTrainJob) -> JobResult:
    network = ModelConfig(cell=job.speech.cell, hidden_size=job.speech.hidden_size,
                          num_layers=job.speech.num_layers, bidirectional=True)
    start_runtime(job.runtime, network, job.speech.batch_size)  # threads by the work
    with data_path(job.data, "recordings") as folder:
        return _train(job, folder)


def _train(job: SpeechTrainJob, folder: Path) -> JobResult:
    labelled = labelled_recordings(folder)
    unknown = sorted({c for r in labelled for c in r.text} - set(job.speech.labels))
    if unknown:
        raise InputError(f"the transcripts hold {unknown[0]!r}, which is not among --labels "
                         f"{job.speech.labels!r}")
    waves = _read_all([r.path for r in labelled])
    train_part = [(w, r.text) for w, r in zip(waves, labelled, strict=True) if r.part == "train"]
    test_part = [(w, r.text, r.path.name) for w, r in zip(waves, labelled, strict=True)
                 if r.part == "test"]
    if not train_part or not test_part:
        missing = "training" if not train_part else "test"
        raise InputError(f"{folder}: the recordings give no {missing} part")
    out = prepare_out(job.out)
    bar = EpochBar(job.speech.epochs, job.progress)
    started = time.perf_counter()
    recognizer = SpeechRecognizer(**asdict(job.speech)).fit(
        [w for w, _ in train_part], [t for _, t in train_part], on_epoch=bar.update)
    bar.close()
    train_seconds = time.perf_counter() - started
    recognizer.save(out / "model", run=job_record(job))
    rng = np.random.default_rng(job.speech.seed + 99)
    isolated = [(join([w], rng), t, name) for w, t, name in test_part]
    strings = draw_strings([(w, t) for w, t, _ in test_part], job.test_strings,
                           seed=job.speech.seed + 100, lengths=CONNECTED)
    connected = [(x, t, f"connected_{k:03d}") for k, (x, t) in enumerate(strings)]
    started = time.perf_counter()
    rows, metrics = [], {}
    for kind, items in (("isolated", isolated), ("connected", connected)):
        hyps = recognizer.transcribe([x for x, _, _ in items])
        refs = [t for _, t, _ in items]
        metrics[kind] = {"count": len(items), "accuracy": float(np.mean(
            [h == r for h, r in zip(hyps, refs, strict=True)])),
            "digit_error_rate": digit_error_rate(refs, hyps)}
        rows += [{"kind": kind, "file": name, "reference": r, "hypothesis": h,
                  "errors": edit_distance(r, h)}
                 for (_, r, name), h in zip(items, hyps, strict=True)]
    audio_seconds = sum(len(x) for x, _, _ in isolated + connected) / RATE
    metrics |= {"train_seconds": round(train_seconds, 1),
                "transcribe_ms_per_audio_second": round(
                    1000 * (time.perf_counter() - started) / audio_seconds, 2),
                "recordings": {"train": len(train_part), "test": len(test_part)},
                "config": job_record(job)}
    write_text_atomic(out / "transcripts.csv", pd.DataFrame(rows).to_csv(index=False))
    write_json_atomic(out / "metrics.json", metrics)
    result = JobResult(metrics, _summary(metrics, job), out,
                       ["model/", "metrics.json", "transcripts.csv"])
    x, text, _ = connected[0]
    return optional_outputs(result, {
        "loss.png": lambda: _plot_loss(out, recognizer),
        "alignment.png": lambda: _plot_alignment(out, recognizer, x, text)})


def transcribe(job: SpeechTranscribeJob) -> JobResult:
    start_runtime(job.runtime)
    recognizer = SpeechRecognizer.load(job.model)
    waves = _read_all([Path(f) for f in job.files])
    texts = recognizer.transcribe(waves, beam=job.beam or None)
    lines = [f"{file}\t{text}" for file, text in zip(job.files, texts, strict=True)]
    return JobResult({"transcripts": dict(zip(job.files, texts, strict=True))}, lines)


def _read_all(paths: list[Path]) -> list[np.ndarray]:
    """Every file at 8 kHz, mono; what was done to them, one warning per kind of step (the
    note itself for one file, else a count and the first)."""
    recordings = [read_audio(p, RATE) for p in paths]
    for step in STEPS:
        notes = [note for r in recordings for note in r.notes if step in note]
        if len(notes) == 1:
            warnings.warn(notes[0], stacklevel=2)
        elif notes:
            warnings.warn(f"{len(notes)} of {len(paths)} recordings {step} (the first: "
                          f"{notes[0]})", stacklevel=2)
    return [r.samples for r in recordings]


def _plot_loss(out: Path, recognizer: SpeechRecognizer) -> None:
    from rnnkit.io.plots import plot_loss

    plot_loss(out / "loss.png", [recognizer.history_], "CTC loss per label")


def _plot_alignment(out: Path, recognizer: SpeechRecognizer, x: np.ndarray, text: str) -> None:
    from rnnkit.io.plots import plot_alignment
    from rnnkit.speech.features import log_mel

    log_probs = recognizer.log_probs([x])[0]
    hypothesis = recognizer.transcribe([x])[0]
    plot_alignment(out / "alignment.png", log_mel(x, recognizer.config_).numpy(), log_probs,
                   recognizer.labels, f"a connected test string: said {text}, heard "
                   f"{hypothesis}")


def _summary(metrics: dict, job: SpeechTrainJob) -> list[str]:
    iso, con = metrics["isolated"], metrics["connected"]
    return [f"trained on {metrics['recordings']['train']:,} recordings in "
            f"{metrics['train_seconds']:.0f} s ({job.speech.epochs} epochs of "
            f"{job.speech.strings} connected strings)",
            f"isolated test recordings ({iso['count']}): accuracy {100 * iso['accuracy']:.1f}%",
            f"connected test strings ({con['count']}, {CONNECTED[0]}-{CONNECTED[1]} digits): "
            f"digit error rate {100 * con['digit_error_rate']:.2f}%, strings right "
            f"{100 * con['accuracy']:.1f}%",
            f"transcribing: {metrics['transcribe_ms_per_audio_second']:.1f} ms per second of "
            "audio"]
