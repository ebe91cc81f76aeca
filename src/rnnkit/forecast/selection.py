"""Choosing a Forecaster's lookback, loss and ensemble size on its validation part.

Nothing here reads a test part: ``select_settings`` is given the training part only, and every
score is the validation error of the forecast the Forecaster hands out (its combination,
:mod:`rnnkit.forecast.combine`, fitted on the validation origins, which every candidate shares),
in the units the combination minimises: the mean absolute error in MASE scales for many series
(M4's measures are absolute), the mean squared error for one series.

The search is small and coordinate-wise, so that its cost stays a few fits:
1. each lookback with the first loss (one ensemble member each);
2. each other loss with the best lookback;
3. the best setting grown into the full ensemble (its candidate is the first member, same
   seed); the ensemble is kept only if its validation error is lower than that member's alone.
All three steps see the same validation origins; early stopping also watches them, so the
scores are in-sample for every candidate alike (they rank, they do not promise a test error).
"""

from dataclasses import dataclass, replace
from pathlib import Path

from rnnkit.forecast.forecaster import Forecaster


@dataclass(frozen=True)
class Setting:
    """One candidate: the window length and the training loss ("" for a model without one)."""

    lookback: int
    loss: str = ""

    @property
    def folder(self) -> str:
        """Its checkpoints' folder name: the same setting resumes from the same folder."""
        return f"lookback{self.lookback}" + (f"-{self.loss}" if self.loss else "")

    def __str__(self) -> str:
        return f"lookback {self.lookback}" + (f", {self.loss.upper()} loss" if self.loss else "")


def validation_error(forecaster: Forecaster) -> float:
    """The validation error of what ``forecaster`` hands out (module docstring)."""
    validation = forecaster.combination_.validation
    if not validation:
        raise ValueError("the forecaster has no validation origins to choose by")
    scores = validation.get("combined", validation["network"])
    return scores["mae"] if len(forecaster.series_) > 1 else scores["mse"]


def _variant(forecaster: Forecaster, setting: Setting, ensemble: int) -> Forecaster:
    model = forecaster.model
    if setting.loss:
        model = replace(model, loss=setting.loss)
    return Forecaster(**forecaster.get_params(deep=False) | {
        "model": model, "lookback": setting.lookback, "ensemble": ensemble})


def select_settings(forecaster: Forecaster, data, lookbacks: tuple[int, ...],
                    losses: tuple[str, ...] = ("",), *, choose_ensemble: bool = True,
                    checkpoint_dir: str | Path | None = None, **fit_kwargs
                    ) -> tuple[Forecaster, dict | None]:
    """The fitted Forecaster of the best setting, and the record of the search.

    ``forecaster`` gives everything else (its own lookback, loss and ensemble are the
    defaults the search replaces); ``data`` is the training part. ``lookbacks`` and ``losses``
    are the candidates (the first loss is tried with every lookback; ``("",)`` leaves the
    model's loss alone). ``choose_ensemble=False`` keeps ``forecaster.ensemble`` whatever the
    validation says. ``fit_kwargs`` go to every ``fit``; checkpoints go to a subfolder per
    setting (:attr:`Setting.folder`). The record (None when there is nothing to choose): the
    candidates with their validation errors, the ensemble's, the choice and a summary line.
    """
    if len(lookbacks) == len(losses) == 1 and (forecaster.ensemble == 1 or not choose_ensemble):
        setting = Setting(lookbacks[0], losses[0])  # nothing to choose
        return _variant(forecaster, setting, forecaster.ensemble).fit(
            data, checkpoint_dir=checkpoint_dir, **fit_kwargs), None
    tried: dict[Setting, Forecaster] = {}

    def fit(setting: Setting, ensemble: int, folder: str, trained=None) -> Forecaster:
        where = None if checkpoint_dir is None else Path(checkpoint_dir) / folder
        return _variant(forecaster, setting, ensemble).fit(data, checkpoint_dir=where,
                                                           trained=trained, **fit_kwargs)

    def best() -> Setting:
        return min(tried, key=lambda s: validation_error(tried[s]))

    for lookback in dict.fromkeys(lookbacks):
        setting = Setting(lookback, losses[0])
        tried[setting] = fit(setting, 1, setting.folder)
    chosen = best()
    for loss in dict.fromkeys(losses[1:]):
        setting = Setting(chosen.lookback, loss)
        if setting not in tried:
            tried[setting] = fit(setting, 1, setting.folder)
    chosen = best()
    result, single = tried[chosen], validation_error(tried[chosen])
    criterion = "mae" if len(result.series_) > 1 else "mse"
    record = {"criterion": f"validation {criterion.upper()} of the forecast handed out"
                           f"{' (MASE scales)' if criterion == 'mae' else ''}",
              "candidates": [{"lookback": s.lookback, "loss": s.loss or None,
                              "validation": validation_error(f)} for s, f in tried.items()],
              "chosen": {"lookback": chosen.lookback, "loss": chosen.loss or None}}
    ensemble = forecaster.ensemble
    if ensemble > 1:
        full = fit(chosen, ensemble, f"{chosen.folder}-ensemble{ensemble}",
                   trained=result.models_)  # its first member is the candidate's (same seed)
        record["ensemble"] = {"1": single, str(ensemble): validation_error(full)}
        if validation_error(full) < single or not choose_ensemble:
            result = full
        else:
            ensemble = 1
    record["chosen"]["ensemble"] = ensemble
    members = "one member" if ensemble == 1 else f"an ensemble of {ensemble}"
    record["summary"] = (f"{chosen}, {members}: validation {criterion.upper()} "
                         f"{validation_error(result):.4g}; the lowest of {len(tried)} "
                         "candidates")
    if "ensemble" in record:
        record["summary"] += (f", and of 1 member ({single:.4g}) against "
                              f"{forecaster.ensemble} ({validation_error(full):.4g})")
    return result, record


__all__ = ["Setting", "select_settings", "validation_error"]
