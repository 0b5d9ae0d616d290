"""Number formats, CSV text and Markdown tables.

Every table of the platform is written with these functions: :func:`number` prints one
value, :func:`frame_csv` and :func:`rows_csv` write CSV text, :func:`markdown_table`
writes a pipe table with an optional caption line and :func:`bold_best` marks the best
value of a row. All output uses ``\\n`` line ends and is deterministic.
"""

from __future__ import annotations

import io as _io
import math
from typing import Iterable, Mapping, Sequence

import pandas as pd

#: Decimals of machine-readable outputs (data CSVs, ``metrics.json``, ``selected.csv``).
DATA_DECIMALS = 6

#: Column alignments of :func:`markdown_table`: ``l`` left, ``r`` right.
ALIGN = {"l": ":---", "r": "---:"}


def is_missing(v) -> bool:
    """None, NaN or pandas' NA."""
    if v is None or v is pd.NA:
        return True
    return isinstance(v, float) and math.isnan(v)


def number(v, decimals: int, missing: str = "", sign: bool = False,
           no_negative_zero: bool = False) -> str:
    """``v`` with exactly ``decimals`` decimals (rounded half-even on the binary value,
    as Python's ``round``); ``missing`` for None/NaN; a leading ``+`` for ``sign``;
    ``-0.00`` printed as ``0.00`` with ``no_negative_zero``."""
    if is_missing(v):
        return missing
    text = f"{round(float(v), decimals):{'+' if sign else ''}.{decimals}f}"
    if no_negative_zero and text == "-0." + "0" * decimals:
        return text[1:]
    return text


def percent(share: float, decimals: int = 1) -> str:
    """A share in [0, 1] as a percentage, e.g. ``15.6%``; ``-`` for NaN."""
    return "-" if is_missing(share) else f"{100 * share:.{decimals}f}%"


def frame_csv(df: pd.DataFrame, decimals: int | None = DATA_DECIMALS) -> str:
    """A frame as CSV text without index; floats with ``decimals`` decimals (None: as
    pandas prints them), NaN as an empty cell."""
    buf = _io.StringIO()
    df.to_csv(buf, index=False, lineterminator="\n",
              float_format=None if decimals is None else f"%.{decimals}f")
    return buf.getvalue()


def rows_csv(columns: Sequence[str], rows: Iterable[Sequence]) -> str:
    """CSV text of already formatted cells; a cell holding ``,`` or ``"`` is quoted."""
    def cell(s) -> str:
        s = str(s)
        return f'"{s}"' if ("," in s or '"' in s) else s

    return "\n".join(",".join(cell(c) for c in r) for r in [list(columns), *rows]) + "\n"


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[str]], align: str,
                   caption: str | None = None) -> str:
    """A Markdown pipe table (``| a | b |`` lines) of formatted cells.

    ``align`` has one letter per column (``l`` or ``r``, see :data:`ALIGN`); it is not
    checked against ``header``, so a table may end in an empty padding column.
    ``caption`` (Markdown, e.g. ``**...**``) goes on its own line above, then a blank line.
    """
    lines = [] if caption is None else [caption, ""]
    lines += ["| " + " | ".join(header) + " |", "|" + "|".join(ALIGN[a] for a in align) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def bold_best(texts: Mapping[str, str | None], keys: Sequence[str], best: str = "max",
              missing: str = "-") -> list[str]:
    """Cells for ``keys``: ``texts[key]`` (a formatted number), in bold where its value is
    the row's best (``best`` = "max" or "min"; all ties bold), ``missing`` where the key
    has no text. Values are compared as printed, so ties are the visible ones."""
    nums = {k: float(t) for k, t in texts.items() if t is not None}
    target = (max if best == "max" else min)(nums.values()) if nums else None
    return [missing if k not in nums else f"**{texts[k]}**" if nums[k] == target else texts[k]
            for k in keys]


def mean_sd(mean, sd, decimals: int = 2) -> str:
    """``98.33 ± 0.06``; the mean alone where the spread is undefined (one model); ``-`` for
    a missing mean."""
    text = number(mean, decimals, missing="-")
    return text if text == "-" or is_missing(sd) else f"{text} ± {number(sd, decimals)}"


def ordered(names: Iterable[str], order: Sequence[str]) -> list[str]:
    """The distinct ``names`` in the order of ``order``; names not in it follow, sorted."""
    present = set(names)
    return [m for m in order if m in present] + sorted(present - set(order))


__all__ = ["DATA_DECIMALS", "ALIGN", "is_missing", "number", "percent", "frame_csv",
           "rows_csv", "markdown_table", "bold_best", "mean_sd", "ordered"]
