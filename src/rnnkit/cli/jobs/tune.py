"""``rnnkit tune forecast`` and ``rnnkit tune text``: an Optuna study over a job's settings.

Each trial is the tuned job with the values Optuna's sampler proposes from the job's search
space (:mod:`rnnkit.training.search`): trained on the training part only and scored by its best
validation loss (``validation_score`` of the job's module); the test part is never read. After
every epoch the validation loss is reported, and the pruner may stop the trial there. A trial
that diverges is pruned, one that cannot run (e.g. a batch larger than the data) fails, each
with its reason in the trial's ``reason`` attribute, and the study goes on.

The study lives in an Optuna storage: SQLite in OUT/study.db by default, so an interrupted
study resumes, or any database URL Optuna accepts, so that workers started with the same
command on one or many machines share it (each runs ``--trials`` trials). Writes into OUT:
best.toml (the job's flags with the best trial's values: ``rnnkit forecast --config best.toml``
trains it), trials.csv, history.png and importance.png (Optuna's own plots).
"""

import itertools
import os
import socket
import time
import warnings
from pathlib import Path

from rnnkit._checks import InputError, TrainingDiverged
from rnnkit.cli.config import TuneJob
from rnnkit.cli.flags import flag_values, job_with
from rnnkit.cli.jobs import JobResult
from rnnkit.cli.jobs import forecast as forecast_job
from rnnkit.cli.jobs import text as text_job
from rnnkit.cli.jobs.forecast_files import read_data
from rnnkit.io.files import prepare_out, write_text_atomic
from rnnkit.io.plots import save_axes
from rnnkit.io.sources import load_corpus
from rnnkit.training.search import read_space, suggest

NOT_WRITTEN = ("out", "resume", "progress")  # flags of the tuned job that best.toml leaves out
STORAGE_ATTEMPTS = 5


def forecast(tune: TuneJob) -> JobResult:
    job = tune.job
    if job.model == "hybrid":
        raise InputError("rnnkit tune forecast searches the recurrent and echo state "
                         "forecasters; --model hybrid makes its choices on the validation "
                         "part itself (its snapshots, weights and intervals)")
    runtime = forecast_job.start_job_runtime(job)
    data, record = read_data(job)
    forecast_job.checked_forecaster(job, data, record)  # the fixed flags fit the data

    def score(candidate, on_epoch):
        return forecast_job.validation_score(candidate, data, record, on_epoch, runtime.device)
    return _study(tune, "forecast", score)


def text(tune: TuneJob) -> JobResult:
    job = tune.job
    runtime = text_job.start_job_runtime(job)
    corpus = load_corpus(job.corpus)

    def score(candidate, on_epoch):
        return text_job.validation_score(candidate, corpus, on_epoch, runtime.device)
    return _study(tune, "text", score)


def _study(tune: TuneJob, command: str, score) -> JobResult:
    """Run this worker's trials of the study, then write what the whole study has found."""
    import optuna

    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        raise InputError("rnnkit tune runs one process per worker: start more workers "
                         "against one --storage instead of torchrun")
    job, out = tune.job, prepare_out(tune.out)
    known = {f: type(v) for f, v in flag_values(job).items()}
    space, fixed = job.search_space(), {}
    if tune.space:
        space, fixed = read_space(tune.space, space, known)
    job = job_with(job, fixed)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = _storage(tune.storage or f"sqlite:///{(out / 'study.db').resolve()}")
    name = tune.study_name or f"rnnkit-{command}"
    pruner = (optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=2)
              if tune.pruning else optuna.pruners.NopPruner())
    study = optuna.create_study(storage=storage, study_name=name, direction="minimize",
                                pruner=pruner, load_if_exists=True)
    study.optimize(lambda trial: _objective(trial, job, space, score), n_trials=tune.trials,
                   timeout=tune.timeout or None, catch=(InputError, ValueError, RuntimeError),
                   show_progress_bar=job.progress)
    return _report(study, job, out, command, name)


