"""SHAP values of the three loss components on the four metrics (Section 4.4, Fig. 3).

The eight methods of Table 1 are the eight on/off combinations of three binary
components (robust, stable, sparse); the mapping is read from
:data:`holistic.studies.hdl.methods.COMPONENTS`. On one data set and for one metric the
selected test values of the eight methods (``selected.csv``, the Tables A1-A4
values) define a function of the component vector

    f(z) = metric of the method whose components are z,   z in {0, 1}^3,

and each method is one instance to explain. The SHAP values are computed with
``shap.explainers.Exact`` (Lundberg and Lee, 2017) on the model ``f`` and a
single background row, the nominal DL vector (0, 0, 0). With one all-zero
background row, the SHAP value of component j for instance z is exactly the
Shapley value of j in the game

    v_z(S) = f(z_S, 0_rest),     S subset of {robust, stable, sparse},

so the base value is the DL metric, components that are off in z get 0, and
(efficiency) ``f(DL) + sum_j SHAP_j(z) = f(z)``.

Two numbers are reported per (data set, component, metric):

- ``shap``: the mean of SHAP_j(z) over the eight instances z (all methods,
  DL included, each weighted 1/8). For an additive outcome
  ``f(z) = c + sum_j a_j z_j`` this is ``a_j / 2`` (j is on in half of the
  methods); in general it is half the mean SHAP value over the four methods
  that use component j. This is the quantity drawn in Fig. 3.
- ``shap_hdl``: SHAP_j(1, 1, 1), the value for the HDL instance, i.e. the
  classical Shapley value of component j in the three-player game
  ``v(S) = f(methods with components S)``; ``a_j`` for an additive outcome.

The per-data-set values are then averaged (unweighted) over the data sets of
each difficulty category of :func:`holistic.studies.hdl.difficulty.category`
(low < 80 %, medium 80-95 %, high > 95 % DL natural accuracy).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import shap

from ...errors import DataError
from ...io import write_text
from ...render.figures import new_figure, save_png
from ...render.labels import wrapped
from ...render.tables import frame_csv
from ...selection.select import METRICS, wide
from . import difficulty
from .figures import note_figure
from .methods import BASELINE, COMPONENTS, Components

#: The binary features (component names), in the field order of :class:`Components`.
COMPONENT_NAMES: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Components))

COMPONENT_LABELS = {"robust": "Robust", "stable": "Stable", "sparse": "Sparse"}
CATEGORY_TITLES = {"low": "Low accuracy (< 80%)", "medium": "Medium accuracy (80-95%)",
                   "high": "High accuracy (> 95%)"}

PER_DATASET_COLUMNS = ["dataset", "dl_accuracy", "category", "component", "metric",
                       "base", "shap", "shap_hdl"]
CATEGORY_COLUMNS = ["category", "component", "metric", "shap", "shap_hdl", "n_datasets"]


# --------------------------------------------------------------------------- design

def method_vectors() -> dict[str, tuple[int, ...]]:
    """Method -> 0/1 component vector (order ``COMPONENT_NAMES``), from Table 1's
    :data:`~holistic.studies.hdl.methods.COMPONENTS`.

    Raises ValueError unless the methods are exactly the 2^3 distinct combinations
    with DL the all-off one (the design SHAP is computed on).
    """
    d = len(COMPONENT_NAMES)
    vecs = {m: tuple(int(getattr(c, name)) for name in COMPONENT_NAMES)
            for m, c in COMPONENTS.items()}
    if len(set(vecs.values())) != 2 ** d or len(vecs) != 2 ** d:
        raise ValueError(f"methods are not the full factorial of {COMPONENT_NAMES}: {vecs}")
    if vecs.get(BASELINE) != (0,) * d:
        raise ValueError(f"{BASELINE} must be the method with every component off")
    return vecs


def factorial_values(selected: pd.DataFrame, dataset: str, metric: str,
                     source: str = "selection") -> dict[tuple[int, ...], float]:
    """Component vector -> test value of ``metric`` on ``dataset`` for the eight methods.

    DataError naming ``source``, the data set and metric if a method has no value.
    """
    tab = wide(selected, metric)
    row = tab.loc[dataset] if dataset in tab.index else pd.Series(dtype=float)
    vecs = method_vectors()
    missing = [m for m in vecs if pd.isna(row.get(m, np.nan))]
    if missing:
        raise DataError(f"{source}: data set {dataset!r}, metric {metric!r}: no test value for "
                        f"method(s) {', '.join(missing)}; SHAP values need all {len(vecs)}")
    return {z: float(row[m]) for m, z in vecs.items()}


# --------------------------------------------------------------------------- SHAP

def shap_matrix(values: Mapping[tuple[int, ...], float],
                instances: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact SHAP values of ``f(z) = values[z]`` at each row of ``instances``.

    Uses ``shap.explainers.Exact`` with the all-off vector as the only background
    row, so entry (i, j) is the Shapley value of component j in the game
    ``v(S) = f(z_S, 0_rest)`` for ``z = instances[i]``. Returns
    ``(shap values [n, d], base values [n])``.
    """
    d = instances.shape[1]

    def model(X):
        X = np.asarray(X)
        return np.array([values[tuple(round(v) for v in x)] for x in X], dtype=np.float64)

    explainer = shap.explainers.Exact(model, shap.maskers.Independent(np.zeros((1, d))))
    exp = explainer(np.asarray(instances, dtype=np.float64), silent=True)
    return np.asarray(exp.values, dtype=np.float64), np.asarray(exp.base_values, dtype=np.float64)


