"""HDL's claims of Sections 1 and 4.1: the claims engine's claims (:mod:`holistic.fidelity.engine`),
their readers and their judgement. The publication the cell comparison reads (Tables A1-A4, the
fidelity document's text) is :mod:`holistic.studies.hdl.publication`; what the claims read (the
metrics, the method sets, :class:`~holistic.studies.hdl.reads.Run` and the pairing) is
:mod:`holistic.studies.hdl.reads`; both re-exported here.

Claims. The statements of Sections 1 and 4.1 (Figures 1-2) are :data:`CLAIMS`, engine claims
whose parts read :data:`READS` (``d = metric(a) - metric(b)``), each measured by one reader
(:data:`READERS`) and judged by :func:`judge_claims`. The paired unit is the data set (the
selected models' test values, as Tables A1-A4 print them, on the run's data sets that Tables
A1-A4 hold at the same size): a claim over data sets is judged once with n = the number of
data sets, its ``here`` column keeps the old count (the part holds on k of n data sets) and its
``paper`` column the published values of the same data sets (and the count on all 45 UCI sets);
on a run of fewer than 3 such data sets each one is judged over its splits. Preconditions:
``measured`` (every part has its pair on every unit), ``protocol`` (:data:`VOIDING`: the
adversarial claims and the rank at another radius than Table A2's), ``splits`` (the stability
claim), and ``trials`` (>= 3 units, added by the engine). Method sets (sparse, robust, ...) are
read from Table 1's components (:data:`holistic.studies.hdl.methods.COMPONENTS`).

The former predicates map onto them: ``robust_adv``, ``hdl_adv``, ``robust_family_adv`` and
``mean_robust_family_adv`` are parts of ``robust_family_adv``; ``mean_combinations_adv`` is
``combinations_adv``; ``stable_stability`` (>=) is ``stable_stability`` (>: "improves");
``sparse_vs_dense`` and ``mean_sparse_vs_dense`` are ``sparse_vs_dense`` (re-specified: "much"
sparser, see :func:`read_sparse_vs_dense`); ``mean_help_sparsity`` is ``help_sparsity``;
``mean_framework_rank`` is ``framework_rank``; ``hdl_best_rank`` and ``mean_hdl_rank`` are
``hdl_rank``. A per-data-set share and a claim on the means are one claim now: the engine's
statistic is the mean paired difference over data sets with its interval.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Mapping, Sequence

import pandas as pd

from ...data.splits import split_params
from ...fidelity import engine as E
from ...fidelity import protocol as P
from ...fidelity.claims import published_values, split_values, values_from_selected
from ...records.selected import RANK
from .methods import BASELINE, METHODS
from .publication import (HOW_TO_READ, PUBLICATION, REFERENCE_DIR, REFERENCE_FILES, TABLE_REFS, notes,
                          reference_file, verified_note)
from .reads import (ADV, DENSE_METHODS, FRAMEWORK_METHODS, NAT, QUANTITY, ROBUST_METHODS, SPARS, SPARSE_METHODS,
                    STAB, Reads, Run, count_text, holds_at, measured_precondition, part_pairs, run_departures)

# --------------------------------------------------------------------------- claims

#: "A much lower percentage of nonzero parameters" (Sec. 4.1, Fig. 1d), read as at least this
#: many points more sparsity than the sparsest dense model; every sparse model of Table A4
#: (48 data sets) reaches >= 28.8 %, so the margin does not make the paper's own values fail.
SPARSITY_MARGIN = 10.0


def _claim(key: str, statement: str, source: str, reads: Sequence[Reads], comparison: E.Comparison) -> E.Claim:
    return E.Claim(key, statement, source,
                   tuple(E.Part(f"{QUANTITY[r.metric]}: {r.label}", comparison) for r in reads))


#: What each claim's parts read, in the order of its parts.
READS: dict[str, tuple[Reads, ...]] = {
    "robust_family_adv": tuple(Reads(ADV, m, BASELINE) for m in ROBUST_METHODS),
    "combinations_adv": tuple(Reads(ADV, m, "Robust") for m in ROBUST_METHODS if m != "Robust"),
    "stable_stability": (Reads(STAB, "Stable", BASELINE),),
    "sparse_vs_dense": tuple(Reads(SPARS, m, DENSE_METHODS) for m in SPARSE_METHODS),
    "help_sparsity": (Reads(SPARS, "Robust+Sparse", "Sparse"), Reads(SPARS, "Stable+Sparse", "Sparse")),
    "framework_rank": tuple(Reads(RANK, m, BASELINE) for m in FRAMEWORK_METHODS),
    "hdl_rank": tuple(Reads(RANK, "HDL", m) for m in METHODS if m != "HDL"),
}

#: The claims of Sections 1 and 4.1 (Figures 1-2), judged by the engine. Each part's ``d`` is
#: paired per data set (the selected models' test values, a claim over data sets judged once)
#: or, on a run of fewer than 3 data sets, per split of one data set.
CLAIMS: tuple[E.Claim, ...] = (
    _claim("robust_family_adv", "\"a substantial adversarial robustness improvement in all methods that "
           "included the robust component\" (rho = 0.1)", "Sec. 4.1, Fig. 1b",
           READS["robust_family_adv"], E.above(0.0)),
    _claim("combinations_adv", "\"combining robustness with stability and/or sparsity leads to higher "
           "adversarial accuracy than that achieved with robustness alone\"", "Sec. 4.1, Fig. 1b",
           READS["combinations_adv"], E.above(0.0)),
    _claim("stable_stability", "\"imposing robustness, stability, and sparsity improves the corresponding "
           "metrics\": Stable's stability (worst split) above DL's", "Sec. 1; Sec. 4.1, Fig. 1c",
           READS["stable_stability"], E.above(0.0)),
    _claim("sparse_vs_dense", "\"all models with imposed sparsity ... have a much lower percentage of "
           f"nonzero parameters compared to the models without it\" (much: >= {SPARSITY_MARGIN:g} points)",
           "Sec. 4.1, Fig. 1d", READS["sparse_vs_dense"], E.at_least(SPARSITY_MARGIN)),
    _claim("help_sparsity", "\"both robustness and stability help achieve sparser models when combined "
           "with sparsity\"", "Sec. 4.1, Fig. 1d", READS["help_sparsity"], E.above(0.0)),
    _claim("framework_rank", "\"all 7 models from the HDL framework outperform the nominal DL approach "
           "with respect to this holistic metric\" (lower rank is better)", "Sec. 4.1, Fig. 2",
           READS["framework_rank"], E.below(0.0)),
    _claim("hdl_rank", "\"the HDL model typically achieves the best results\": HDL's rank at most "
           "every other method's", "Sec. 4.1, Fig. 2", READS["hdl_rank"], E.at_most(0.0)),
)

#: The departures (protocol keys) that void a claim: the adversarial accuracy, and the
#: multi-objective rank that ranks it, at another radius than Table A2's measure another quantity.
VOIDING = {"robust_family_adv": ("eps",), "combinations_adv": ("eps",), "framework_rank": ("eps",),
           "hdl_rank": ("eps",)}


def _protocol(run: Run, key: str, dataset: str | None) -> E.Precondition:
    return E.protocol(P.voiding(run_departures(run, dataset), VOIDING.get(key, ())))


def _paper(run: Run, claim: E.Claim, reads: Sequence[Reads], dataset: str | None,
           stats: Sequence[E.Paired] = ()) -> str:
    """The published values on the same data sets as the statistics' (and on every UCI set), as text."""
    if any(r.metric in UNTABULATED for r in reads):
        return UNTABULATED[reads[0].metric]
    if run.published is None or run.published.empty:
        return "-"
    judged = sorted(set().union(*(s.units for s in stats))) if dataset is None else []
    units = (judged or list(run.datasets)) if dataset is None else [dataset]
    same = [part_pairs(run, r, None, run.published, units) for r in reads]
    if not any(s.n for s in same):
        return "no published value of these data sets"
    parts = [f"{r.label} {s.mean:+.2f}" + (f" ({sum(holds_at(p.comparison, d) for d in s.d)}/{s.n})"
                                            if s.n > 1 else "")
             for p, r, s in zip(claim.parts, reads, same)]
    text = f"Tables A1-A4 on the same {len(units)} data set{'s' if len(units) != 1 else ''}: " + "; ".join(parts)
    if run.published_all is not None and not run.published_all.empty:
        every = Run(run.published_all, tuple(sorted(run.published_all["dataset"].unique())), run.params)
        stats = [part_pairs(every, r, None) for r in reads]
        text += f". All {len(every.datasets)} UCI sets: " + "; ".join(
            f"{r.label} {sum(holds_at(p.comparison, d) for d in s.d)}/{s.n}"
            for p, r, s in zip(claim.parts, reads, stats))
    return text


