"""The published Tables 1-4 of Dinh et al. (2020) (``reference/``), as a frame and by cell."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

REFERENCE = Path(__file__).with_name("reference") / "dinh2020_tables_1_4.csv"
#: The measures of a cell: A1 clean, A2 FGSM, A3 IFGSM^20, A4 the weak C&W, A5 NAttack; sparsities.
MEASURES = ("A1", "A2", "A3", "A4", "A5", "sparsity", "channel_sparsity")


def load_published(path: str | Path = REFERENCE) -> pd.DataFrame:
    """Columns table, network, pruning, hyper (NaN where none), :data:`MEASURES` (README there)."""
    return pd.read_csv(path)


def cell(published: pd.DataFrame, table: int, network: str, pruning: str, hyper: float | None,
         measure: str) -> float | None:
    """One published value, or None (a cell the paper has not)."""
    d = published[(published["table"] == table) & (published["network"] == network)
                  & (published["pruning"] == pruning)]
    d = d[d["hyper"].isna()] if hyper is None else d[(d["hyper"] - hyper).abs() < 1e-12]
    if d.empty or pd.isna(d[measure].iat[0]):
        return None
    return float(d[measure].iat[0])