def _storage(url: str):
    """Optuna's RDB storage; SQLite waits for the other workers' locks instead of failing.

    The heartbeat marks a trial whose worker was killed as failed, and the next worker runs
    its parameters again, so an interrupted study loses no trial.
    """
    import optuna
    from sqlalchemy.exc import SQLAlchemyError

    options = {"connect_args": {"timeout": 60}} if url.startswith("sqlite") else {}
    for attempt in range(STORAGE_ATTEMPTS):
        try:
            with warnings.catch_warnings():  # Optuna marks heartbeats experimental
                warnings.simplefilter("ignore")
                return optuna.storages.RDBStorage(
                    url, engine_kwargs=options, heartbeat_interval=30, grace_period=120,
                    heartbeat_stale_trial_callback=(
                        optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=1)))
        except SQLAlchemyError as err:  # two workers creating a new database's tables at once
            if attempt == STORAGE_ATTEMPTS - 1:
                raise InputError(f"--storage {url}: {str(err).splitlines()[0]}") from None
            time.sleep(0.2 * (attempt + 1))
        except (ValueError, ImportError) as err:
            raise InputError(f"--storage {url}: {err}") from None


def _objective(trial, job, space: dict, score) -> float:
    """One trial: the job with the trial's values, trained and scored on validation."""
    import optuna

    trial.set_user_attr("worker", f"{socket.gethostname()}:{os.getpid()}")
    epochs = itertools.count(1)

    def report(record: dict) -> None:
        if record["val_loss"] is None:
            return
        epoch = next(epochs)
        trial.report(record["val_loss"], epoch)
        if trial.should_prune():
            reason = (f"validation loss {record['val_loss']:.4g} after epoch {epoch} is worse "
                      "than the median of the earlier trials'")
            trial.set_user_attr("reason", reason)
            raise optuna.TrialPruned(reason)
    try:
        return score(job_with(job, suggest(trial, space)), report)
    except TrainingDiverged as err:
        trial.set_user_attr("reason", f"diverged: {err}")
        raise optuna.TrialPruned(str(err)) from None
    except (InputError, ValueError, RuntimeError) as err:
        trial.set_user_attr("reason", str(err))
        raise


def _report(study, job, out: Path, command: str, name: str) -> JobResult:
    """best.toml, trials.csv and the plots of the whole study, and the summary lines."""
    import optuna
    import tomli_w
    from optuna.trial import TrialState

    trials = study.get_trials(deepcopy=False)
    counts = {state.name.lower(): sum(t.state == state for t in trials)
              for state in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)}
    write_text_atomic(out / "trials.csv", study.trials_dataframe().to_csv(index=False))
    written = ["trials.csv"]
    metrics = {"study": name, "trials": counts, "best": None}
    lines = [f"study {name}: {len(trials)} trials, {counts['complete']} complete, "
             f"{counts['pruned']} pruned, {counts['fail']} failed"]
    if counts["complete"]:
        best = study.best_trial
        unused = job.inapplicable()[0]
        values = flag_values(job, omit=(*NOT_WRITTEN, *unused)) | best.params
        header = (f"# rnnkit {command}: the best of {counts['complete']} complete trials of "
                  f"study {name} (trial {best.number}, validation loss {best.value:.6g})\n")
        write_text_atomic(out / "best.toml", header + tomli_w.dumps(values))
        metrics["best"] = {"trial": best.number, "value": best.value, "params": best.params}
        shown = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                          for k, v in best.params.items())
        lines += [f"best validation loss {best.value:.6g} (trial {best.number}): {shown}",
                  f"`rnnkit {command}{' train' if command == 'text' else ''} --config "
                  f"{out / 'best.toml'}` trains it"]
        written.append("best.toml")
        with warnings.catch_warnings():  # Optuna marks its matplotlib plots experimental
            warnings.simplefilter("ignore")
            save_axes(out / "history.png",
                      optuna.visualization.matplotlib.plot_optimization_history(study))
            written.append("history.png")
            if counts["complete"] > 1 and best.params:
                try:
                    save_axes(out / "importance.png",
                              optuna.visualization.matplotlib.plot_param_importances(study))
                    written.append("importance.png")
                except (ValueError, RuntimeError) as err:  # e.g. every trial the same
                    lines.append(f"no importance plot: {err}")
    return JobResult(metrics, lines, out, written)
