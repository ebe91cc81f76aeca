"""Tuning with Optuna: search spaces, trials scored on validation only, workers sharing a study."""

import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import optuna
import pandas as pd
import pytest
from optuna.trial import FixedTrial, TrialState

from rnnkit._checks import InputError
from rnnkit.cli.app import main
from rnnkit.cli.config import ForecastJob, TextTrainJob
from rnnkit.cli.flags import flag_values, job_with
from rnnkit.cli.jobs import tune as tune_job
from rnnkit.cli.jobs.forecast import validation_score
from rnnkit.training.search import Choice, Float, Int, Param, read_space, suggest
from stopping import stop_at_call

FAST = ["--epochs", "1", "--epoch-batches", "2", "--no-progress", "--threads", "1"]


def _known(job) -> dict:
    return {name: type(value) for name, value in flag_values(job).items()}


def test_a_space_file_replaces_adds_fixes_and_names_only_real_flags(tmp_path):
    space = {"hidden_size": Int(8, 128, log=True), "learning_rate": Float(1e-4, 1e-2)}
    path = tmp_path / "space.toml"
    path.write_text("hidden_size = {low = 16, high = 32}\nbatch_size = [16, 32]\n"
                    "learning_rate = 0.005\n")
    new, fixed = read_space(path, space, _known(ForecastJob()))
    assert new == {"hidden_size": Int(16, 32), "batch_size": Choice(16, 32)}
    assert fixed == {"learning_rate": 0.005}
    path.write_text("hiden_size = {low = 1, high = 2}\n")
    with pytest.raises(InputError, match="'hiden_size' is not a parameter"):
        read_space(path, space, _known(ForecastJob()))
    path.write_text("hidden_size = {low = 1}\n")
    with pytest.raises(InputError, match="needs low and high"):
        read_space(path, space, _known(ForecastJob()))
    with pytest.raises(InputError, match="low <= high"):
        Param("float", 2.0, 1.0)
    with pytest.raises(InputError, match="low > 0 when log"):
        Float(0.0, 1.0, log=True)


def test_suggest_asks_optuna_for_every_parameter_with_its_type():
    space = {"hidden_size": Int(8, 64, log=True), "dropout": Float(0.0, 0.5),
             "cell": Choice("lstm", "gru")}
    values = suggest(FixedTrial({"hidden_size": 16, "dropout": 0.25, "cell": "gru"}), space)
    assert values == {"hidden_size": 16, "dropout": 0.25, "cell": "gru"}
    study = optuna.create_study()
    for _ in range(5):
        trial = study.ask()
        drawn = suggest(trial, space)
        assert 8 <= drawn["hidden_size"] <= 64 and isinstance(drawn["hidden_size"], int)
        assert 0.0 <= drawn["dropout"] <= 0.5 and drawn["cell"] in ("lstm", "gru")
        study.tell(trial, 0.0)


def test_every_default_space_names_real_flags():
    for job in (ForecastJob(), ForecastJob(model="esn"), TextTrainJob()):
        assert set(job.search_space()) <= set(flag_values(job)), type(job).__name__


def test_trials_never_see_the_test_part():
    """The validation score is the same whatever the test rows hold."""
    from rnnkit.io import load_aapl

    job = job_with(ForecastJob(), {"epochs": 2, "epoch_batches": 2, "hidden_size": 8,
                                   "threads": 1, "progress": False})
    data = load_aapl()[["Close"]]
    record = {"test_size": 0}
    score = validation_score(job, data, record)
    tampered = data.copy()
    test_rows = len(data) - int(np.ceil(len(data) * (1 - job.test_fraction)))
    tampered.iloc[-test_rows:, 0] = 1e6
    assert validation_score(job, tampered, record) == score
    tampered.iloc[-test_rows - 5, 0] = 1e6  # a training row: the score moves
    assert validation_score(job, tampered, record) != score


def test_a_study_records_diverged_and_failed_trials_and_goes_on(tmp_path, capsys):
    space = tmp_path / "space.toml"
    # lr 10 with plain SGD and no clipping diverges; hidden size 0 cannot be built
    space.write_text("learning_rate = 10.0\nbatch_size = 16\nnum_layers = 1\n"
                     "hidden_size = [0, 8]\n")
    out = tmp_path / "tune"
    code = main(["tune", "forecast", "--epochs", "2", "--epoch-batches", "10", "--no-progress",
                 "--threads", "1", "--optimizer", "sgd", "--grad-clip", "0",
                 "--trials", "6", "--space", str(space), "--out", str(out), "--no-pruning"])
    assert code == 0, capsys.readouterr().err
    trials = pd.read_csv(out / "trials.csv")
    assert len(trials) == 6
    reasons = trials.set_index("number")["user_attrs_reason"].dropna()
    states = trials.set_index("number")["state"]
    assert set(states) <= {"PRUNED", "FAIL"}  # every trial diverges or cannot be built
    assert len(reasons) == 6
    for number, reason in reasons.items():
        if states[number] == "PRUNED":
            assert reason.startswith("diverged: training diverged at step"), reason
        else:
            assert "hidden_size" in reason, reason
    assert not (out / "best.toml").exists()  # no trial completed: nothing to reproduce


