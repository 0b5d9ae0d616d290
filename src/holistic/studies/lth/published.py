"""The published Tables 1-2 of Cosentino et al. (2019) (``reference/``), as a frame and by cell."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

REFERENCE = Path(__file__).with_name("reference") / "cosentino2019_tables_1_2.csv"
#: This platform's data set names of the paper's two tables.
DATASETS = ("mnist", "fashion-mnist")


def load_published(path: str | Path = REFERENCE) -> pd.DataFrame:
    """Columns dataset, kept_percent, attack, training, measure, mean, sd, source (README there)."""
    return pd.read_csv(path)


def cell(published: pd.DataFrame, dataset: str, kept_percent: float, attack: str, training: str,
         measure: str) -> float | None:
    """The published mean of one cell half, or None (a data set or level the paper has not)."""
    rows = published[(published["dataset"] == dataset) & ((published["kept_percent"] - kept_percent).abs() < 0.01)
                     & (published["attack"] == attack) & (published["training"] == training)
                     & (published["measure"] == measure)]
    return None if rows.empty else float(rows["mean"].iat[0])