def component_shap(values: Mapping[tuple[int, ...], float]) -> dict[str, tuple[float, float]]:
    """Component -> (mean SHAP over the eight method instances, SHAP at HDL = (1,1,1))."""
    instances = np.array(list(method_vectors().values()), dtype=np.float64)
    phi, _ = shap_matrix(values, instances)
    hdl = phi[np.all(instances == 1, axis=1)][0]
    mean = phi.mean(axis=0)
    return {c: (float(mean[j]), float(hdl[j])) for j, c in enumerate(COMPONENT_NAMES)}


def per_dataset(selected: pd.DataFrame, source: str = "selection") -> pd.DataFrame:
    """SHAP values per data set (columns ``PER_DATASET_COLUMNS``): one row per
    (data set, component, metric); ``base`` is the DL value of the metric.

    Data sets are sorted by name; each needs DL natural accuracy (its category).
    """
    dl = difficulty.dl_accuracy(selected)
    datasets = sorted(selected["dataset"].unique())
    rows = []
    for ds in datasets:
        if ds not in dl.index or pd.isna(dl[ds]):
            raise DataError(f"{source}: data set {ds!r} has no DL natural accuracy "
                            "(its difficulty category is undefined)")
        cat = difficulty.category(float(dl[ds]))
        for metric in METRICS:
            vals = factorial_values(selected, ds, metric, source)
            base = vals[(0,) * len(COMPONENT_NAMES)]
            for comp, (mean, hdl) in component_shap(vals).items():
                rows.append({"dataset": ds, "dl_accuracy": float(dl[ds]), "category": cat,
                             "component": comp, "metric": metric, "base": base,
                             "shap": mean, "shap_hdl": hdl})
    return pd.DataFrame(rows, columns=PER_DATASET_COLUMNS)


def category_means(per_ds: pd.DataFrame) -> pd.DataFrame:
    """Mean of ``shap`` and ``shap_hdl`` over the data sets of each category
    (columns ``CATEGORY_COLUMNS``); every category x component x metric is listed,
    with NaN values and ``n_datasets`` 0 for a category without data sets."""
    rows = []
    for cat in difficulty.CATEGORIES:
        for comp in COMPONENT_NAMES:
            for metric in METRICS:
                sub = per_ds[(per_ds["category"] == cat) & (per_ds["component"] == comp)
                             & (per_ds["metric"] == metric)].sort_values("dataset")
                n = len(sub)
                rows.append({"category": cat, "component": comp, "metric": metric,
                             "shap": float(sub["shap"].mean()) if n else np.nan,
                             "shap_hdl": float(sub["shap_hdl"].mean()) if n else np.nan,
                             "n_datasets": n})
    return pd.DataFrame(rows, columns=CATEGORY_COLUMNS)


