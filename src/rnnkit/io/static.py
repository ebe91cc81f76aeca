"""Static covariates of many series: one row of numbers per series id, read from a CSV file."""

import io

import numpy as np
import pandas as pd

from rnnkit._checks import InputError
from rnnkit.io.parsing import MAX_MAGNITUDE, read_bytes
from rnnkit.io.sniff import PathLike, decode, sniff_sep


def read_static(static: PathLike) -> pd.DataFrame:
    """Static covariates: a CSV whose first column is the series id, then numeric columns.

    The file is decoded and its separator found as :func:`~rnnkit.io.tables.read_series` does.
    Returns a float frame indexed by the ids (stripped text), one column per covariate.

    Raises
    ------
    InputError
        One line starting ```static```: the file is missing, a folder, unreadable, not text or
        not a CSV; a column is not numeric; a cell is empty, not finite or beyond
        ±``MAX_MAGNITUDE``; an id is empty or appears twice.

    Example
    -------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "static.csv"
    >>> _ = path.write_text("id;size\\nA;1.5\\nB;2\\n")
    >>> read_static(path)["size"].to_dict()
    {'A': 1.5, 'B': 2.0}
    """
    try:
        text = decode(static, read_bytes(static))[0]
    except InputError as err:
        raise InputError(f"`static`: {err}") from None
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sniff_sep(text), index_col=0, dtype={0: str})
    except pd.errors.EmptyDataError:
        raise InputError(f"`static`: {static} is empty") from None
    except (pd.errors.ParserError, ValueError) as err:
        raise InputError(f"`static`: {static} is not a readable CSV file: "
                         f"{str(err).strip()}") from None
    words = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])
             or pd.api.types.is_bool_dtype(frame[c])]
    values = np.zeros(0) if words else frame.to_numpy(dtype=float)
    if words or frame.empty or not np.isfinite(values).all():
        raise InputError(f"`static`: {static} must hold numbers for every series, without gaps"
                         f"{'; not numeric: ' + ', '.join(map(repr, words)) if words else ''}")
    if np.abs(values).max() > MAX_MAGNITUDE:
        raise InputError(f"`static`: {static} has a value beyond ±{MAX_MAGNITUDE:g}: rescale it")
    frame.index = frame.index.astype("string").str.strip()
    if frame.index.isna().any() or (frame.index == "").any() or frame.index.has_duplicates:
        raise InputError(f"`static`: {static} must name each series once in its first column")
    frame.index = frame.index.astype(str)
    return frame
