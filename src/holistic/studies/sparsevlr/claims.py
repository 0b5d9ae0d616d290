"""The claims of SparseVLR (issue 15; notes 3.6) as :class:`holistic.fidelity.engine.Claim`\\ s,
each judged by the engine from paired differences over splits (the paired unit: the same split
of both compared models; PM, PM^T and RIPM^T start from the dense model of their split), one
reader per claim. Verified error is IBP-verified on every test point, as the paper's.

Every claim has the preconditions

- ``measured``: the run trained the compared methods at the compared sparsities;
- ``alive``: the compared models learned, i.e. each one's natural test accuracy is at least
  chance + :data:`ALIVE` points on every split. Two models that learned nothing (a collapsed
  dense model, a dead seed: no mask change, the constant classifier) have equal errors and
  gradients that compare artefacts, so "within m points" would hold and "flow larger" be
  decided by construction. A model whose collapse *is* the claim (PM at 99 %, CROWN training
  in Table 6, PM^T at 99 % where the text's claim rests on CIFAR-10's collapsed PM^T) is not
  required to be alive;
- ``protocol``: no departure in :data:`VOIDS` (the training bound is not the paper's CROWN-IBP:
  the claims are about SparseVLR as published), but for a run trained through IBP
  (:data:`ACCEPTED`: Table 6's MNIST rows find IBP as good as CROWN-IBP, and the cited code's
  mixture is pure IBP once eps reaches eps_max), except for Table 6's own claims (V5, V5-text),
  which compare the bounds;
- ``trials`` (added by the engine): at least 3 paired splits. The default run's slice trains
  one split, so there every claim is ``not testable here``.

The paper's "standard <= PGD <= verified error on every model" is not a claim: it holds for
every sound bound and attack, and the platform checks it as an invariant on every model
(:mod:`holistic.fidelity.invariants`). App. D's claim (V7) compares the final weights of the
certified ``dense`` model with those of ``dense-natural`` (the same network on the natural
cross-entropy), from the histograms both log (procedure ``single_traced``).
"""

from __future__ import annotations

import math

import pandas as pd

from ...fidelity import engine as E
from ...fidelity.protocol import departures, voiding
from ...procedures.sparse_trace import share_at_most
from .methods import LABELS
from .protocol import PROTOCOL
from .published import cell, load_published

#: Precondition ``alive``: natural test accuracy at least chance + this many points.
ALIVE = 20.0
#: The departures that void every claim here (:data:`.protocol.PROTOCOL` keys) ...
VOIDS = ("bound",)
#: ... but for training through IBP (the module's docstring), outside Table 6's claims.
ACCEPTED = departures({"bound": PROTOCOL["bound"]}, {"bound": "IBP"})["bound"]
#: App. D's "close to zero": the share of the weights with |w| at most this (V7; notes 3.6).
SMALL = 1e-3

_PUB = load_published()


def _p(table: int, dataset: str, method: str, p: float, measure: str = "verified") -> float:
    return cell(_PUB, table, dataset, method, p, measure)


def _diff(a: float, b: float) -> str:
    return f"{a:.2f} - {b:.2f} = {a - b:+.2f}"


