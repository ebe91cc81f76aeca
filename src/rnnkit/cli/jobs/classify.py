"""``rnnkit classify``: train a sequence classifier, score it beside the archive's baselines.

Reads the training and test sequences (:func:`rnnkit.io.sources.load_sequences`), chooses the
network's patch and input noise by cross-validation on the training ones only
(:mod:`rnnkit.classify.selection`), fits a
:class:`~rnnkit.classify.classifier.SequenceClassifier` on all of them, and scores the
test ones beside the majority class and 1-nearest-neighbour with Euclidean distance (the UCR
archive's reference baseline) on the same split. Writes model/ and metrics.json first, then
predictions.csv, confusion.png, loss.png and, with attention pooling, attention.png.
"""

import time
from dataclasses import replace

import numpy as np
import pandas as pd

from rnnkit.classify import NetworkClassifier, SequenceClassifier
from rnnkit.classify.metrics import classification_scores, majority_baseline, nn1_euclidean
from rnnkit.classify.reservoir import ReservoirClassifier
from rnnkit.classify.selection import cross_validate, default_candidates
from rnnkit.cli.config import CHOSEN_NOISE, ClassifyJob
from rnnkit.cli.flags import job_record
from rnnkit.cli.jobs import EpochBar, JobResult, optional_outputs, split_names, start_runtime
from rnnkit.cli.jobs.recordings import READING, holds_recordings, recordings_split
from rnnkit.io.datasets import is_bundled
from rnnkit.io.files import prepare_out, write_json_atomic, write_text_atomic
from rnnkit.io.plots import plot_attention, plot_confusion, plot_loss
from rnnkit.io.sequences import (
    LabelledSeries,
    check_classes,
    check_min_length,
    check_test_labels,
    stratified_split,
)
from rnnkit.io.sources import load_sequences

MIN_LENGTH = 2  # steps: one value is not a sequence
ATTENTION_EXAMPLES = 6  # test sequences drawn in attention.png
PLAIN_SETTINGS = {"patch": 1, "input_noise": 0.0}  # the network's settings with choose="none"
SELECTION_EPOCHS_SHARE = 3  # the search trains each candidate for a third of the epochs


def reading(job) -> dict:
    """How the job's files are read: the keywords of :func:`~rnnkit.io.sources.load_sequences`
    (also what the model folder keeps for ``rnnkit predict``)."""
    return {"format": job.format, "sep": job.sep, "id_column": job.id_column,
            "time_column": job.time_column, "label_column": job.label_column,
            "columns": split_names(job.columns)}


def load_split(job: ClassifyJob) -> tuple[LabelledSeries, LabelledSeries, str]:
    """The training and test sequences, checked, and where the test ones came from."""
    if holds_recordings(job.data):
        return recordings_split(job.data)
    options = reading(job)
    train = load_sequences(job.data, "train", **options)
    if job.test_data:
        test, origin = load_sequences(job.test_data, "test", **options), job.test_data
    elif is_bundled(job.data, "sequences"):
        test, origin = load_sequences(job.data, "test", **options), f"{job.data} (bundled test)"
    else:
        classes = np.unique(train.labels, return_inverse=True)[1]
        kept, held, _ = stratified_split(classes, job.test_fraction, job.train.seed)
        train, test = train.subset(kept), train.subset(held)
        origin = f"a stratified {job.test_fraction:g} of {job.data}"
    check_classes(train)
    check_test_labels(train, test)
    why = "a sequence needs at least two steps"
    for part in (train, test):
        check_min_length(part, MIN_LENGTH, why)
    return train, test, origin


def build(job: ClassifyJob, settings: dict | None = None) -> SequenceClassifier:
    """The unfitted classifier the flags describe; a network takes ``settings`` (its patch
    and input noise: :func:`choose_settings`)."""
    if job.model == "esn":
        params = {k: v for k, v in job_record(job.reservoir).items() if k != "washout"}
        model = ReservoirClassifier(**params, select_ridge=job.select, seed=job.train.seed)
    else:
        model = NetworkClassifier(replace(job.network, cell=job.model), job.train, job.pooling,
                                  **settings)
    return SequenceClassifier(model, job.normalize, job.class_weight, job.val_fraction,
                              job.ensemble)


