"""The published Tables 2, 3 and 6 of SparseVLR (``reference/``), as a frame and by cell."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

REFERENCE = Path(__file__).with_name("reference") / "kaur_salekin_tables.csv"
MEASURES = ("standard", "pgd", "verified")


def load_published(path: str | Path = REFERENCE) -> pd.DataFrame:
    """Columns table, dataset, model, method, sparsity, standard, pgd, verified (README there)."""
    return pd.read_csv(path)


def cell(published: pd.DataFrame, table: int, dataset: str, method: str, sparsity: float, measure: str,
         model: str = "cnn_4layer") -> float | None:
    """One published error (percent), or None (a row or measure the paper has not)."""
    rows = published[(published["table"] == table) & (published["dataset"] == dataset) & (published["model"] == model)
                     & (published["method"] == method) & (published["sparsity"] == sparsity)]
    if rows.empty or pd.isna(rows[measure].iat[0]):
        return None
    return float(rows[measure].iat[0])