def _read(run: Run, key: str, dataset: str | None, extra: Sequence[E.Precondition] = (),
          datasets: Sequence[str] | None = None):
    """The statistics of claim ``key`` on the run (over its data sets, or ``datasets`` of them,
    or over the splits of ``dataset``), its preconditions (measured, protocol, ``extra``) and the
    ``here`` text."""
    reads = READS[key]
    stats = [part_pairs(run, r, dataset, units=datasets) for r in reads]
    pre = [measured_precondition(run, reads, stats, dataset, datasets), _protocol(run, key, dataset), *extra]
    return stats, pre, count_text(CLAIM[key], stats, reads) if all(s.n for s in stats) else "-"


def read_robust_family_adv(run: Run, dataset: str | None = None):
    """Every robust-component method's adversarial accuracy (Table A2's radius) above DL's.
    Void at another radius than the paper's (``eps``)."""
    return _read(run, "robust_family_adv", dataset)


def read_combinations_adv(run: Run, dataset: str | None = None):
    """Robust+Sparse, Stable+Robust and HDL each above Robust in adversarial accuracy."""
    return _read(run, "combinations_adv", dataset)


def read_stable_stability(run: Run, dataset: str | None = None):
    """Stable's stability above DL's. The stability is the worst split's accuracy: one value per
    data set, so it is paired over data sets only; a data set of one split has no worst split
    (its "stability" is its accuracy) and is left out (precondition ``splits``: the data sets
    with >= 2 splits, at least one; ``trials`` then asks for 3)."""
    units = run.datasets if dataset is None else (dataset,)
    n = {d: int(split_params(dict(run.params), d)["n_splits"]) for d in units}
    kept = [d for d, k in n.items() if k >= 2]
    few = [d for d, k in n.items() if k < 2]
    value = (f"worst of {min(n[d] for d in kept)} to {max(n[d] for d in kept)} splits on {len(kept)} data set"
             f"{'s' if len(kept) != 1 else ''}" if kept else "no data set of >= 2 splits") \
        + (f"; left out (one split): {', '.join(few)}" if few else "")
    pre = [E.Precondition("splits", bool(kept), value)]
    return _read(run, "stable_stability", dataset, pre, kept if dataset is None else None)