def given_settings(job: ClassifyJob) -> dict:
    """The network settings the flags set (``patch``, ``input_noise``); the others are chosen."""
    given = {"patch": job.patch} if job.patch else {}
    return given | ({} if job.input_noise == CHOSEN_NOISE else {"input_noise": job.input_noise})


def choose_settings(job: ClassifyJob, train: LabelledSeries, device: str
                    ) -> tuple[dict, dict, str]:
    """The network's patch and input noise, the ``selection`` record of metrics.json and its
    printed line (empty when nothing was searched).

    With ``choose="auto"`` the settings not given are chosen among
    :func:`~rnnkit.classify.selection.default_candidates` by cross-validation on the training
    sequences only (the test ones are never passed here), one network per fold and a third of
    the epochs; with ``choose="none"``, or a class of one sequence (nothing to cross-validate),
    they are patch 1 and no noise.
    """
    given = given_settings(job)
    rarest = int(np.unique(train.labels, return_counts=True)[1].min())
    if job.choose == "none" or rarest < 2:
        why = "choose='none'" if job.choose == "none" else "a class has one training sequence"
        settings = PLAIN_SETTINGS | given
        return settings, {"by": why, "given": given, "choice": settings}, ""
    length = int(np.median(train.lengths))
    candidates = default_candidates(length, given)
    if len(candidates) == 1:
        return candidates[0], {"by": "given", "given": given, "choice": candidates[0]}, ""
    started = time.perf_counter()
    selection = cross_validate(build(job, candidates[0]), train, candidates,
                               epochs=max(1, job.train.epochs // SELECTION_EPOCHS_SHARE),
                               device=device)
    record = selection.record() | {"given": given,
                                   "seconds": time.perf_counter() - started}
    return selection.choice, record, selection.line()


def run(job: ClassifyJob) -> JobResult:
    """The job; under torchrun every rank trains on its share of each batch, rank 0 scores."""
    esn = job.model == "esn"
    runtime = start_runtime(job.runtime, None if esn else replace(job.network, cell=job.model),
                            job.train.batch_size, cpu_only="the echo state network, which "
                            "computes with NumPy and SciPy" if esn else "")
    train, test, origin = load_split(job)
    out = prepare_out(job.out)
    started = time.perf_counter()
    settings, selection, chosen = ({}, {}, "") if esn else choose_settings(job, train,
                                                                           runtime.device)
    clf = build(job, settings)
    bar = EpochBar(0 if esn else job.ensemble * job.train.epochs,
                   job.progress and runtime.is_main and not esn)
    clf.fit(train, checkpoint_dir=out / "checkpoints", resume=job.resume,
            on_epoch=bar.update, record=job_record(job), device=runtime.device)
    bar.close()
    seconds = time.perf_counter() - started
    if not runtime.is_main:
        return JobResult({}, [])
    proba = clf.predict_proba(test)
    classes = clf.classes_.tolist()
    truth = np.asarray(test.labels)
    majority = majority_baseline(np.asarray(train.labels), classes, len(test.ids))
    nearest = nn1_euclidean(train.padded(), np.asarray(train.labels), test.padded())
    scores = {
        "model": classification_scores(truth, clf.classes_[proba.argmax(1)], classes, proba),
        "majority": classification_scores(truth, majority[0], classes, majority[1]),
        "nn1_euclidean": classification_scores(truth, nearest, classes),
    }
    name = "esn" if esn else f"{job.model} {job.pooling}"
    result = {**scores, "classifier": name, "classes": classes, "train": _summary(train),
              "test": _summary(test) | {"from": origin}, "rare_classes": list(clf.rare_classes_),
              "seconds": seconds, "selection": selection, "config": job_record(job),
              "runtime": runtime.record(),
              "history": [h.records for h in clf.history_]}
    data = ({"data": job.data, "part": "test", "format": READING} if holds_recordings(job.data)
            else {"data": job.test_data or job.data, "part": "test"} | reading(job))
    clf.save(out / "model", data=data, run=runtime.record())
    write_json_atomic(out / "metrics.json", result)
    lines = [chosen] if chosen else []
    lines.append(_line(name, scores, train, test, origin, seconds))
    if scores["model"]["accuracy"] < scores["nn1_euclidean"]["accuracy"]:
        lines.append("the model loses to 1-NN Euclidean on this test set")
    outputs = {
        "predictions.csv": lambda: write_text_atomic(
            out / "predictions.csv", predictions_frame(test, clf, proba).to_csv(index=False)),
        "confusion.png": lambda: plot_confusion(out / "confusion.png",
                                                scores["model"]["confusion"], classes,
                                                f"{name}: test confusion"),
    }
    if clf.history_:
        outputs["loss.png"] = lambda: plot_loss(out / "loss.png", clf.history_,
                                                "cross-entropy (nats)", f"{name}: loss")
    if not esn and job.pooling == "attention":
        outputs["attention.png"] = lambda: _plot_attention(out / "attention.png", clf, test,
                                                           proba)
    return optional_outputs(JobResult(result, lines, out, ["model/", "metrics.json"]), outputs)


def predictions_frame(data: LabelledSeries, clf: SequenceClassifier,
                      proba: np.ndarray) -> pd.DataFrame:
    """id, true (when labelled), predicted, then p_<class> for every class."""
    frame = pd.DataFrame({"id": data.ids})
    if data.labels is not None:
        frame["true"] = data.labels
    frame["predicted"] = clf.classes_[proba.argmax(1)]
    for k, label in enumerate(clf.classes_):
        frame[f"p_{label}"] = proba[:, k]
    return frame


def _plot_attention(path, clf: SequenceClassifier, test: LabelledSeries,
                    proba: np.ndarray) -> None:
    """A few test sequences, misclassified first, with the attention the model paid them."""
    predicted = clf.classes_[proba.argmax(1)]
    wrong = np.flatnonzero(predicted != np.asarray(test.labels))
    right = np.flatnonzero(predicted == np.asarray(test.labels))
    rows = np.concatenate([wrong[: ATTENTION_EXAMPLES // 2], right])[:ATTENTION_EXAMPLES]
    chosen = test.subset(rows)
    titles = [f"id {test.ids[i]}: true {test.labels[i]}, predicted {predicted[i]}"
              for i in rows]
    plot_attention(path, list(chosen.values), clf.attention(chosen), titles, chosen.features)


def _summary(data: LabelledSeries) -> dict:
    lengths = data.lengths
    counts = pd.Series(data.labels).value_counts().sort_index()
    return {"source": data.source, "sequences": len(data.ids), "features": list(data.features),
            "min_length": int(lengths.min()), "max_length": int(lengths.max()),
            "class_counts": {str(k): int(v) for k, v in counts.items()}}


def _line(name: str, scores: dict, train: LabelledSeries, test: LabelledSeries, origin: str,
          seconds: float) -> str:
    m, nn, maj = scores["model"], scores["nn1_euclidean"], scores["majority"]
    return (f"{train.source}: {len(train.ids)} training, {len(test.ids)} test sequences "
            f"({origin}), {len(scores['model']['per_class'])} classes; {name}: accuracy "
            f"{m['accuracy']:.3f} (balanced {m['balanced_accuracy']:.3f}, macro F1 "
            f"{m['macro_f1']:.3f}); 1-NN Euclidean {nn['accuracy']:.3f}, majority "
            f"{maj['accuracy']:.3f} ({seconds:.0f} s)")