CLAIMS = (
    E.Claim("V1", '"within 3% verified error" of the dense model: RSM^T at p = 90 %', "§5.1; Table 2 (MNIST, 4-layer)",
            (E.Part("IBP-verified error (%): RSM^T at 90 % - dense", E.at_most(3.0)),),
            paper=f"MNIST {_diff(_p(2, 'mnist', 'RSM-T', 90), _p(2, 'mnist', 'dense', 0))}"),
    E.Claim("V1-99", '"within 3% verified error" of the dense model: RSM^T at p = 99 %',
            "§5.1; Table 2 (MNIST, 4-layer)",
            (E.Part("IBP-verified error (%): RSM^T at 99 % - dense", E.at_most(3.0)),),
            paper=f"text: holds; Table 2 MNIST {_diff(_p(2, 'mnist', 'RSM-T', 99), _p(2, 'mnist', 'dense', 0))} "
                  "(does not hold)"),
    E.Claim("V2", "at p = 99 % PM (no retraining) collapses while RSM^T stays usable",
            "§5.1; Table 2 (MNIST, 4-layer)",
            (E.Part("IBP-verified error (%): PM at 99 % - RSM^T at 99 %", E.at_least(20.0)),
             E.Part("IBP-verified error (%): RSM^T at 99 % - dense", E.at_most(6.0))),
            paper=f"MNIST PM - RSM^T {_diff(_p(2, 'mnist', 'PM', 99), _p(2, 'mnist', 'RSM-T', 99))}; "
                  f"RSM^T - dense {_diff(_p(2, 'mnist', 'RSM-T', 99), _p(2, 'mnist', 'dense', 0))}"),
    E.Claim("V2-text", '"RSM^T outperforms PM^T at higher sparsity" (p = 99 %)', "§5.1 text; Table 2",
            (E.Part("IBP-verified error (%): PM^T at 99 % - RSM^T at 99 %", E.above(0.0)),),
            paper=f"text: holds; Table 2 MNIST {_diff(_p(2, 'mnist', 'PM-T', 99), _p(2, 'mnist', 'RSM-T', 99))} "
                  f"(does not hold); CIFAR-10 {_diff(_p(2, 'cifar10', 'PM-T', 99), _p(2, 'cifar10', 'RSM-T', 99))}"),
    E.Claim("V3", '"RIPM^T generalizes comparable to RSM^T" (p = 99 %)', "§5.1 (iv); Table 3 (CIFAR-10 only)",
            (E.Part("IBP-verified error (%): RIPM^T at 99 % - RSM^T at 99 %", E.within(2.0)),),
            paper=f"CIFAR-10 {_diff(_p(3, 'cifar10', 'RIPM-T', 99), _p(3, 'cifar10', 'RSM-T', 99))}"),
    E.Claim("V4", "the L1 norm of the gradients (and the weights changing state) is larger training RSM -> RSM^T "
                  "than PM -> PM^T (p = 99 %)", "§5.1 (ii)-(iii); Figs. 4(b), 5 (CIFAR-10)",
            (E.Part("gradient flow (mean over the epochs): RSM^T - PM^T at 99 %", E.above(0.0)),
             E.Part("weights changing state (sum over the prunes): RSM^T - PM^T at 99 %", E.above(0.0))),
            paper="holds (figures only, CIFAR-10: no numbers)"),
    E.Claim("V5", "training through CROWN alone is far worse than through IBP or CROWN-IBP (p = 99 %)",
            "§6; Table 6 (MNIST, 4-layer)",
            (E.Part("IBP-verified error (%): CROWN-trained RSM^T - the better of IBP- and CROWN-IBP-trained",
                    E.at_least(20.0)),),
            paper=f"MNIST {_diff(_p(6, 'mnist', 'RSM-T-CROWN', 99), _p(6, 'mnist', 'RSM-T-IBP', 99))}"),
    E.Claim("V5-text", '"empirically CROWN-IBP results in the most optimal models": vs IBP (p = 99 %)',
            "§6 text; Table 6 (MNIST, 4-layer)",
            (E.Part("IBP-verified error (%): IBP-trained RSM^T - CROWN-IBP-trained", E.above(0.0)),),
            paper=f"text: holds; Table 6 MNIST {_diff(_p(6, 'mnist', 'RSM-T-IBP', 99), _p(6, 'mnist', 'RSM-T', 99))} "
                  "(does not hold)"),
    E.Claim("V7", f"certified training drives the dense model's weights to 0: a larger share of |w| <= {SMALL:g} "
                  "than natural training's", "§3; App. D, Fig. 6 (MNIST, 4-layer)",
            (E.Part(f"share of the weights with |w| <= {SMALL:g} (%): dense - dense (natural)", E.above(0.0)),),
            paper='holds (Fig. 6: histograms only, no numbers; "magnitude ~ 1e-40")'),
)
BY_KEY = {c.key: c for c in CLAIMS}


