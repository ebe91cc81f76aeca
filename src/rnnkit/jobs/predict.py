"""``rnnkit predict``: forecast past the end of a data file with a saved Forecaster.

Without ``--data`` the model's own training data is read again, as the training run read it.
"""

from rnnkit.config import PredictJob
from rnnkit.forecast import Forecaster
from rnnkit.io import load_table, write_text_atomic
from rnnkit.jobs import JobResult


def run(job: PredictJob) -> JobResult:
    forecaster = Forecaster.load(job.model)
    recipe = forecaster.data_ if not job.data else {"data": job.data}
    columns = [forecaster.target, *forecaster.covariates]
    frame, _ = load_table(recipe.get("data", "aapl"), job.date_column or recipe.get(
        "date_column", ""), columns, sep=recipe.get("sep", ""),
        decimal=recipe.get("decimal", ""), id_column=recipe.get("id_column", ""),
        series=recipe.get("series", ""))
    future = forecaster.predict(frame, job.steps or None)
    metrics = {"forecast": {str(time): value for time, value in
                            future[forecaster.target].items()}}
    if job.out:
        write_text_atomic(job.out, future.to_csv())
        return JobResult(metrics, [f"wrote {job.out}"])
    return JobResult(metrics, [future.to_csv().rstrip("\n")])
