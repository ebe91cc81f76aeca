"""A fitted Forecaster's model folder: what it records beside its members' weights.

The members' weights are written and read by :func:`rnnkit.io.files.save_members` /
:func:`~rnnkit.io.files.load_members`; here is the rest, as JSON: the hyperparameters (the
window model as its kind and parameters) and what ``fit`` learned besides the members (the
encoding, season, series, static covariates, scalers, MASE scales and where training ended,
the linear model and the combination with its interval half-widths). A folder saved before the
linear model and the combination existed loads as the network alone, without intervals.
"""

from dataclasses import asdict

import pandas as pd

from rnnkit.forecast.combine import Combination
from rnnkit.forecast.features import Encoding
from rnnkit.forecast.linear import LinearModel
from rnnkit.training.scaling import Scaler


def params_record(forecaster) -> dict:
    """The hyperparameters of ``forecaster`` as JSON (the window model last, as its kind and
    parameters)."""
    record = {name: value for name, value in forecaster.hyperparameters().items()
              if name != "model"}
    features = forecaster.features
    record["covariates"] = list(forecaster.covariates)
    record["known"] = list(forecaster.known)
    record["features"] = features if isinstance(features, str) else list(features)
    record["intervals"] = list(forecaster.intervals)
    return record | {"model": {"kind": forecaster.model.kind,
                               "params": forecaster.model.params()}}


def params_from_record(record: dict, model) -> dict:
    """The constructor's arguments back from :func:`params_record`'s output, with ``model``."""
    features = record["features"]
    record = {"combine": "none", "intervals": []} | record  # older folders: the network alone
    return record | {"model": model, "intervals": tuple(record["intervals"]),
                     "covariates": tuple(record["covariates"]),
                     "known": tuple(record.get("known", ())),
                     "features": features if isinstance(features, str) else tuple(features)}


def fitted_record(forecaster) -> dict:
    """What ``fit`` learned besides the members, as JSON (with the hyperparameters)."""
    return {
        "forecaster": params_record(forecaster), "encoding": asdict(forecaster.encoding_),
        "season": forecaster.season_, "series": forecaster.series_,
        "static": forecaster.static_,
        "input_scalers": {k: v.to_dict() for k, v in forecaster.input_scalers_.items()},
        "target_scalers": {k: v.to_dict() for k, v in forecaster.target_scalers_.items()},
        "num_features_in": forecaster.num_features_in_,
        "mase_scales": forecaster.mase_scales_, "fallback": forecaster.fallback_,
        "train_ends": {k: json_time(v) for k, v in forecaster.train_ends_.items()},
        "linear": forecaster.linear_.to_dict(),
        "combination": forecaster.combination_.to_dict()}


def restore_fitted(forecaster, config: dict, members: list) -> None:
    """Set the fitted state of ``forecaster`` from :func:`fitted_record`'s output and its
    rebuilt ``members``; ``data_`` is the data record saved with it, ``history_`` empty."""
    forecaster.models_ = members
    encoding = config["encoding"]
    forecaster.encoding_ = Encoding(**encoding | {"features": tuple(encoding["features"])})
    forecaster.season_ = config["season"]
    forecaster.series_ = config["series"]
    forecaster.static_ = config["static"]
    forecaster.input_scalers_ = {k: Scaler.from_dict(v)
                                 for k, v in config["input_scalers"].items()}
    forecaster.target_scalers_ = {k: Scaler.from_dict(v)
                                  for k, v in config["target_scalers"].items()}
    forecaster.mase_scales_ = config["mase_scales"]
    forecaster.fallback_ = config.get("fallback", [])
    forecaster.train_ends_ = {k: pd.Timestamp(v) if isinstance(v, str) else v
                              for k, v in config["train_ends"].items()}
    forecaster.data_ = config["data"]
    forecaster.history_ = []
    forecaster.num_features_in_ = config["num_features_in"]
    linear, combination = config.get("linear"), config.get("combination")
    forecaster.linear_ = None if linear is None else LinearModel.from_dict(linear)
    forecaster.combination_ = None if combination is None else Combination.from_dict(combination)


def json_time(time) -> str | int:
    """A row's time as JSON: an ISO date string, or the integer step."""
    return str(time) if isinstance(time, pd.Timestamp) else int(time)


__all__ = ["fitted_record", "json_time", "params_from_record", "params_record",
           "restore_fitted"]
