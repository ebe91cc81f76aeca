"""The ES-RNN hybrid: its smoothing against the equations, its losses' parts, the estimator's
round trips and honesty, and the job on M4 files of any frequency."""

import json

import numpy as np
import pandas as pd
import pytest
import torch

from rnnkit._checks import InputError
from rnnkit.cli.app import main
from rnnkit.forecast.backtesting import backtest, training_part
from rnnkit.forecast.hybrid import HybridForecaster, HybridNetwork
from rnnkit.forecast.hybrid.calibration import conformal_quantiles, error_sizes, series_weights
from rnnkit.forecast.hybrid.series import packed_series
from rnnkit.forecast.hybrid.smoothing import HoltWinters
from rnnkit.training.loop import TrainConfig

QUICK = TrainConfig(epochs=2, batch_size=4, learning_rate=5e-3, patience=0)


def _holt_winters_numpy(y, alpha, gammas, cycles, horizon):
    """The smoothing's equations, one series, in plain NumPy (the module's docstring)."""
    seasons = [list(c) for c in cycles]
    levels = []
    for t, value in enumerate(y):
        current = [s[t] for s in seasons]
        factor = np.prod(current)
        level = value / factor if t == 0 else alpha * value / factor + (1 - alpha) * levels[-1]
        levels.append(level)
        for k, s in enumerate(seasons):
            others = np.prod(current[:k] + current[k + 1:])
            s.append(gammas[k] * value / (level * others) + (1 - gammas[k]) * current[k])
    factors = np.ones(len(y) + horizon)
    for s, c in zip(seasons, cycles, strict=True):
        while len(s) < len(y) + horizon:
            s.append(s[len(s) - len(c)])
        factors *= np.array(s[: len(y) + horizon])
    return np.array(levels), factors


def test_the_smoothing_follows_its_equations_for_two_seasons():
    rng = np.random.default_rng(0)
    hw = HoltWinters(2, (3, 6)).double()
    with torch.no_grad():
        hw.level_smoothing.copy_(torch.tensor([0.3, -1.2]))
        hw.season_smoothing.copy_(torch.tensor([[0.5, -0.7], [-2.0, 1.0]]))
        for c in hw.initial_cycles():
            c.copy_(torch.from_numpy(rng.normal(0, 0.2, c.shape)))
    y = rng.uniform(1, 3, (2, 20))
    levels, factors = hw(torch.from_numpy(y), torch.tensor([1, 0]), horizon=8)
    for row, series in enumerate((1, 0)):
        alpha = 1 / (1 + np.exp(-hw.level_smoothing[series].item()))
        gammas = 1 / (1 + np.exp(-hw.season_smoothing[series].detach().numpy()))
        cycles = [np.exp(c[series].detach().numpy()) for c in hw.initial_cycles()]
        want_levels, want_factors = _holt_winters_numpy(y[row], alpha, gammas, cycles, 8)
        np.testing.assert_allclose(levels[row].detach().numpy(), want_levels, rtol=1e-12)
        np.testing.assert_allclose(factors[row].detach().numpy(), want_factors, rtol=1e-12)


def test_a_series_made_of_its_two_cycles_starts_with_them_and_keeps_a_flat_level():
    t = np.arange(96)
    day, week = 0.3 * np.sin(2 * np.pi * t / 4), 0.1 * ((t % 8 >= 4) - 0.5)
    y = 7.0 * np.exp(day + week)
    hw = HoltWinters(1, (4, 8)).double()
    hw.start_from([y])
    levels, factors = hw(torch.from_numpy(y[None]), torch.tensor([0]), horizon=4)
    np.testing.assert_allclose(levels[0].detach().numpy(), 7.0, rtol=1e-9)
    np.testing.assert_allclose(factors[0, :96].detach().numpy(), y / 7.0, rtol=1e-9)


