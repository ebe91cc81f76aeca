"""``rnnkit predict``: forecast past the end of the data, or classify sequences, with a saved model.

The model folder says which. A Forecaster (``rnnkit forecast``): without ``--data`` the
model's own training data is read again, as the training run read it (one series, a
long-format file's series, or the M4 files); many series give a long frame. A
SequenceClassifier (``rnnkit classify``): without ``--data`` its run's test sequences, read as
that run read them (a classifier of recordings reads ``--data`` as one recording or a folder of
them: :mod:`rnnkit.cli.jobs.recordings`); the output is one row per sequence (id, true when the
file has labels, predicted, p_<class>).
"""

import numpy as np

from rnnkit._checks import InputError
from rnnkit.classify.classifier import SequenceClassifier
from rnnkit.cli.config import DataConfig, PredictJob
from rnnkit.cli.jobs import JobResult, start_runtime
from rnnkit.cli.jobs.classify import predictions_frame
from rnnkit.cli.jobs.forecast_files import load_data, read_future
from rnnkit.cli.jobs.recordings import READING, recordings_to_classify
from rnnkit.forecast.forecaster import Forecaster
from rnnkit.forecast.hybrid.estimator import HybridForecaster
from rnnkit.io.files import model_kind, write_text_atomic
from rnnkit.io.sources import load_sequences


def run(job: PredictJob) -> JobResult:
    runtime = start_runtime(job.runtime)
    if model_kind(job.model) == "SequenceClassifier":
        return classify(job, runtime.device)
    kind = HybridForecaster if model_kind(job.model) == "HybridForecaster" else Forecaster
    forecaster = kind.load(job.model).to(runtime.device)
    recipe = forecaster.data_ if not job.data else {"data": job.data}
    if job.date_column:
        recipe = recipe | {"date_column": job.date_column}
    source = DataConfig(**{"target": forecaster.target} | recipe)
    data, _ = load_data(source, [forecaster.target, *forecaster.covariates,
                                 *forecaster.known], forecaster.horizon)
    future_data = (read_future(source, job.future_data, forecaster.known)
                   if job.future_data else None)  # without it a model with known columns says so
    future = forecaster.predict(data, job.steps or None, future_data=future_data)
    return _written(job, {"forecast": future}, future.to_csv())


def classify(job: PredictJob, device: str) -> JobResult:
    """Classify the sequences of ``--data`` (or of the training run's test file)."""
    typed = [flag for flag, value in (("--steps", job.steps), ("--date-column", job.date_column))
             if value]
    if typed:
        raise InputError(f"{', '.join(typed)} {'does' if len(typed) == 1 else 'do'} not apply: "
                         f"{job.model} holds a classifier, which labels whole sequences")
    clf = SequenceClassifier.load(job.model).to(device)
    recipe = dict(clf.data_)
    name, part = recipe.pop("data"), recipe.pop("part")
    if recipe.get("format") == READING:
        data = recordings_to_classify(job.data or name, None if job.data else part)
    else:
        recipe["columns"] = tuple(recipe["columns"])
        data = load_sequences(job.data or name, part, labelled=False,
                              classes=tuple(map(str, clf.classes_)), **recipe)
    proba = clf.predict_proba(data)
    frame = predictions_frame(data, clf, proba)
    lines = []
    if data.labels is not None and set(data.labels) <= set(map(str, clf.classes_)):
        accuracy = float(np.mean(frame["predicted"].astype(str) == frame["true"].astype(str)))
        lines.append(f"accuracy {accuracy:.3f} on the {len(frame)} labelled sequences of "
                     f"{data.source}")
    return _written(job, {"predictions": frame}, frame.to_csv(index=False), lines)


def _written(job: PredictJob, metrics: dict, text: str, lines: list[str] = ()) -> JobResult:
    """Write ``text`` to ``--out``, or print it."""
    if job.out:
        write_text_atomic(job.out, text)
        return JobResult(metrics, [*lines, f"wrote {job.out}"])
    return JobResult(metrics, [text.rstrip("\n"), *lines])
