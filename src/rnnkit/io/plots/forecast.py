"""Figures of forecasts: the forecast beside the history, the error by step ahead, examples of many
series."""

from pathlib import Path

import numpy as np
import pandas as pd

from rnnkit.io.plots.figure import new_figure, readable_dates, save_figure


def plot_forecast(path: str | Path | None, history: pd.Series, predictions: pd.DataFrame,
                  future: pd.DataFrame | None, target: str, title: str, season: int = 1):
    """The tutorial's figure, readable for long series: the test part's one-step forecasts.

    ``predictions`` is :func:`rnnkit.forecast.backtesting.backtest`'s long form (origin, step, date,
    actual, model, naive, snaive, drift). The top panel shows the end of the training data and the
    last part of the test part (at most 400 points, or 4 seasons when longer) with the
    one-step-ahead model, naive and seasonal-naive forecasts, then the future, with the model's
    95% interval shaded where ``predictions`` / ``future`` have lo_95 and hi_95. With H > 1 a
    second panel draws three whole H-step forecasts from origins spread over the test part.
    Written to ``path`` (a PNG); the Figure is returned (to show it, e.g. in a notebook).
    """
    from matplotlib.figure import Figure

    steps = int(predictions["step"].max())
    one = predictions[predictions["step"] == 1]
    shown = one.iloc[-max(400, 4 * season):]
    actual = predictions.drop_duplicates("date")  # every test time, to the end of the data
    actual = actual[actual["date"] >= shown["date"].iloc[0]]
    fig = Figure(figsize=(12, 6 if steps == 1 else 9))
    grid = fig.add_gridspec(1 if steps == 1 else 2, 3)
    ax = fig.add_subplot(grid[0, :])
    context = history.iloc[-len(shown) // 3:] if len(one) == len(shown) else history.iloc[:0]
    if len(context):
        ax.plot(context.index, context.to_numpy(), color="0.55", lw=1, label="training data")
    ax.plot(actual["date"], actual["actual"], color="black", lw=1.2, label="actual")
    ax.plot(shown["date"], shown["naive"], color="tab:orange", lw=1, ls="--",
            label="naive (last value)")
    if season > 1:
        ax.plot(shown["date"], shown["snaive"], color="tab:green", lw=1, ls=":",
                label=f"seasonal naive (m = {season})")
    ax.plot(shown["date"], shown["model"], color="tab:blue", lw=1.2, label="model, 1 step ahead")
    _band(ax, shown, shown["date"], "tab:blue", "95% interval")
    if "spread" in shown:
        ax.fill_between(shown["date"], shown["model"] - 2 * shown["spread"],
                        shown["model"] + 2 * shown["spread"], color="tab:blue", alpha=0.2,
                        lw=0, label="ensemble ±2σ")
    if future is not None and len(future):
        ax.plot(future.index, future[target], color="tab:red", lw=1.5, marker=".",
                label=f"forecast, next {len(future)} steps")
        _band(ax, future, future.index, "tab:red", None)
    last_of = "" if len(one) == len(shown) else f" (last {len(shown)} of {len(one)} origins)"
    ax.set(title=title + last_of, xlabel="time", ylabel=target)
    ax.legend(loc="upper left", fontsize="small")
    ax.grid(alpha=0.3)
    readable_dates(ax)
    if steps > 1:
        origins = predictions["origin"].unique()
        for k, origin in enumerate(origins[np.linspace(0, len(origins) - 1, 3).astype(int)]):
            _plot_path(fig.add_subplot(grid[1, k]), predictions[predictions["origin"] == origin],
                       target if k == 0 else "", steps, legend=k == 0)
    fig.tight_layout()
    return _written(fig, path)


def _written(fig, path: str | Path | None):
    """``fig``, written to ``path`` first when there is one."""
    if path is not None:
        save_figure(fig, path)
    return fig


def _plot_path(ax, path: pd.DataFrame, target: str, steps: int, legend: bool) -> None:
    """One H-step forecast (model and seasonal naive) against what happened."""
    ax.plot(path["date"], path["actual"], color="black", lw=1.2, label="actual")
    ax.plot(path["date"], path["model"], color="tab:blue", lw=1.2, label="model")
    _band(ax, path, path["date"], "tab:blue", "95% interval")
    ax.plot(path["date"], path["snaive"], color="tab:green", lw=1, ls=":", label="seasonal naive")
    ax.set(title=f"{steps} steps from {path['origin'].iloc[0]}", ylabel=target)
    ax.tick_params(axis="x", labelsize="small")
    readable_dates(ax)
    if legend:
        ax.legend(loc="upper left", fontsize="small")
    ax.grid(alpha=0.3)


def _band(ax, frame: pd.DataFrame, times, color: str, label: str | None) -> None:
    """Shade the 95% interval (lo_95 .. hi_95) of ``frame`` when it has one."""
    if "lo_95" in frame and "hi_95" in frame:
        ax.fill_between(times, frame["lo_95"], frame["hi_95"], color=color, alpha=0.15, lw=0,
                        label=label)


def plot_error_by_step(path: str | Path, predictions: pd.DataFrame, season: int = 1) -> None:
    """Many series: the mean sMAPE over series at each step h = 1 .. H, model and benchmarks.

    ``predictions`` is the long form of :func:`rnnkit.forecast.backtesting.backtest` for many
    series.
    """
    fig, ax = new_figure(9, 5)
    y = predictions["actual"].to_numpy()
    for k, who in enumerate(w for w in ("model", "network", "linear", "naive", "snaive",
                                        "naive2", "drift") if w in predictions):
        f = predictions[who].to_numpy()
        denominator = np.abs(y) + np.abs(f)
        smape = 200 * np.divide(np.abs(y - f), denominator, out=np.zeros_like(y),
                                where=denominator > 0)
        by_step = pd.Series(smape).groupby(predictions["step"].to_numpy()).mean()
        label = f"seasonal naive (m = {season})" if who == "snaive" else who
        ax.plot(by_step.index, by_step.to_numpy(), color=f"C{k}", lw=1.5 if k == 0 else 1,
                marker="o" if len(by_step) <= 12 else None, label=label)  # H = 1: a dot each
    ax.set(title="error by horizon step, mean over series and origins", xlabel="step h",
           ylabel="sMAPE (%)")
    if predictions["step"].nunique() <= 12:
        ax.set_xticks(sorted(predictions["step"].unique()))
    ax.legend()
    ax.grid(alpha=0.3)
    save_figure(fig, path)


def plot_series_examples(path: str | Path | None, predictions: pd.DataFrame,
                         per_series: pd.DataFrame, target: str):
    """The best, median and worst series by the model's sMAPE against what happened: the last
    test origin's forecast (model, its 95% interval, seasonal naive), or for short horizons
    (H < 8) the one-step forecasts of the last 200 test origins. Written to ``path`` (a PNG);
    the Figure is returned."""
    from matplotlib.figure import Figure

    horizon = int(predictions["step"].max())
    column = per_series.columns[0]
    ranked = per_series.sort_values("model_smape", kind="stable")[column].tolist()
    picks = {"best": ranked[0], "median": ranked[len(ranked) // 2], "worst": ranked[-1]}
    fig = Figure(figsize=(14, 4))
    for ax, (name, key) in zip(fig.subplots(1, 3), picks.items(), strict=True):
        rows = predictions[predictions[column] == key]
        rows = (rows[rows["origin"] == rows["origin"].iloc[-1]] if horizon >= 8
                else rows[rows["step"] == 1].tail(200))
        marker = "." if len(rows) < 3 else None
        ax.plot(rows["date"], rows["actual"], color="black", lw=1.2, marker=marker,
                label="actual")
        ax.plot(rows["date"], rows["model"], color="tab:blue", lw=1.2, marker=marker,
                label="model" if horizon >= 8 else "model, 1 step ahead")
        _band(ax, rows, rows["date"], "tab:blue", "95% interval")
        ax.plot(rows["date"], rows["snaive"], color="tab:green", lw=1, ls=":", marker=marker,
                label="seasonal naive")
        smape = per_series.loc[per_series[column] == key, "model_smape"].iloc[0]
        ax.set(title=f"{name}: {key} (sMAPE {smape:.2f}%)", ylabel=target)
        ax.tick_params(axis="x", labelsize="small")
        ax.grid(alpha=0.3)
        readable_dates(ax)
    fig.axes[0].legend(loc="upper left", fontsize="small")
    fig.tight_layout()
    return _written(fig, path)
