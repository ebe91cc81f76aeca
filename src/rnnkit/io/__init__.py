"""rnnkit.io: data in and files out, with NumPy and pandas only (no torch at import).

Readers sniff a file's encoding, compression, separator and decimal mark, read time series
(one or many, wide or long) and labelled sequences; model folders and every output are written
atomically. Figures live in :mod:`rnnkit.io.plots` (it imports matplotlib).
"""

from rnnkit.io.files import (
    load_model,
    model_kind,
    prepare_out,
    save_model,
    write_json_atomic,
    write_text_atomic,
)
from rnnkit.io.sequences import LabelledSeries, read_labelled, stratified_split
from rnnkit.io.tables import read_panel, read_series

__all__ = ["LabelledSeries", "load_model", "model_kind", "prepare_out", "read_labelled",
           "read_panel", "read_series", "save_model", "stratified_split", "write_json_atomic",
           "write_text_atomic"]
