"""``rnnkit predict``: forecast past the end of the data with a saved Forecaster.

Without ``--data`` the model's own training data is read again, as the training run read it
(one series, a long-format file's series, or the M4 files); many series give a long frame.
"""

from rnnkit.config import DataConfig, PredictJob
from rnnkit.forecast import Forecaster
from rnnkit.io import write_text_atomic
from rnnkit.jobs import JobResult, start_runtime
from rnnkit.jobs.forecast import load_data


def run(job: PredictJob) -> JobResult:
    runtime = start_runtime(job.runtime)
    forecaster = Forecaster.load(job.model).to(runtime.device)
    recipe = forecaster.data_ if not job.data else {"data": job.data}
    if job.date_column:
        recipe = recipe | {"date_column": job.date_column}
    source = DataConfig(**{"target": forecaster.target} | recipe)
    data, _ = load_data(source, [forecaster.target, *forecaster.covariates],
                        forecaster.horizon)
    future = forecaster.predict(data, job.steps or None)
    metrics = {"forecast": future}
    if job.out:
        write_text_atomic(job.out, future.to_csv())
        return JobResult(metrics, [f"wrote {job.out}"])
    return JobResult(metrics, [future.to_csv().rstrip("\n")])