# ----------------------------------------------------------------- what the readers measure

def per_split(models: pd.DataFrame, dataset: str, method: str, p: float, column: str = "ibp") -> dict[int, float]:
    """``{split: value}`` of one (method, p) on ``dataset`` (the mean over its configurations)."""
    m = models[(models["dataset"] == dataset) & (models["method"] == method) & (models["sparsity"] == p)]
    m = m[m[column].notna()]
    return {int(k): float(v) for k, v in m.groupby("split")[column].mean().items()}


def _name(method: str, p: float) -> str:
    return LABELS.get(method, method) + (f" at {p:g} %" if p else "")


def measured(values: dict[tuple[str, float], dict]) -> E.Precondition:
    """The compared (method, p) were trained (and measured) in this run."""
    missing = [_name(m, p) for (m, p), v in values.items() if not v]
    return E.measured(not missing, f"not trained (or not measured) here: {', '.join(missing)}" if missing else
                      "trained: " + ", ".join(_name(m, p) for m, p in values))


def alive(models: pd.DataFrame, dataset: str, compared: list[tuple[str, float]]) -> E.Precondition:
    """Every compared model's natural test accuracy is at least chance + :data:`ALIVE` points
    on every split (a model not trained is left to ``measured``)."""
    d = models[models["dataset"] == dataset]
    dead, lowest = [], []
    for method, p in compared:
        acc = {s: 100.0 - v for s, v in per_split(d, dataset, method, p, "standard").items()}
        if not acc:
            continue
        chance = float(d.loc[d["method"] == method, "chance"].max())
        need = (chance if math.isfinite(chance) else 0.0) + ALIVE
        lowest.append(f"{_name(method, p)} {min(acc.values()):.1f} %")
        dead += [f"{_name(method, p)} split {s}: {a:.1f} %" for s, a in sorted(acc.items()) if not a >= need]
    chance = float(d["chance"].max()) if len(d) else math.nan
    rule = f"needs >= chance {chance:.0f} % + {ALIVE:g} points" if math.isfinite(chance) else f"needs >= {ALIVE:g} %"
    if dead:
        return E.Precondition("alive", False, f"natural test accuracy {'; '.join(dead)} ({rule})")
    return E.Precondition("alive", True, f"lowest natural test accuracy {', '.join(lowest) or '-'} ({rule})")


def _here(values: dict[tuple[str, float], dict]) -> str:
    n = max((len(v) for v in values.values()), default=0)
    means = [f"{_name(m, p)} {sum(v.values()) / len(v):.4g}" for (m, p), v in values.items() if v]
    return (", ".join(means) + f" (mean over {n} split{'s' if n != 1 else ''})") if means else "not measured"


def _judge(claim: E.Claim, stats, values, pre, dataset: str, found: dict[str, str],
           here: str | None = None, bounds: bool = False) -> E.Judged:
    """``bounds``: a claim comparing training bounds (Table 6), voided by any bound's departure."""
    voids = [v for v in voiding(found, VOIDS) if bounds or v != ACCEPTED]
    pre = [measured(values), *pre, E.protocol(voids)]
    return E.judge(claim, stats, pre, dataset=dataset, here=_here(values) if here is None else here,
                   departures=list(found.values()))


def _errors(models, dataset, compared, column="ibp") -> dict[tuple[str, float], dict]:
    return {(m, p): per_split(models, dataset, m, p, column) for m, p in compared}


# ----------------------------------------------------------------- one reader per claim

