"""HDL's published tables and claims: the claims engine's claims (:mod:`holistic.fidelity.engine`)
and the publication the cell comparison reads (:mod:`holistic.fidelity`).

Reference. The published Tables A1-A4 (natural accuracy, adversarial accuracy at
rho = 0.1, stability, sparsity; 45 UCI and 3 image data sets, 8 methods, percent)
ship as package data in ``holistic/studies/hdl/reference/`` (see its README):
``hdl_paper_tables_A1_A4.csv`` (long ``dataset, n, p, k, metric, method, value``) and
``dataset_names.csv`` (``paper_name, file_stem`` of the 45 UCI sets). Table A1's ``n``
is one less than every published file's row count, which the matching allows for.

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

from dataclasses import dataclass, replace
from importlib import resources
from typing import Mapping, Sequence

import pandas as pd

from ...data.splits import split_params
from ...fidelity import engine as E
from ...fidelity import protocol as P
from ...fidelity.claims import SPLIT_COLUMNS, by_unit, published_values, split_values, values_from_selected
from ...fidelity.reference import Publication
from ...records.selected import RANK
from . import TABLE_REFS
from .methods import BASELINE, COMPONENTS, METHODS
from .protocol import departures_over, header_note

REFERENCE_DIR = "holistic/studies/hdl/reference/"
REFERENCE_FILES = {"tables": "hdl_paper_tables_A1_A4.csv", "names": "dataset_names.csv"}


def reference_file(name: str):
    """The packaged reference file ``name`` (a ``importlib.resources`` traversable)."""
    return resources.files("holistic").joinpath("studies", "hdl", "reference", name)


# --------------------------------------------------------------------------- claims

ADV, NAT, STAB, SPARS = "adversarial_accuracy", "natural_accuracy", "stability", "sparsity"
SPARSE_METHODS = tuple(m for m, c in COMPONENTS.items() if c.sparse)
DENSE_METHODS = tuple(m for m, c in COMPONENTS.items() if not c.sparse)
ROBUST_METHODS = tuple(m for m, c in COMPONENTS.items() if c.robust)
FRAMEWORK_METHODS = tuple(m for m in METHODS if m != BASELINE)

#: "A much lower percentage of nonzero parameters" (Sec. 4.1, Fig. 1d), read as at least this
#: many points more sparsity than the sparsest dense model; every sparse model of Table A4
#: (48 data sets) reaches >= 28.8 %, so the margin does not make the paper's own values fail.
SPARSITY_MARGIN = 10.0

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


def _paired(run: Run, r: Reads, dataset: str | None, values: pd.DataFrame | None = None,
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


def _units(run: Run, dataset: str | None, datasets: Sequence[str] | None = None) -> list:
    if dataset is None:
        return list(run.datasets if datasets is None else datasets)
    return list(range(int(split_params(dict(run.params), dataset)["n_splits"])))


def _measured(run: Run, reads: Sequence[Reads], stats: Sequence[E.Paired], dataset: str | None,
              datasets: Sequence[str] | None = None) -> E.Precondition:
    """Every part has its pair on every unit (data set, or split of ``dataset``)."""
    units = _units(run, dataset, datasets)
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


def _found(run: Run, dataset: str | None) -> dict[str, str]:
    return departures_over(run.params, run.datasets if dataset is None else [dataset])


def _protocol(run: Run, key: str, dataset: str | None) -> E.Precondition:
    return E.protocol(P.voiding(_found(run, dataset), VOIDING.get(key, ())))


def _holds_at(comparison: E.Comparison, d: float) -> bool:
    """One difference satisfies the comparison (the share "holds on k of n")."""
    return comparison.judge(d, d) == E.HOLDS


def _count(claim: E.Claim, stats: Sequence[E.Paired], reads: Sequence[Reads]) -> str:
    """Per part: on how many units its single difference satisfies the comparison."""
    out = []
    for part, r, s in zip(claim.parts, reads, stats):
        k = sum(_holds_at(part.comparison, d) for d in s.d)
        out.append(f"{r.label} {part.comparison.text().replace('d ', '')} on {k}/{s.n} {s.unit}s")
    return "; ".join(out)


def _paper(run: Run, claim: E.Claim, reads: Sequence[Reads], dataset: str | None,
           stats: Sequence[E.Paired] = ()) -> str:
    """The published values on the same data sets as the statistics' (and on every UCI set), as text."""
    if any(r.metric in UNTABULATED for r in reads):
        return UNTABULATED[reads[0].metric]
    if run.published is None or run.published.empty:
        return "-"
    judged = sorted(set().union(*(s.units for s in stats))) if dataset is None else []
    units = (judged or list(run.datasets)) if dataset is None else [dataset]
    same = [_paired(run, r, None, run.published, units) for r in reads]
    if not any(s.n for s in same):
        return "no published value of these data sets"
    parts = [f"{r.label} {s.mean:+.2f}" + (f" ({sum(_holds_at(p.comparison, d) for d in s.d)}/{s.n})"
                                            if s.n > 1 else "")
             for p, r, s in zip(claim.parts, reads, same)]
    text = f"Tables A1-A4 on the same {len(units)} data set{'s' if len(units) != 1 else ''}: " + "; ".join(parts)
    if run.published_all is not None and not run.published_all.empty:
        every = Run(run.published_all, tuple(sorted(run.published_all["dataset"].unique())), run.params)
        stats = [_paired(every, r, None) for r in reads]
        text += f". All {len(every.datasets)} UCI sets: " + "; ".join(
            f"{r.label} {sum(_holds_at(p.comparison, d) for d in s.d)}/{s.n}"
            for p, r, s in zip(claim.parts, reads, stats))
    return text


