"""Covariates known in advance (a promotion, a holiday): read at the forecast steps too."""

import json

import numpy as np
import pandas as pd
import pytest

from rnnkit._checks import InputError
from rnnkit.cli import main
from rnnkit.forecast import Forecaster, NetworkRegressor, backtest
from rnnkit.forecast.features import known_leads
from rnnkit.nn.models import ModelConfig
from rnnkit.training.loop import TrainConfig

FAST = TrainConfig(epochs=20, batch_size=32, learning_rate=1e-2, patience=0)


def _promotions(n=400, extra=0, seed=0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sales that jump by 10 on promotion days (planned, so known in advance), and the
    promotions of the ``extra`` days after the data."""
    rng = np.random.default_rng(seed)
    promo = (rng.random(n + extra) < 0.2).astype(float)
    days = pd.date_range("2021-01-01", periods=n + extra, freq="D")
    sales = 100 + np.cumsum(rng.normal(0, 0.3, n)) + 10 * promo[:n]
    return (pd.DataFrame({"sales": sales, "promo": promo[:n]}, index=days[:n]),
            pd.DataFrame({"promo": promo[n:]}, index=days[n:]))


def _forecaster(known=("promo",)) -> Forecaster:
    net = NetworkRegressor(ModelConfig(hidden_size=16), FAST)
    return Forecaster(net, lookback=14, horizon=3, target="sales", known=known,
                      combine="none", features=("level",), target_kind="diff")


def test_leads_are_the_values_ahead_read_on_into_the_future():
    frame = pd.DataFrame({"y": [1.0, 2.0, 3.0], "promo": [0.0, 1.0, 0.0]},
                         index=pd.date_range("2021-01-01", periods=3))
    leads = known_leads(frame, pd.DataFrame({"promo": [1.0, 1.0]}), ("promo",), 2)
    assert leads.columns.tolist() == ["promo+1", "promo+2"]
    assert leads["promo+1"].tolist() == [1.0, 0.0, 1.0]  # row t holds promo at t + 1
    assert leads["promo+2"].tolist() == [0.0, 1.0, 1.0]
    assert known_leads(frame, None, ("promo",), 2)["promo+2"].isna().tolist() == [False, True,
                                                                                 True]


def test_the_network_uses_what_is_known_in_advance():
    frame, _ = _promotions()
    blind = backtest(_forecaster(known=()), frame).metrics["model"]["mae"]
    told = backtest(_forecaster(), frame).metrics["model"]["mae"]
    assert told < 0.5 * blind  # the jumps are only predictable from the plan


def test_predict_reads_the_plan_and_refuses_without_it(tmp_path):
    frame, plan = _promotions(extra=5)
    plan["promo"] = [1.0, 0.0, 1.0, 0.0, 0.0]  # a plan with and without promotions
    f = _forecaster().fit(frame)
    with pytest.raises(InputError, match=r"reads promo at the 3 times after the data; "
                                          r"`future_data` has 0 rows"):
        f.predict(frame)
    future = f.predict(frame, future_data=pd.concat([frame[["promo"]], plan]))  # the past is
    assert future.index.tolist() == plan.index[:3].tolist()  # skipped: only what comes after
    promo = plan["promo"].to_numpy()[:3]  # a promotion day is forecast higher than one without
    assert future["sales"][promo == 1].min() > future["sales"][promo == 0].max()
    f.save(tmp_path / "model")
    g = Forecaster.load(tmp_path / "model")
    assert g.known == ("promo",)
    pd.testing.assert_frame_equal(g.predict(frame, future_data=plan), f.predict(
        frame, future_data=plan))


def test_a_known_column_is_not_also_the_target_or_a_covariate():
    with pytest.raises(InputError, match="'promo' is in `known` and is the target or one of"):
        Forecaster(target="sales", covariates=("promo",), known=("promo",)).check_params()


def test_the_command_line_reads_the_plan_from_a_second_file(tmp_path, capsys):
    frame, plan = _promotions(extra=7)
    data, future = tmp_path / "sales.csv", tmp_path / "plan.csv"
    frame.rename_axis("date").to_csv(data)
    plan.rename_axis("date").to_csv(future)
    flags = ["--target", "sales", "--known", "promo", "--horizon", "3", "--lookback", "14",
             "--loss", "mse", "--epochs", "2", "--hidden-size", "8", "--no-progress",
             "--threads", "1"]
    out = tmp_path / "run"
    assert main(["forecast", "--data", str(data), *flags, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--known promo needs --future-data" in err and err.count("\n") == 1
    assert not out.exists()  # refused before anything was written
    assert main(["forecast", "--data", str(data), "--future-data", str(future), *flags,
                 "--out", str(out)]) == 0
    assert len(pd.read_csv(out / "future.csv")) == 3
    assert json.loads((out / "metrics.json").read_text())["config"]["known"] == "promo"
    capsys.readouterr()
    assert main(["predict", "--model", str(out / "model")]) == 2
    assert "--future-data has 0 rows" in capsys.readouterr().err
    assert main(["predict", "--model", str(out / "model"), "--future-data", str(future)]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 1 + 3


def test_the_linear_model_is_told_the_plan_too():
    """The scoreboard's linear model reads the known values as regressors, so the network is
    measured against a linear model that knows what it knows."""
    from rnnkit.forecast.linear import LinearModel

    frame, _ = _promotions()
    net = NetworkRegressor(ModelConfig(hidden_size=8), TrainConfig(epochs=1))
    told, blind = (backtest(Forecaster(net, lookback=14, horizon=3, target="sales", known=known),
                            frame) for known in (("promo",), ()))
    assert told.metrics["linear"]["mae"] < 0.5 * blind.metrics["linear"]["mae"]
    linear = told.forecaster.linear_
    assert (linear.exog, linear.lookback) == (3, 14)  # promo+1 .. promo+3
    again = LinearModel.from_dict(linear.to_dict())
    assert (again.exog, again.lookback) == (3, 14)
