"""``rnnkit predict``: forecast past the end of a data file with a saved Forecaster."""

from rnnkit.config import PredictJob
from rnnkit.forecast import Forecaster
from rnnkit.io import load_table, write_text_atomic
from rnnkit.jobs import JobResult


def run(job: PredictJob) -> JobResult:
    forecaster = Forecaster.load(job.model)
    columns = [forecaster.target, *forecaster.covariates]
    frame, _ = load_table(job.data, job.date_column, columns)
    future = forecaster.predict(frame, job.steps or None)
    metrics = {"forecast": {str(date): value for date, value in
                            future[forecaster.target].items()}}
    if job.out:
        write_text_atomic(job.out, future.to_csv())
        return JobResult(metrics, [f"wrote {job.out}"])
    return JobResult(metrics, [future.to_csv().rstrip("\n")])