def within_dense(models, traces, dataset, found) -> E.Judged:
    """V1: RSM^T at 90 % within 3 points of the dense model's verified error (both alive: two
    collapsed models are within 3 points of each other by construction); :func:`within_dense_99` at 99 %."""
    return _within(models, dataset, found, "V1", 90.0)


def within_dense_99(models, traces, dataset, found) -> E.Judged:
    """V1-99: the same at 99 % (the text's "everywhere"; Table 2's MNIST rows: +5.07)."""
    return _within(models, dataset, found, "V1-99", 99.0)


def _within(models, dataset, found, key: str, p: float) -> E.Judged:
    v = _errors(models, dataset, [("RSM-T", p), ("dense", 0.0)])
    return _judge(BY_KEY[key], [E.paired(v["RSM-T", p], v["dense", 0.0])], v,
                  [alive(models, dataset, list(v))], dataset, found)


def pm_collapse(models, traces, dataset, found) -> E.Judged:
    """V2: PM at 99 % at least 20 points above RSM^T, and RSM^T at most 6 above dense (dense and
    RSM^T alive: against a collapsed dense model "usable" holds by construction; PM's collapse
    is the claim, so PM need not be alive)."""
    v = _errors(models, dataset, [("PM", 99.0), ("RSM-T", 99.0), ("dense", 0.0)])
    stats = [E.paired(v["PM", 99.0], v["RSM-T", 99.0]), E.paired(v["RSM-T", 99.0], v["dense", 0.0])]
    return _judge(BY_KEY["V2"], stats, v, [alive(models, dataset, [("RSM-T", 99.0), ("dense", 0.0)])], dataset, found)


def rsm_beats_pm_t(models, traces, dataset, found) -> E.Judged:
    """V2-text: PM^T's verified error above RSM^T's at 99 % (RSM^T alive; PM^T may collapse:
    the paper's support for the text is CIFAR-10's collapsed PM^T)."""
    v = _errors(models, dataset, [("PM-T", 99.0), ("RSM-T", 99.0)])
    return _judge(BY_KEY["V2-text"], [E.paired(v["PM-T", 99.0], v["RSM-T", 99.0])], v,
                  [alive(models, dataset, [("RSM-T", 99.0)])], dataset, found)


def ripm_close(models, traces, dataset, found) -> E.Judged:
    """V3: |RIPM^T - RSM^T| <= 2 points of verified error at 99 % (both alive: two dead models
    agree by construction)."""
    v = _errors(models, dataset, [("RIPM-T", 99.0), ("RSM-T", 99.0)])
    return _judge(BY_KEY["V3"], [E.paired(v["RIPM-T", 99.0], v["RSM-T", 99.0])], v,
                  [alive(models, dataset, list(v))], dataset, found)


def gradient_flow(models, traces, dataset, found) -> E.Judged:
    """V4: per split, the gradient flow (mean over the epochs) and the weights changing state
    (sum over the prunes) of RSM^T above PM^T's at 99 %, from the train logs (``traces``).
    Both must be alive: a dead seed (no mask change, training accuracy at chance) has flows
    that compare artefacts, not the seeds."""
    t = traces[(traces["dataset"] == dataset) & (traces["sparsity"] == 99.0) & (traces["epoch"] >= 0)] \
        if len(traces) else traces
    flow, changes = {}, {}
    for m in ("RSM-T", "PM-T"):
        x = t[t["method"] == m] if len(t) else t
        flow[m, 99.0] = {int(s): float(g) for s, g in x.groupby("split")["gradient_flow"].mean().items()} \
            if len(x) else {}
        changes[m, 99.0] = {int(s): float(c) for s, c in x.groupby("split")["state_changes"].sum(min_count=1).items()} \
            if len(x) else {}
    stats = [E.paired(flow["RSM-T", 99.0], flow["PM-T", 99.0]), E.paired(changes["RSM-T", 99.0], changes["PM-T", 99.0])]
    here = f"gradient flow: {_here(flow)}; weights changing state: {_here(changes)}" \
        if any(flow.values()) else "not measured"
    return _judge(BY_KEY["V4"], stats, flow, [alive(models, dataset, list(flow))], dataset, found, here)