def test_best_toml_is_a_config_that_rebuilds_the_best_trial(tmp_path, capsys):
    out = tmp_path / "tune"
    assert main(["tune", "forecast", *FAST, "--hidden-size", "8", "--trials", "3",
                 "--out", str(out)]) == 0
    report = capsys.readouterr().out
    assert "study rnnkit-forecast: 3 trials" in report and "best.toml" in report
    study = optuna.load_study(study_name="rnnkit-forecast",
                              storage=f"sqlite:///{(out / 'study.db').resolve()}")
    best = study.best_trial
    for name in ("history.png", "importance.png", "trials.csv", "best.toml"):
        assert (out / name).stat().st_size > 0, name
    from rnnkit.cli import flags
    from rnnkit.cli.app import command_parser

    args = command_parser(["forecast"], ForecastJob).parse_args(
        ["--config", str(out / "best.toml")])
    rebuilt = flags.job_from_args(ForecastJob, args)
    fixed = flags.job_from_args(ForecastJob, command_parser(["forecast"], ForecastJob)
                                 .parse_args(FAST))
    assert rebuilt == job_with(fixed, best.params | {"progress": True})  # not written


@pytest.mark.slow
def test_two_workers_share_one_sqlite_study_and_no_trial_is_lost_or_repeated(tmp_path):
    storage = f"sqlite:///{(tmp_path / 'shared.db').resolve()}"
    command = [sys.executable, "-m", "rnnkit", "tune", "forecast", *FAST, "--hidden-size", "8",
               "--trials", "3", "--storage", storage, "--study-name", "shared"]
    workers = [subprocess.Popen([*command, "--out", str(tmp_path / f"w{k}")],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for k in range(2)]
    for worker in workers:
        _, err = worker.communicate(timeout=600)
        assert worker.returncode == 0, err
    study = optuna.load_study(study_name="shared", storage=storage)
    trials = study.get_trials()
    assert sorted(t.number for t in trials) == list(range(6))
    assert all(t.state == TrialState.COMPLETE for t in trials)
    by_worker = pd.Series([t.user_attrs["worker"] for t in trials]).value_counts()
    assert sorted(by_worker) == [3, 3]
    assert len({tuple(sorted(t.params.items())) for t in trials}) == 6  # none run twice
    for k in range(2):  # each worker reports the whole study
        assert len(pd.read_csv(Path(tmp_path / f"w{k}" / "trials.csv"))) >= 3


def test_a_trial_worse_than_the_median_after_an_epoch_is_pruned_with_the_reason():
    from rnnkit.cli.jobs.tune import _objective

    study = optuna.create_study(pruner=optuna.pruners.MedianPruner(n_startup_trials=3,
                                                                   n_warmup_steps=2))
    curves = [[1.0, 0.9, 0.8]] * 3 + [[5.0, 5.0, 5.0], [1.0, 0.5, 0.4]]

    def score_for(curve):
        def score(job, report):
            for value in curve:
                report({"val_loss": value})
            return curve[-1]
        return score

    for curve in curves:
        study.optimize(lambda trial, c=curve: _objective(trial, ForecastJob(), {}, score_for(c)),
                       n_trials=1)
    states = [t.state for t in study.trials]
    assert states == [TrialState.COMPLETE] * 3 + [TrialState.PRUNED, TrialState.COMPLETE]
    assert "after epoch 2 is worse than the median" in study.trials[3].user_attrs["reason"]


def test_an_interrupted_study_resumes_with_no_completed_trial_lost_or_repeated(tmp_path,
                                                                              capsys):
    """Ctrl-C as the third trial starts (the trial's own stop is test_interrupted's): the
    study keeps the two completed trials, and a new worker adds two more, none run again."""
    out = tmp_path / "tune"
    command = ["tune", "forecast", *FAST, "--hidden-size", "8", "--no-pruning",
               "--out", str(out)]
    storage = f"sqlite:///{(out / 'study.db').resolve()}"
    with stop_at_call(tune_job, "suggest", call=3, how=signal.SIGINT) as stop:
        assert main([*command, "--trials", "50"]) == 130
    assert stop["stopped"]
    assert capsys.readouterr().err.startswith("rnnkit: interrupted")
    trials = optuna.load_study(study_name="rnnkit-forecast", storage=storage).get_trials()
    before = {t.number: (t.params, t.value) for t in trials if t.state == TrialState.COMPLETE}
    assert sorted(before) == [0, 1] and trials[2].state == TrialState.FAIL
    assert main([*command, "--trials", "2"]) == 0
    after = optuna.load_study(study_name="rnnkit-forecast", storage=storage).get_trials()
    complete = {t.number: (t.params, t.value) for t in after if t.state == TrialState.COMPLETE}
    assert {n: complete[n] for n in before} == before  # none lost, none changed
    assert len(complete) == len(before) + 2  # the new worker ran two more, none again
