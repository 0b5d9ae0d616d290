"""PNG figures: a matplotlib figure on the Agg canvas and its reproducible, atomic save.

Figures are drawn without pyplot (no global state, no display) and saved without the
``Software`` metadata entry, so the same data give the same PNG bytes on every run.
"""

from __future__ import annotations

import os

from ..io import atomic_path

#: Resolution of every PNG of the platform.
DPI = 100


def new_figure(figsize: tuple[float, float], layout: str | None = None):
    """A ``matplotlib.figure.Figure`` attached to an Agg canvas."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout=layout)
    FigureCanvasAgg(fig)
    return fig


def save_png(fig, png_path: str | os.PathLike, dpi: int = DPI) -> None:
    """Write ``fig`` atomically to ``png_path`` as PNG, without version metadata."""
    with atomic_path(png_path) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi, metadata={"Software": None})


__all__ = ["DPI", "new_figure", "save_png"]