def test_the_smoothing_gradients_match_finite_differences():
    hw = HoltWinters(1, (3, 4)).double()
    y = torch.rand(1, 11, dtype=torch.float64) + 1
    names = [name for name, _ in hw.named_parameters()]

    def smoothed(*values):
        return torch.func.functional_call(hw, dict(zip(names, values, strict=True)),
                                          (y, torch.tensor([0]), 5))

    generator = torch.Generator().manual_seed(0)
    inputs = tuple((p.detach() + 0.3 * torch.randn(p.shape, generator=generator,
                                                    dtype=torch.float64)).requires_grad_()
                   for p in hw.parameters())
    assert torch.autograd.gradcheck(smoothed, inputs)


def _panel(series=4, length=150, season=12, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(length)
    return {f"s{i}": pd.DataFrame({"value": (20 + 3 * i) * (1 + 0.3 * np.sin(
        2 * np.pi * t / season + i)) * np.exp(rng.normal(0, 0.02, length))})
        for i in range(series)}


def test_training_reads_the_fitting_part_and_validation_the_validation_part_only():
    net = HybridNetwork(2, (4,), lookback=4, horizon=3, quantiles=(0.5, 0.1, 0.9),
                       hidden_size=8, dilations=(1, 2))
    y = [np.linspace(1, 2, 30), np.linspace(2, 3, 25)]
    x = torch.from_numpy(packed_series(y, [0, 1], 3))
    edited = x.clone()
    edited[0, 27:, 0] *= 5  # the first series' validation values
    net.train()
    assert torch.equal(net(x)[1], net(edited)[1])
    net.eval()
    assert not torch.equal(net(x)[1], net(edited)[1])
    fit_edit = x.clone()
    fit_edit[0, 26, 0] *= 5  # the last fitting value: an input of the validation forecast
    net.train()
    assert not torch.equal(net(x)[1], net(fit_edit)[1])
    padded = torch.cat([x, x[:, -1:].repeat(1, 7, 1) * torch.tensor([1.0, 0.0, 1.0])], dim=1)
    for mode in (True, False):  # padding after every series' end changes nothing
        net.train(mode)
        torch.testing.assert_close(net(padded)[1], net(x)[1])


def test_series_weights_and_conformal_bands_on_known_cases():
    actual = np.ones((30, 2))
    assert series_weights(actual * 1.1, actual * 0.95, actual).tolist() == [0.3] * 30
    rng = np.random.default_rng(0)
    errors = rng.normal(0, 1, (400, 2)) * np.linspace(0.5, 3, 400)[:, None]
    sigma = error_sizes(-np.ones((400, 2)), np.ones((400, 2)), np.linspace(0.5, 3, 400))
    q = conformal_quantiles(errors, sigma, 90)
    fresh = rng.normal(0, 1, (4000, 2)) * np.linspace(0.5, 3, 4000)[:, None]
    inside = np.abs(fresh) <= q * np.sqrt(np.linspace(0.5, 3, 4000))[:, None]
    assert 0.87 < inside.mean() < 0.93  # the errors grow with σ², their bands with σ: ~90%


@pytest.fixture(scope="module")
def fitted():
    panel = _panel()
    train = training_part(HybridForecaster(), panel, test_size=6)
    hybrid = HybridForecaster(horizon=6, season=12, snapshots=2, train=QUICK).fit(train)
    return hybrid, panel


def test_fit_learns_what_it_should_and_scores_beside_the_baselines(fitted):
    hybrid, panel = fitted
    assert hybrid.seasons_ == (12,) and hybrid.lookback_ == 12
    assert len(hybrid.members_) == 2 and set(hybrid.weights_) == set(panel)
    result = backtest(hybrid, panel, refit=False, test_size=6)  # one origin, as in M4
    assert {"model", "network", "snaive", "naive2"} <= set(result.metrics)
    assert 0 <= result.metrics["model"]["coverage_95"] <= 1
    assert result.metrics["series"]["scored"] == 4


def test_a_saved_hybrid_forecasts_the_same(fitted, tmp_path):
    hybrid, panel = fitted
    hybrid.save(tmp_path / "model")
    loaded = HybridForecaster.load(tmp_path / "model")
    pd.testing.assert_frame_equal(hybrid.predict(panel, 9), loaded.predict(panel, 9))
    assert loaded.get_params() == hybrid.get_params()


def test_nothing_is_learned_from_the_test_part(fitted):
    hybrid, panel = fitted
    edited = {key: frame.copy() for key, frame in panel.items()}
    for frame in edited.values():
        frame.iloc[-6:, 0] *= 3
    again = HybridForecaster(**hybrid.get_params()).fit(
        training_part(hybrid, edited, test_size=6))
    assert again.weights_ == hybrid.weights_
    np.testing.assert_array_equal(again.conformal_[95], hybrid.conformal_[95])
    origins = {key: len(frame) - 7 for key, frame in panel.items()}
    before = hybrid.predict_panel(panel, origins)["s0"].mean[0]
    after = again.predict_panel(edited, origins)["s0"].mean[0]
    np.testing.assert_allclose(before, after, rtol=1e-5)


def test_one_series_validates_on_every_origin_of_a_longer_validation_part():
    series = _panel(series=1)["s0"]
    hybrid = HybridForecaster(horizon=6, season=12, snapshots=1, validation=30,
                              train=QUICK).fit(series.iloc[:-6])
    assert hybrid.validation_["origins"] == 30 - 6 + 1 and hybrid.conformal_[95].shape == (6,)
    forecast = hybrid.predict(series)
    assert list(forecast.columns) == ["value", "lo_95", "hi_95"] and len(forecast) == 6
    assert (forecast["lo_95"] <= forecast["value"]).all()


def test_values_that_are_not_positive_are_refused_in_one_line():
    panel = _panel(series=2)
    panel["s1"].iloc[40, 0] = 0.0
    with pytest.raises(InputError, match=r"series s1 has 0 at row 40: .*values > 0"):
        HybridForecaster(horizon=6, season=12, train=QUICK).fit(panel)


def _m4_files(folder, letter, length, horizon, season, series=5):
    """A small M4-format pair of files of one frequency."""
    rng = np.random.default_rng(1)
    t = np.arange(length + horizon)
    rows = [(f"{letter}{i + 1}", (50 + 10 * i) * (1 + 0.2 * np.sin(2 * np.pi * t / max(season, 2)))
             * np.exp(np.cumsum(rng.normal(0, 0.01, len(t))))) for i in range(series)]
    train = "V1," + ",".join(f"V{j + 2}" for j in range(length)) + "\n" + "".join(
        f"{key}," + ",".join(f"{v:.3f}" for v in values[:length]) + "\n" for key, values in rows)
    test = "V1," + ",".join(f"V{j + 2}" for j in range(horizon)) + "\n" + "".join(
        f"{key}," + ",".join(f"{v:.3f}" for v in values[length:]) + "\n" for key, values in rows)
    (folder / "train.csv").write_text(train)
    (folder / "test.csv").write_text(test)


@pytest.mark.parametrize(("letter", "season", "seasons"), [("Q", 4, [4]), ("W", 1, [])])
def test_the_job_reads_an_m4_frequency_with_its_season_and_predict_reads_the_model(
        tmp_path, letter, season, seasons, capsys):
    _m4_files(tmp_path, letter, 60, 8, season)
    out = tmp_path / "out"
    assert main(["forecast", "--model", "hybrid", "--data", str(tmp_path / "train.csv"),
                 "--test-data", str(tmp_path / "test.csv"), "--epochs", "1", "--snapshots", "1",
                 "--out", str(out), "--no-progress", "--no-figures", "--threads", "1"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["season"] == season and metrics["hybrid"]["seasons"] == seasons
    assert metrics["data"]["horizon"] == 8 and metrics["series"]["scored"] == 5
    out_text = capsys.readouterr().out
    assert "hybrid: Holt-Winters per series" in out_text and "peak memory" in out_text
    wins = metrics["series"]["better_than_snaive"]
    assert f"the model's MASE is below seasonal naive's on {wins} of 5 series" in out_text
    assert main(["predict", "--model", str(out / "model"), "--out", str(tmp_path / "f.csv"),
                 "--threads", "1"]) == 0
    future = pd.read_csv(tmp_path / "f.csv")
    assert len(future) == 5 * 8 and {"lo_95", "hi_95"} <= set(future.columns)