def read_sparse_vs_dense(run: Run, dataset: str | None = None):
    """Each sparse method's sparsity at least :data:`SPARSITY_MARGIN` points above the largest
    of the dense methods'. The dense methods never zero a weight on purpose (their sparsity is
    0 in Table A4 and, but for a weight that lands on exactly 0, here), so "sparser than the
    dense ones" alone would hold as soon as a sparse method zeroes one weight: the claim is
    re-specified as the paper words it, *much* sparser. One part per sparse method (against the
    densest dense model of the unit) rather than the min-max difference: the figure the claim
    cites shows each method, and a failing part names the method."""
    return _read(run, "sparse_vs_dense", dataset)


def read_help_sparsity(run: Run, dataset: str | None = None):
    """Robust+Sparse and Stable+Sparse each sparser than Sparse."""
    return _read(run, "help_sparsity", dataset)


def read_framework_rank(run: Run, dataset: str | None = None):
    """Each of the 7 framework methods' multi-objective rank below DL's. The rank is one value
    per data set (paired over data sets only) and ranks the adversarial accuracy: void at
    another radius (``eps``). Not by construction, but note: the dense methods tie at 0 %
    sparsity, so on the sparsity metric every sparse method outranks DL by construction
    (a quarter of the rank); the other three metrics decide the rest."""
    return _read(run, "framework_rank", dataset)


