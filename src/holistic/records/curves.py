"""The validation curves of one (study, data set, method) job: one home for their format,
writer and reader.

Format (CSV, ``\\n`` line ends, header first), one row per model and epoch, model by model in
the order of the model file (configuration, then split), epochs in order::

    dataset,method,config_id,split,epoch,val_accuracy
    sklearn-iris,DL,0,0,0,0.6666666666666666

``config_id`` and ``split`` name the model as the eval file does; ``epoch`` counts the epochs
of the final training round from 0, as ``best_epoch`` of the training log and the model file
do; ``val_accuracy`` is the model's validation accuracy in [0, 1] after that epoch, written
exactly (Python's shortest round-trip text of the float64). Without
``train.select_every_steps`` a model's kept checkpoint is the first epoch of its best value, so
the row at ``best_epoch`` holds ``best_val_accuracy``. Written by the ``train`` stage
(:func:`write_curves`), read by the ``curves`` figure (:func:`load_curves`).
"""

from __future__ import annotations

import os
from typing import Iterable, Sequence

from ..errors import DataError
from ..io import write_text

#: The columns of a curve file, in order.
COLUMNS = ("dataset", "method", "config_id", "split", "epoch", "val_accuracy")


def curves_csv(dataset: str, method: str, curve: Sequence[Sequence[float]], models: Sequence) -> str:
    """CSV text of ``curve`` (``[epochs][G]``: accuracy of model g after each epoch) for the
    ``models`` (``holistic.methods.ModelSpec``, the G models in curve order)."""
    if any(len(row) != len(models) for row in curve):
        raise ValueError(f"validation curve rows of {[len(r) for r in curve]} models for {len(models)} models")
    lines = [",".join(COLUMNS)]
    for g, spec in enumerate(models):
        lines += [f"{dataset},{method},{spec.config_id},{spec.split},{e},{float(row[g])!r}"
                  for e, row in enumerate(curve)]
    return "\n".join(lines) + "\n"


def write_curves(path: str | os.PathLike, dataset: str, method: str, curve: Sequence[Sequence[float]],
                 models: Sequence) -> None:
    """Write the curve file of one job atomically (see :func:`curves_csv`)."""
    write_text(path, curves_csv(dataset, method, curve, models))


def load_curves(paths: Iterable[str | os.PathLike]) -> "pd.DataFrame":
    """Curve files as one frame (columns :data:`COLUMNS`), in the order given. DataError naming
    the file for a missing file, a missing column or a value outside [0, 1]."""
    import pandas as pd  # here, not at the top: the train job writes curves, and pays no pandas import

    frames = []
    for path in paths:
        src = str(path)
        try:
            df = pd.read_csv(path, dtype={"dataset": str, "method": str})
        except FileNotFoundError:
            raise DataError(f"{src}: curve file not found") from None
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise DataError(f"{src}: not a curve file ({exc})") from None
        missing = [c for c in COLUMNS if c not in df.columns]
        if missing:
            raise DataError(f"{src}: column(s) {', '.join(missing)} missing")
        bad = df[~df["val_accuracy"].between(0.0, 1.0)]
        if len(bad):
            raise DataError(f"{src}: row {int(bad.index[0]) + 2}: val_accuracy "
                            f"{float(bad['val_accuracy'].iloc[0])!r} is not in [0, 1]")
        frames.append(df[list(COLUMNS)])
    if not frames:
        raise DataError("no curve files given")
    return pd.concat(frames, ignore_index=True)


__all__ = ["COLUMNS", "curves_csv", "write_curves", "load_curves"]
