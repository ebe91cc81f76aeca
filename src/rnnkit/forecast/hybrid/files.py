"""A fitted hybrid's model folder: its members' weights and what ``fit`` learned besides.

The weights (every member's network, the smoothing's per-series coefficients and first
season cycles among them) are named ``member{k}.<parameter>``; the config holds the
hyperparameters and the fitted state as JSON (series, seasons, window, starts, scales,
weights on the hybrid, conformal quantiles, the validation figures).
:func:`rnnkit.io.files.save_model` writes them as one safetensors file.
"""

import numpy as np
import pandas as pd

from rnnkit.forecast.forecaster_files import json_time
from rnnkit.io.files import prefixed
from rnnkit.training.loop import TrainConfig


def hybrid_record(hybrid, data: dict, run: dict) -> tuple[dict, dict]:
    """(tensors, config) of a fitted hybrid, for :func:`~rnnkit.io.files.save_model`."""
    tensors = {f"member{k}.{name}": t for k, m in enumerate(hybrid.members_)
               for name, t in m.state_dict().items()}
    params = hybrid.hyperparameters() | {"train": vars(hybrid.train),
                                         "dilations": list(hybrid.dilations),
                                         "intervals": list(hybrid.intervals)}
    fitted = {"members": len(hybrid.members_), "series": hybrid.series_,
              "fallback": hybrid.fallback_, "season": hybrid.season_,
              "seasons": list(hybrid.seasons_), "lookback": hybrid.lookback_,
              "validation_rows": hybrid.validation_rows_,
              "dilations": list(hybrid.dilations_),
              "starts": {k: json_time(v) for k, v in hybrid.starts_.items()},
              "train_ends": {k: json_time(v) for k, v in hybrid.train_ends_.items()},
              "mase_scales": hybrid.mase_scales_, "weights": hybrid.weights_,
              "conformal": {str(k): v.tolist() for k, v in hybrid.conformal_.items()},
              "validation": hybrid.validation_}
    return tensors, {"hybrid": params, "fitted": fitted, "data": data, "run": run}


def restore_hybrid(cls, tensors: dict, config: dict):
    """The fitted hybrid of class ``cls`` back from :func:`hybrid_record`'s output."""
    params = dict(config["hybrid"])
    params["train"] = TrainConfig(**params["train"])
    params["dilations"] = tuple(params["dilations"])
    params["intervals"] = tuple(params["intervals"])
    hybrid = cls(**params)
    fitted = config["fitted"]
    hybrid.series_, hybrid.fallback_ = fitted["series"], fitted["fallback"]
    hybrid.season_, hybrid.seasons_ = fitted["season"], tuple(fitted["seasons"])
    hybrid.lookback_, hybrid.dilations_ = fitted["lookback"], tuple(fitted["dilations"])
    hybrid.validation_rows_ = fitted["validation_rows"]
    hybrid.starts_ = {k: _time(v) for k, v in fitted["starts"].items()}
    hybrid.train_ends_ = {k: _time(v) for k, v in fitted["train_ends"].items()}
    hybrid.mase_scales_, hybrid.weights_ = fitted["mase_scales"], fitted["weights"]
    hybrid.conformal_ = {int(k): np.asarray(v) for k, v in fitted["conformal"].items()}
    hybrid.validation_ = fitted["validation"]
    hybrid.history_, hybrid.data_ = [], config["data"]
    members = []
    for k in range(fitted["members"]):
        member = hybrid._network()
        member.load_state_dict(prefixed(tensors, f"member{k}."))
        members.append(member.eval())
    hybrid.members_ = members
    return hybrid


def _time(value):
    """A JSON time back: an ISO string as a Timestamp, an integer step as itself."""
    return pd.Timestamp(value) if isinstance(value, str) else value


__all__ = ["hybrid_record", "restore_hybrid"]