# --------------------------------------------------------------------------- outputs

def colour_scale(table: pd.DataFrame, value: str = "shap") -> dict[str, float]:
    """Metric -> largest |value| over categories and components (1 where all are
    0 or missing): the colour of a cell is its value divided by its metric's scale."""
    out = {}
    for metric in METRICS:
        v = np.abs(table.loc[table["metric"] == metric, value].to_numpy(dtype=float))
        v = v[np.isfinite(v)]
        out[metric] = float(v.max()) if v.size and v.max() > 0 else 1.0
    return out


def plot_shap(table: pd.DataFrame, png_path: str | os.PathLike, value: str = "shap", note: str = "") -> None:
    """Fig. 3: one heat map per category (rows components, columns metrics) of
    ``value``, values annotated. Colours: blue positive, red negative, on a scale
    symmetric about 0 and normalised per metric (value / largest |value| of that
    metric over the three panels, see :func:`colour_scale`), because sparsity
    effects (tens of points) would otherwise wash out the accuracy effects
    (tenths of a point). A category without data sets is drawn empty."""
    from matplotlib.colors import Normalize

    scale = colour_scale(table, value)
    norm = Normalize(vmin=-1.0, vmax=1.0)
    fig = new_figure((15, 4.2), layout="constrained")
    axes = fig.subplots(1, len(difficulty.CATEGORIES))
    image = None
    for ax, cat in zip(axes, difficulty.CATEGORIES):
        sub = table[table["category"] == cat]
        grid = np.full((len(COMPONENT_NAMES), len(METRICS)), np.nan)
        for i, comp in enumerate(COMPONENT_NAMES):
            for j, metric in enumerate(METRICS):
                v = sub[(sub["component"] == comp) & (sub["metric"] == metric)][value]
                if len(v):
                    grid[i, j] = float(v.iloc[0])
        rel = grid / np.array([scale[m] for m in METRICS])[None, :]
        image = ax.imshow(np.ma.masked_invalid(rel), cmap="RdBu", norm=norm, aspect="auto")
        for i in range(grid.shape[0]):
            for j in range(grid.shape[1]):
                if np.isfinite(grid[i, j]):
                    ax.text(j, i, f"{grid[i, j]:.2f}", ha="center", va="center",
                            color="white" if abs(rel[i, j]) > 0.6 else "black", fontsize=10)
        n = int(sub["n_datasets"].max()) if len(sub) else 0
        ax.set_title(f"{CATEGORY_TITLES[cat]}, n = {n}")
        ax.set_xticks(range(len(METRICS)))
        ax.set_xticklabels([wrapped(m) for m in METRICS], fontsize=9)
        ax.set_yticks(range(len(COMPONENT_NAMES)))
        ax.set_yticklabels([COMPONENT_LABELS[c] for c in COMPONENT_NAMES])
        if n == 0:
            ax.text(0.5, 0.5, "no data sets", transform=ax.transAxes, ha="center", va="center")
    fig.colorbar(image, ax=list(axes), shrink=0.9,
                 label="SHAP / max |SHAP| of the metric")
    note_figure(fig, note)
    save_png(fig, png_path)


def write_shap(selected: pd.DataFrame, out_dir: str | os.PathLike,
               source: str = "selection", note: str = "") -> pd.DataFrame:
    """Write ``shap.csv`` (category means), ``shap_per_dataset.csv`` and ``shap.png`` (``note``,
    the run's departures, along its bottom) into ``out_dir``; returns the category table."""
    out_dir = Path(out_dir)
    per_ds = per_dataset(selected, source)
    table = category_means(per_ds)
    write_text(out_dir / "shap_per_dataset.csv", frame_csv(per_ds))
    write_text(out_dir / "shap.csv", frame_csv(table))
    plot_shap(table, out_dir / "shap.png", note=note)
    return table


__all__ = ["COMPONENT_NAMES", "COMPONENT_LABELS", "method_vectors", "factorial_values",
           "shap_matrix", "component_shap", "per_dataset", "category_means", "colour_scale",
           "plot_shap", "write_shap"]
