"""The published numbers of Guo et al. (2018) (``reference/``), as a frame."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

REFERENCE = Path(__file__).with_name("reference") / "guo2018_published.csv"


def load_published(path: str | Path = REFERENCE) -> pd.DataFrame:
    """Columns source, dataset, method, round, sparsity, measure, unit, mean, sd (README there)."""
    return pd.read_csv(path)