def _read(run: Run, key: str, dataset: str | None, extra: Sequence[E.Precondition] = (),
          datasets: Sequence[str] | None = None):
    """The statistics of claim ``key`` on the run (over its data sets, or ``datasets`` of them,
    or over the splits of ``dataset``), its preconditions (measured, protocol, ``extra``) and the
    ``here`` text."""
    reads = READS[key]
    stats = [_paired(run, r, dataset, units=datasets) for r in reads]
    pre = [_measured(run, reads, stats, dataset, datasets), _protocol(run, key, dataset), *extra]
    return stats, pre, _count(CLAIM[key], stats, reads) if all(s.n for s in stats) else "-"


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
            found = _found(run, scope) if run.datasets else {}
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


# --------------------------------------------------------------------------- document

HOW_TO_READ = (
    "How to read. Each cell of the per-data-set tables is `published / here / difference`, "
    "with difference = here - published in percentage points (positive: this project's value is "
    "higher) and in bold when it exceeds the cell's tolerance: {tol:g} points, or one row of the "
    "published test set (100 / ceil(n / 5) points, n the file's rows) where that is more. Published "
    "values are Tables A1-A4 of the "
    "paper; reproduced values are this project's test values of the configuration chosen on the "
    "validation sets, rounded to the tables' 2 decimals. Only data sets whose size agrees with "
    "Table A1 (published n = n or n - 1, same p and k) enter the summary and the claims; data "
    "sets marked † share a paper name but not the data. Where a second run of the same protocol "
    "with another seed is given, the summary sets beside the share of cells within tolerance of "
    "the paper the share of the same cells within the same tolerance between the two runs: the "
    "most a reproduction can reach with these test sets. The claims table (at the end) judges "
    "each claim of the paper with the claims engine: the paired difference of the two methods' "
    "test values over the compared data sets (over the splits where there are fewer than 3), its "
    "95 % interval against the claim's margin, after the preconditions (enough data sets, the "
    "values measured, no departure that voids the claim); `paper` gives the published values of "
    "the same data sets and, for the claims on the multi-objective rank of Figure 2 (a bar chart, "
    "no value per data set), says so. "
    "Neither preprocessing mode reproduces the published code: `paper` mode copies "
    "only its input scaling (standardise, then / 255); split mode `published` its test rows and "
    "validation draws; `train.batch_size: 64`, `train.min_steps_per_round: 3000` and "
    "`train.select_every_steps: 1000` its schedule; the other defects of that code (PGD "
    "clipping to [0, 1], the inverted final sparsity mask, the dropped sparsity penalty, the "
    "frozen stability threshold) are not reproduced, so cell-level agreement is not expected "
    "everywhere: the claims are the fairer comparison."
)