def read_hdl_rank(run: Run, dataset: str | None = None):
    """HDL's multi-objective rank at most every other method's (as :func:`read_framework_rank`)."""
    return _read(run, "hdl_rank", dataset)


CLAIM = {c.key: c for c in CLAIMS}
#: One reader per claim: ``reader(run, dataset=None) -> (statistics, preconditions, here)``.
READERS = {"robust_family_adv": read_robust_family_adv, "combinations_adv": read_combinations_adv,
           "stable_stability": read_stable_stability, "sparse_vs_dense": read_sparse_vs_dense,
           "help_sparsity": read_help_sparsity, "framework_rank": read_framework_rank,
           "hdl_rank": read_hdl_rank}
#: Metrics Tables A1-A4 do not tabulate, and what the ``paper`` column says instead.
UNTABULATED = {RANK: "Fig. 2 only (no value per data set)"}


def judge_claims(run: Run) -> list[E.Judged]:
    """Every claim of :data:`CLAIMS` on ``run``: once over its data sets (``dataset`` ""), or, on
    a run of fewer than :data:`holistic.fidelity.engine.MIN_TRIALS` data sets, per data set
    over its splits; each row with the published values of the same data sets as ``paper`` and
    the run's departures."""
    scopes = [None] if run.over_datasets() else list(run.datasets) or [None]
    out = []
    for claim in CLAIMS:
        for scope in scopes:
            stats, pre, here = READERS[claim.key](run, scope)
            found = run_departures(run, scope) if run.datasets else {}
            paper = _paper(run, claim, READS[claim.key], scope, stats)
            out.append(E.judge(replace(claim, paper=paper), stats, pre,
                               dataset=scope or "", here=here, departures=list(found.values())))
    return out


def claims_run(params: Mapping, selected: pd.DataFrame, matched: pd.DataFrame, reference: pd.DataFrame,
               names: pd.DataFrame, models: pd.DataFrame | None = None) -> Run:
    """The :class:`Run` of a selection: the data sets ``matched`` compares with Tables A1-A4,
    their published values, and (``models``: the eval files' rows) the per-split values."""
    from ...fidelity.match import COMPARED
    from ...fidelity.reference import named_datasets

    compared = tuple(d for d in matched.index if matched.at[d, "status"] == COMPARED)
    values = values_from_selected(selected, tuple(METHODS))
    uci = reference[reference["dataset"].isin(set(named_datasets(names)))][["dataset", "metric", "method", "value"]]
    return Run(values=values, datasets=compared, params=params,
               per_split=None if models is None else split_values(models, selected),
               published=published_values(reference, matched), published_all=uci)


__all__ = ["REFERENCE_DIR", "REFERENCE_FILES", "TABLE_REFS", "reference_file", "ADV", "NAT", "STAB", "SPARS",
           "SPARSE_METHODS", "DENSE_METHODS", "ROBUST_METHODS", "FRAMEWORK_METHODS", "SPARSITY_MARGIN", "Reads",
           "READS", "CLAIMS", "CLAIM", "VOIDING", "Run", "READERS", "UNTABULATED", "judge_claims", "claims_run",
           "read_robust_family_adv", "read_combinations_adv", "read_stable_stability", "read_sparse_vs_dense",
           "read_help_sparsity", "read_framework_rank", "read_hdl_rank", "HOW_TO_READ", "PUBLICATION", "notes",
           "verified_note"]
