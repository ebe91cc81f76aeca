"""rnnkit.io: data in and files out, with NumPy and pandas only (no torch at import).

Data comes in one way, :mod:`rnnkit.io.sources`: a path, a bundled name (the registry,
:mod:`rnnkit.io.datasets`) or a pandas frame becomes a series, a panel of many, labelled
sequences or a text corpus, its format decided once. Below it the readers, each building on
the one under it: :mod:`~rnnkit.io.sniff` (encoding, compression, separator, decimal mark),
:mod:`~rnnkit.io.parsing` (a table's cells, parsed), then :mod:`~rnnkit.io.tables` (time
series), :mod:`~rnnkit.io.m4_files` (the M4 competition's files),
:mod:`~rnnkit.io.sequence_files` (UCR and long-format sequences, :mod:`~rnnkit.io.sequences`
their type), :mod:`~rnnkit.io.corpus` and :mod:`~rnnkit.io.static`; a stream's rows as they
arrived (:mod:`~rnnkit.io.streams`) and a recording as mono samples at one rate
(:mod:`~rnnkit.io.audio`, through soundfile). Model folders and every
output are written atomically (:mod:`~rnnkit.io.files`). Figures live in
:mod:`rnnkit.io.plots` (it imports matplotlib).
"""

from rnnkit.io.audio import Recording, read_audio
from rnnkit.io.datasets import (
    AAPL_PROVENANCE,
    DATASETS,
    Dataset,
    bundled,
    dataset_names,
    is_bundled,
)
from rnnkit.io.files import (
    load_model,
    model_kind,
    prepare_out,
    save_model,
    write_json_atomic,
    write_text_atomic,
)
from rnnkit.io.m4_files import M4Data, is_m4_file, load_m4_hourly, m4_season, read_m4
from rnnkit.io.sequences import LabelledSeries, stratified_split
from rnnkit.io.sources import (
    load_aapl,
    load_corpus,
    load_sequences,
    load_series,
    series_layout,
)
from rnnkit.io.static import read_static
from rnnkit.io.streams import Stream, read_stream
from rnnkit.io.tables import CleaningReport, read_panel, read_series

__all__ = ["AAPL_PROVENANCE", "CleaningReport", "DATASETS", "Dataset", "LabelledSeries", "M4Data",
           "Recording", "Stream", "bundled", "dataset_names", "is_bundled", "is_m4_file",
           "load_aapl", "load_corpus", "load_m4_hourly", "load_model", "load_sequences",
           "load_series", "m4_season", "model_kind", "prepare_out", "read_audio",
           "read_m4", "read_panel", "read_series", "read_static", "read_stream",
           "save_model", "series_layout", "stratified_split", "write_json_atomic",
           "write_text_atomic"]