PUBLICATION = Publication(
    tables=reference_file(REFERENCE_FILES["tables"]),
    tables_source=REFERENCE_DIR + REFERENCE_FILES["tables"],
    names=reference_file(REFERENCE_FILES["names"]),
    names_source=REFERENCE_DIR + REFERENCE_FILES["names"],
    methods=tuple(METHODS),
    table_refs=TABLE_REFS,
    tables_label="Tables A1-A4",
    names_label="UCI",
    intro="This project's Tables A1-A4 and the claims of Section 4.1 against those published "
          "in *Holistic Deep Learning* (Bertsimas et al.), Appendix A "
          f"(`{REFERENCE_DIR}`).",
    how_to_read=HOW_TO_READ,
    untabulated={RANK: "not computable (Fig. 2 not tabulated)"},
    tolerance=2.0,
    test_fraction=0.2,  # the published code's test_size=1/5: one test row is 100 / ceil(n / 5) points
)


def notes(params: Mapping, datasets: Sequence[str]) -> list[str]:
    """Header lines of ``fidelity.md``: the run's departures from the paper's protocol
    (:func:`holistic.studies.hdl.protocol.header_note`, over ``datasets``)."""
    return [header_note(params, datasets)]


def verified_note(table: pd.DataFrame) -> str | None:
    """What the verified-accuracy table (``tables/verified_accuracy.csv``: data sets x methods)
    shows, in one line: per method the mean over data sets, and whether the robust loss
    (eq. 7, a first-order approximation) gives certified robustness (a question the paper
    leaves open). None without a measured table."""
    methods = [m for m in table.columns if m not in ("dataset", "n", "p", "k")]
    means = {m: float(table[m].mean()) for m in methods if table[m].notna().any()}
    if not means or "DL" not in means:
        return None
    robust = {m: v for m, v in means.items() if "Robust" in m or m == "HDL"}
    text = ", ".join(f"{m} {v:.1f}" for m, v in means.items())
    verdict = ""
    if robust:
        lo, hi = min(robust.values()), max(robust.values())
        verdict = (f" The methods with the robust loss (eq. 7) certify {lo:.1f}-{hi:.1f} % against DL's "
                   f"{means['DL']:.1f} %: " + ("the first-order robust loss does give certifiable robustness."
                                               if lo > means["DL"] else
                                               "the robust loss does not certify more than DL everywhere."))
    return ("Verified accuracy (not in the paper; `tables/verified_accuracy.md`, the models of the "
            f"adversarial-accuracy table), mean over data sets: {text}.{verdict}")


__all__ = ["REFERENCE_FILES", "TABLE_REFS", "reference_file", "ADV", "NAT", "STAB", "SPARS", "SPARSE_METHODS",
           "DENSE_METHODS", "ROBUST_METHODS", "FRAMEWORK_METHODS", "SPARSITY_MARGIN", "Reads", "READS", "CLAIMS",
           "CLAIM", "VOIDING", "Run", "READERS", "UNTABULATED", "judge_claims", "claims_run",
           "read_robust_family_adv", "read_combinations_adv", "read_stable_stability", "read_sparse_vs_dense",
           "read_help_sparsity", "read_framework_rank", "read_hdl_rank", "HOW_TO_READ", "PUBLICATION", "notes",
           "verified_note"]
