"""What HDL's claims read (those of Sections 1 and 4.1, :mod:`holistic.studies.hdl.claims`, and
of Section 4.2, :mod:`holistic.studies.hdl.images.claims`): the metrics, the method sets read from
Table 1's components (:data:`holistic.studies.hdl.methods.COMPONENTS`), one part's
``d = metric(a) - metric(b)`` (:class:`Reads`), a run's values (:class:`Run`) and the pairing of a
part per unit (data set, or split of one data set) with its ``measured`` precondition.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import pandas as pd

from ...data.splits import split_params
from ...fidelity import engine as E
from ...fidelity.claims import SPLIT_COLUMNS, by_unit
from ...records.selected import RANK
from .methods import BASELINE, COMPONENTS, METHODS
from .protocol import departures_over

ADV, NAT, STAB, SPARS = "adversarial_accuracy", "natural_accuracy", "stability", "sparsity"
SPARSE_METHODS = tuple(m for m, c in COMPONENTS.items() if c.sparse)
DENSE_METHODS = tuple(m for m, c in COMPONENTS.items() if not c.sparse)
ROBUST_METHODS = tuple(m for m, c in COMPONENTS.items() if c.robust)
FRAMEWORK_METHODS = tuple(m for m in METHODS if m != BASELINE)

#: Each quantity's name in a part (``d = a - b``).
QUANTITY = {NAT: "natural accuracy (%)", ADV: "adversarial accuracy (%)", STAB: "stability (%)",
            SPARS: "sparsity (%)", RANK: "multi-objective rank"}


@dataclass(frozen=True)
class Reads:
    """What one part of a claim reads: ``d = metric(a) - metric(b)`` per unit, ``b`` a method or
    a tuple of methods (then their largest value per unit: "every dense model")."""
    metric: str
    a: str
    b: str | tuple[str, ...]

    @property
    def label(self) -> str:
        b = self.b if isinstance(self.b, str) else f"max({', '.join(self.b)})"
        return f"{self.a} - {b}"

    @property
    def methods(self) -> tuple[str, ...]:
        return (self.a,) + ((self.b,) if isinstance(self.b, str) else tuple(self.b))


@dataclass(frozen=True)
class Run:
    """What the claims read of one run: ``values`` (long ``dataset, metric, method, value``: the
    selected models' test values), ``datasets`` (those the claims read: the run's data sets in
    Tables A1-A4), the merged ``params``, and optionally ``per_split`` (long ``dataset, metric,
    method, split, value``: :func:`holistic.fidelity.claims.split_values`), ``published`` (the
    published values of the same data sets, under the run's names) and ``published_all`` (all
    the publication's UCI sets, under the paper's names)."""
    values: pd.DataFrame
    datasets: tuple[str, ...]
    params: Mapping
    per_split: pd.DataFrame | None = None
    published: pd.DataFrame | None = None
    published_all: pd.DataFrame | None = None

    def over_datasets(self) -> bool:
        """A claim is judged once over the data sets when there are enough of them, else per
        data set over its splits."""
        return len(self.datasets) >= E.MIN_TRIALS


def _side(values: pd.DataFrame | None, spec: str | tuple, metric: str, unit: str, where=None) -> dict:
    """``{unit: value}`` of one method, or of the largest of several per unit (those with all)."""
    if values is None or values.empty:
        return {}
    if isinstance(spec, str):
        return by_unit(values, metric, spec, unit, where)
    sides = [by_unit(values, metric, m, unit, where) for m in spec]
    common = set.intersection(*(set(s) for s in sides))
    return {k: max(s[k] for s in sides) for k in common}


def part_pairs(run: Run, r: Reads, dataset: str | None, values: pd.DataFrame | None = None,
               units=None) -> E.Paired:
    """The part's pairs: over ``run.datasets`` (``dataset`` None) or the splits of ``dataset``."""
    if dataset is None:
        v = run.values if values is None else values
        a, b = _side(v, r.a, r.metric, "dataset"), _side(v, r.b, r.metric, "dataset")
        keep = set(run.datasets if units is None else units)
        return E.paired({k: x for k, x in a.items() if k in keep}, {k: x for k, x in b.items() if k in keep},
                        "data set")
    where = {"dataset": dataset}
    return E.paired(_side(run.per_split, r.a, r.metric, "split", where),
                    _side(run.per_split, r.b, r.metric, "split", where), "split")


def run_units(run: Run, dataset: str | None, datasets: Sequence[str] | None = None) -> list:
    """The units a part pairs over: the run's data sets (or ``datasets``), or the splits of ``dataset``."""
    if dataset is None:
        return list(run.datasets if datasets is None else datasets)
    return list(range(int(split_params(dict(run.params), dataset)["n_splits"])))


def measured_precondition(run: Run, reads: Sequence[Reads], stats: Sequence[E.Paired], dataset: str | None,
                          datasets: Sequence[str] | None = None) -> E.Precondition:
    """Every part has its pair on every unit (data set, or split of ``dataset``)."""
    units = run_units(run, dataset, datasets)
    metrics = sorted({r.metric for r in reads}, key=list(QUANTITY).index)
    if dataset is not None and (run.per_split is None or any(m not in SPLIT_COLUMNS for m in metrics)):
        no = [QUANTITY[m] for m in metrics if m not in SPLIT_COLUMNS]
        why = (f"{', '.join(no)} is one value per data set, so it is paired over data sets only"
               if no else "no per-split values (eval files) given")
        return E.measured(False, f"{why}; this run has {len(run.datasets)} data set"
                                 f"{'s' if len(run.datasets) != 1 else ''} of Tables A1-A4 (needs >= {E.MIN_TRIALS})")
    unit = "data set" if dataset is None else "split"
    lacking = [f"{r.label} on {len(units) - s.n} {unit}{'s' if len(units) - s.n != 1 else ''}"
               for r, s in zip(reads, stats) if s.n < len(units)]
    methods = [m for m in METHODS if any(m in r.methods for r in reads)]
    what = (f"{', '.join(QUANTITY[m] for m in metrics)} of {', '.join(methods)} on "
            f"{len(units)} {unit}{'s' if len(units) != 1 else ''}")
    return E.measured(not lacking and bool(units), what + (f"; missing: {'; '.join(lacking)}" if lacking else ""))


def run_departures(run: Run, dataset: str | None) -> dict[str, str]:
    """The run's departures from the paper's protocol over its data sets, or on ``dataset``."""
    return departures_over(run.params, run.datasets if dataset is None else [dataset])


def holds_at(comparison: E.Comparison, d: float) -> bool:
    """One difference satisfies the comparison (the share "holds on k of n")."""
    return comparison.judge(d, d) == E.HOLDS


def count_text(claim: E.Claim, stats: Sequence[E.Paired], reads: Sequence[Reads]) -> str:
    """Per part: on how many units its single difference satisfies the comparison."""
    out = []
    for part, r, s in zip(claim.parts, reads, stats):
        k = sum(holds_at(part.comparison, d) for d in s.d)
        out.append(f"{r.label} {part.comparison.text().replace('d ', '')} on {k}/{s.n} {s.unit}s")
    return "; ".join(out)


__all__ = ["ADV", "NAT", "STAB", "SPARS", "SPARSE_METHODS", "DENSE_METHODS", "ROBUST_METHODS", "FRAMEWORK_METHODS",
           "QUANTITY", "Reads", "Run", "part_pairs", "run_units", "measured_precondition", "run_departures",
           "holds_at", "count_text"]