def crown_far_worse(models, traces, dataset, found) -> E.Judged:
    """V5: CROWN-trained RSM^T at least 20 points above the better of IBP- and CROWN-IBP-trained
    (the latter two alive; CROWN's collapse is the claim)."""
    v = _errors(models, dataset, [("RSM-T-CROWN", 99.0), ("RSM-T-IBP", 99.0), ("RSM-T", 99.0)])
    better = {s: min(v["RSM-T-IBP", 99.0][s], v["RSM-T", 99.0][s])
              for s in set(v["RSM-T-IBP", 99.0]) & set(v["RSM-T", 99.0])}
    return _judge(BY_KEY["V5"], [E.paired(v["RSM-T-CROWN", 99.0], better)], v,
                  [alive(models, dataset, [("RSM-T-IBP", 99.0), ("RSM-T", 99.0)])], dataset, found, bounds=True)


def crown_ibp_best(models, traces, dataset, found) -> E.Judged:
    """V5-text: IBP-trained RSM^T's verified error above CROWN-IBP-trained RSM^T's (both alive).
    The text's claim covers CROWN (V5) and Fastened-CROWN too; Fastened-CROWN is not
    implemented (the ``RSM-T-CROWN-Fast`` row is CROWN-IBP without mixing), so the part
    compared is the one Table 6's MNIST rows contradict."""
    v = _errors(models, dataset, [("RSM-T-IBP", 99.0), ("RSM-T", 99.0)])
    return _judge(BY_KEY["V5-text"], [E.paired(v["RSM-T-IBP", 99.0], v["RSM-T", 99.0])], v,
                  [alive(models, dataset, list(v))], dataset, found, bounds=True)


def final_shares(traces: pd.DataFrame, dataset: str, method: str) -> dict[int, float]:
    """``{split: share}``: the percent of ``method``'s weights with |w| <= :data:`SMALL` after its
    last epoch (the last histogram its train log holds; the mean over its configurations)."""
    if not len(traces) or "histogram" not in traces:
        return {}
    t = traces[(traces["dataset"] == dataset) & (traces["method"] == method) & (traces["epoch"] >= 0)]
    last = t[t["epoch"] == t.groupby("split")["epoch"].transform("max")]
    shares = last.assign(share=[share_at_most(h, SMALL) for h in last["histogram"]])
    return {int(k): float(v) for k, v in shares.groupby("split")["share"].mean().items()}


def small_weights(models, traces, dataset, found) -> E.Judged:
    """V7: per split, the share of the dense model's final weights with |w| <= 1e-3 above the
    naturally trained one's (both alive: a collapsed model's weights compare artefacts)."""
    v = {(m, 0.0): final_shares(traces, dataset, m) for m in ("dense", "dense-natural")}
    return _judge(BY_KEY["V7"], [E.paired(v["dense", 0.0], v["dense-natural", 0.0])], v,
                  [alive(models, dataset, list(v))], dataset, found)


READERS = {"V1": within_dense, "V1-99": within_dense_99, "V2": pm_collapse, "V2-text": rsm_beats_pm_t,
           "V3": ripm_close, "V4": gradient_flow, "V5": crown_far_worse, "V5-text": crown_ibp_best,
           "V7": small_weights}
assert set(READERS) == set(BY_KEY)


def judge_all(models: pd.DataFrame, traces: pd.DataFrame, found: dict[str, dict[str, str]]) -> list[E.Judged]:
    """Every claim on every data set of the run (``found``: data set -> its departures)."""
    return [READERS[c.key](models, traces, dataset, found.get(dataset, {}))
            for dataset in dict.fromkeys(models["dataset"]) for c in CLAIMS]
