"""The claims of Section 4.2 (Tables 2-4: Fashion-MNIST, MNIST, CIFAR10), judged by the claims
engine (:mod:`holistic.fidelity.engine`) with the pairing of :mod:`holistic.studies.hdl.reads`.

Each claim is judged per image data set it speaks of (:data:`DATASETS`), paired over that data
set's splits: ``d_i = value(a) - value(b)`` on split ``i`` of both methods, the test values of the
one configuration the multi-objective validation rank chose for each method, as in Tables 2-4
(:func:`image_run`: from the selection and the eval files). Preconditions: ``measured`` (every
part has its pair on every split), ``protocol`` (:data:`VOIDING`) and ``trials`` (>= 3 splits,
added by the engine: the default slice of MNIST, one split, is not testable). The ``paper`` column
gives the published differences of the same table; the published tables have no splits, so they
get no verdict. Section 4.2's CIFAR10 statements ("adding sparsity slightly hurts natural
accuracy", HDL "comparable" with 47 % fewer parameters) are not claims here: they need CIFAR10.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Mapping, Sequence

import pandas as pd

from ....data import registry
from ....fidelity import engine as E
from ....fidelity import protocol as P
from ....fidelity.claims import SPLIT_COLUMNS, split_values
from ....records.selected import RANK
from ....render.tables import ordered
from ....selection.select import summarize
from ..methods import BASELINE
from ..reads import (ADV, NAT, QUANTITY, ROBUST_METHODS, SPARS, STAB, Reads, Run, count_text, measured_precondition,
                     part_pairs, run_departures)
from .tables import TABLES, image_values, published_tables_2_4

#: H-img-2: HDL's sparsity at least this many points above DL's ("only around 70 % of the
#: parameters": Tables 2-3 print 26.8 and 28.0) ...
HDL_MIN_SPARSITY = 20.0
#: ... while its natural accuracy is at most this many points below DL's.
HDL_ACCURACY_SLACK = 0.3

#: What each claim's parts read (``d = metric(a) - metric(b)``), in the order of its parts.
READS: dict[str, tuple[Reads, ...]] = {
    "H-img-1": (Reads(NAT, "HDL", BASELINE), Reads(ADV, "HDL", BASELINE), Reads(SPARS, "HDL", BASELINE)),
    "H-img-2": (Reads(SPARS, "HDL", BASELINE), Reads(NAT, "HDL", BASELINE)),
    "H-img-3": tuple(Reads(ADV, m, BASELINE) for m in ROBUST_METHODS),
}
#: The image data sets each claim speaks of (Sec. 4.2 states H-img-1 and -2 for MNIST and
#: Fashion-MNIST only: on CIFAR10 "adding sparsity slightly hurts natural accuracy").
DATASETS = {"H-img-1": ("fashion-mnist", "mnist"), "H-img-2": ("fashion-mnist", "mnist"), "H-img-3": tuple(TABLES)}
#: The departures that void a claim: the adversarial accuracy at another radius than the table's
#: (``eps``); the share of parameters HDL keeps is one of the paper's network (ALEX CNN: ``model``)
#: after its 5 rounds of continuous sparsification (``rounds``).
VOIDING = {"H-img-1": ("eps",), "H-img-2": ("model", "rounds"), "H-img-3": ("eps",)}


def _claim(key: str, statement: str, comparisons: Sequence[E.Comparison]) -> E.Claim:
    return E.Claim(key, statement, "Sec. 4.2, Tables 2-4",
                   tuple(E.Part(f"{QUANTITY[r.metric]}: {r.label}", c) for r, c in zip(READS[key], comparisons)))


CLAIMS: tuple[E.Claim, ...] = (
    _claim("H-img-1", "\"for MNIST and Fashion-MNIST, the HDL model outperforms the DL model for all objectives\" "
           "(stability, the worst split, has no per-split value: shown in `here`, not judged)", [E.above(0.0)] * 3),
    _claim("H-img-2", "\"HDL achieves higher accuracy using only around 70% of the parameters\": sparsity >= "
           f"DL's + {HDL_MIN_SPARSITY:g} points, natural accuracy >= DL's - {HDL_ACCURACY_SLACK:g}",
           [E.at_least(HDL_MIN_SPARSITY), E.at_least(-HDL_ACCURACY_SLACK)]),
    _claim("H-img-3", "\"a substantial adversarial robustness improvement in all methods that included the robust "
           "component\" (Sec. 4.1), on each image table at its radius: each above DL", [E.above(0.0)] * 4),
)
CLAIM = {c.key: c for c in CLAIMS}


def _read(run: Run, key: str, dataset: str):
    reads = READS[key]
    stats = [part_pairs(run, r, dataset) for r in reads]
    pre = [measured_precondition(run, reads, stats, dataset),
           E.protocol(P.voiding(run_departures(run, dataset), VOIDING[key]))]
    if not all(s.n for s in stats):
        return stats, pre, "-"
    counts = count_text(CLAIM[key], stats, reads).split("; ")
    return stats, pre, "; ".join(f"{_name(r.metric)} {c}" for r, c in zip(reads, counts))


def _name(metric: str) -> str:
    return QUANTITY[metric].split(" (")[0]


def _gap(values: pd.DataFrame | None, dataset: str, metric: str, a: str = "HDL") -> str:
    """``metric(a) - metric(DL)`` of one data set in a long frame, as text ("-" where absent)."""
    if values is None:
        return "-"
    sub = values[(values["dataset"] == dataset) & (values["metric"] == metric)].set_index("method")["value"]
    return f"{sub[a] - sub[BASELINE]:+.1f}" if a in sub and BASELINE in sub else "-"


def read_hdl_outperforms_dl(run: Run, dataset: str):
    """HDL above DL in natural and adversarial accuracy and sparsity, per split. Re-specified:
    Tables 2-4's stability is the worst split's natural accuracy, one value per data set with no
    paired statistic over splits; its gap is shown in ``here`` beside the judged parts (it is a
    function of the natural-accuracy part's splits). The sparsity part alone would hold as soon
    as HDL zeroes a weight (DL zeroes none), so the accuracy parts decide; H-img-2 reads the
    sparsity's size. Void at another radius (``eps``)."""
    stats, pre, here = _read(run, "H-img-1", dataset)
    stab = f"stability HDL - DL {_gap(run.values, dataset, STAB)} (worst split, not judged)"
    return stats, pre, stab if here == "-" else f"{here}; {stab}"


def read_hdl_sparse_at_dl_accuracy(run: Run, dataset: str):
    """HDL's sparsity at least :data:`HDL_MIN_SPARSITY` points above DL's with its natural accuracy
    at most :data:`HDL_ACCURACY_SLACK` below DL's, per split. The share of parameters depends on
    the network and the rounds of continuous sparsification: void with the MLP for the paper's ALEX
    CNN (``model``) or with fewer rounds (``rounds``)."""
    return _read(run, "H-img-2", dataset)


def read_robust_family_adv(run: Run, dataset: str):
    """Each robust-component method above DL in adversarial accuracy at the table's radius, per
    split. Void at another radius (``eps``)."""
    return _read(run, "H-img-3", dataset)


#: One reader per claim: ``reader(run, dataset) -> (statistics, preconditions, here)``.
READERS = {"H-img-1": read_hdl_outperforms_dl, "H-img-2": read_hdl_sparse_at_dl_accuracy,
           "H-img-3": read_robust_family_adv}


def _paper(run: Run, key: str, dataset: str) -> str:
    """The published differences of the claim on the data set's table."""
    parts = [f"{_name(r.metric)} {r.label} {_gap(run.published, dataset, r.metric, r.a)}" for r in READS[key]]
    if key == "H-img-1":
        parts.append(f"stability HDL - DL {_gap(run.published, dataset, STAB)}")
    return f"{TABLES[dataset]}: " + "; ".join(parts)


def image_datasets(datasets) -> list[str]:
    """The registered image data sets among ``datasets``: those of Tables 2-4 in table order, then
    the others."""
    known = set(registry.names())
    return [d for d in ordered(set(datasets), list(TABLES)) if d in TABLES or (d in known and registry.get(d).image)]


def image_run(params: Mapping, selected: pd.DataFrame, models: pd.DataFrame,
              published: pd.DataFrame | None = None) -> Run:
    """The :class:`~holistic.studies.hdl.reads.Run` of the image data sets of ``models`` (the eval
    files' rows): ``values`` the Tables 2-4 values (:func:`~holistic.studies.hdl.images.tables.image_values`),
    ``per_split`` the split values of each method's multi-objective choice, ``published`` Tables 2-4."""
    datasets = image_datasets(models["dataset"])
    models = models[models["dataset"].isin(datasets)]
    chosen = selected[(selected["metric"] == RANK) & selected["dataset"].isin(datasets)]
    chosen = pd.concat([chosen.assign(metric=m) for m in SPLIT_COLUMNS], ignore_index=True)
    return Run(values=image_values(selected, summarize(models), datasets), datasets=tuple(datasets), params=params,
               per_split=split_values(models, chosen),
               published=published_tables_2_4() if published is None else published)


def judge_images(run: Run) -> list[E.Judged]:
    """Every claim of :data:`CLAIMS` on each of its data sets in ``run`` (one row each; a claim none
    of whose data sets the run has gets one row, not testable); no row on a run without an image set."""
    out = []
    for claim in CLAIMS if run.datasets else ():
        scopes = [d for d in DATASETS[claim.key] if d in run.datasets]
        if not scopes:
            why = E.measured(False, f"claimed on {', '.join(DATASETS[claim.key])}; none in this run")
            out.append(E.judge(claim, [None] * len(claim.parts), [why]))
        for ds in scopes:
            stats, pre, here = READERS[claim.key](run, ds)
            out.append(E.judge(replace(claim, paper=_paper(run, claim.key, ds)), stats, pre, dataset=ds,
                               here=here, departures=list(run_departures(run, ds).values())))
    return out


__all__ = ["HDL_MIN_SPARSITY", "HDL_ACCURACY_SLACK", "READS", "DATASETS", "VOIDING", "CLAIMS", "CLAIM", "READERS",
           "read_hdl_outperforms_dl", "read_hdl_sparse_at_dl_accuracy", "read_robust_family_adv", "image_datasets",
           "image_run", "judge_images"]
