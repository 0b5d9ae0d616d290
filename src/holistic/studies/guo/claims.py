"""The claims of Guo et al. (2018) (notes 4.6: G1-G4), judged by the claims engine
(:mod:`holistic.fidelity.engine`) on a run's per-round models (:func:`.levels.model_levels`
with the ``correct`` column of :func:`.levels.with_correct`).

Every claim compares two models of one data set: two rounds of a progressively pruned
method, or two activation-L1 strengths, each over its reference models. The statistic is paired
over the references (``split``: the same reference at both rounds, the same split for both
strengths), ``d = a - b`` per reference, and the claim's comparison is judged on its 95 %
interval. r_inf is the accuracy under FGS at eps 0.1 (a fraction) at eq. (1)'s points, without the
input box (``fgsm-nobox``; the clipped variant is never read), r_2 the paper's
``E[1{correct} ||delta||_2]`` of DeepFool (or C&W where a claim says so).

Preconditions of every claim, each reported with its measured value:

- ``measured``: both models are in the run with the measures the claim reads;
- ``attack_succeeds`` (each r_2 it reads, each compared model): the minimal attack found an
  adversarial point for >= 95 % of the correctly classified test points, pooled over the
  references (the eval's ``failures`` row beside ``r2``): a failed point enters r_2 at the
  distance of the point the attack returned (or is left out, a departure ``r2_mean``), not at a
  minimal distance, so an attack that often fails measures another quantity;
- ``accuracy_matched``: the compared models' mean benign accuracies within
  :data:`ACCURACY_MARGIN` points (Table 2's claim: :data:`TABLE2_ACCURACY`). Both r_inf (an
  accuracy under attack, at most the benign one) and r_2 (a misclassified point counts 0) fall
  with the benign accuracy by construction and rise with it: a comparison of models whose
  accuracies differ more is decided by the accuracy, not by the robustness the paper claims
  (on 2 CPU cores the references are under-trained, so early rounds also train further and
  the sparsest rounds lose most of their accuracy);
- ``protocol``: no departure from the paper that changes the quantity read (the r_inf radius,
  the prune rate of "the first prune", r_2 taken over the points the attack did not fail on);
- ``trials`` (the engine's): at least 3 paired references.

Claims are data (:data:`CLAIMS`), each with one reader (:data:`READERS`); :func:`evaluate`
judges them all.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import partial
from typing import Callable, Mapping

import pandas as pd

from ...fidelity import engine as E
from ...fidelity.protocol import voiding
from .levels import EPS, eps_label
from .methods import l1_name

UNIT = "reference"
RINF = f"r_inf:fgsm-nobox@{eps_label(EPS)}"
R2 = {"deepfool": "r2:deepfool", "cw": "r2:cw"}
LABELS = {RINF: f"r_inf FGS (eps {EPS:g}, no box)", R2["deepfool"]: "r_2 DeepFool", R2["cw"]: "r_2 C&W"}
#: The departure that voids every claim reading an r_2 (:func:`compare`).
R2_VOIDS = ("r2_mean",)
ATTACK_NAMES = {"deepfool": "DeepFool", "cw": "C&W"}
#: ``accuracy_matched``: the compared models' benign accuracies within this many points.
ACCURACY_MARGIN = 1.0
#: G3 (Table 2): "the prediction accuracy ... may remain competitive": within 0.5 point (notes 4.6).
TABLE2_ACCURACY = 0.5
#: G1: the round of the linear model's r_inf ("the first rounds"; Fig. 1 shows 12 points).
FIRST_ROUNDS = 4
#: G2: the first round at or above this weight sparsity (%) is "moderately sparse" (notes 4.6:
#: "some level >= 80 % beats dense on both").
MODERATE = 80.0
#: G2b: the sparsest round is over-sparsified only at or above this weight sparsity (%).
EXTREME = 98.0
#: G3: Table 2's weight sparsity of the Deep-Compression models (%).
TABLE2_SPARSITY = {"lenet300": 98.21, "lenet5": 99.07}
#: The tasks of the linear models (Sec. 4.1) and of the LeNets (Sec. 4.2).
LINEAR_DATASETS = ("mnist-1v7", "mnist")
NETS_DATASET = "mnist"


@dataclass(frozen=True)
class Run:
    """What the claims read: the per-model frame and, per data set, the run's departures."""
    levels: pd.DataFrame
    departures: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Model:
    """One compared model over its references: ``frame`` holds its rows (one per reference)."""
    label: str
    frame: pd.DataFrame

    def has(self, measure: str) -> bool:
        return not self.frame.empty and measure in self.frame and self.frame[measure].notna().any()

    def values(self, measure: str) -> dict:
        """reference (split) -> value (the mean over configurations: the study's grid has one)."""
        return self.frame.groupby("split")[measure].mean().to_dict() if self.has(measure) else {}

    def mean(self, measure: str) -> float:
        return float(self.frame[measure].mean()) if self.has(measure) else math.nan

    @property
    def accuracy(self) -> float:
        """Mean benign accuracy (%)."""
        return 100.0 * self.mean("natural")

    @property
    def sparsity(self) -> float:
        """Weight sparsity (%) of the round (100 - kept)."""
        return 100.0 - float(self.frame["kept_percent"].mean()) if not self.frame.empty else math.nan


def model(run: Run, dataset: str, method: str, round_: int | None = 0, label: str | None = None) -> Model:
    """The rows of ``method``'s round ``round_`` on ``dataset`` (an empty frame if not run)."""
    lv = run.levels
    f = lv[(lv["dataset"] == dataset) & (lv["method"] == method)] if len(lv) else lv
    f = f[f["round"] == round_] if round_ is not None and len(f) else f
    return Model(label or (f"{method} round {round_}" if round_ else f"{method} dense"), f)


def rounds(run: Run, dataset: str, method: str) -> pd.Series:
    """round -> weight sparsity (%) of ``method`` on ``dataset``, in round order."""
    lv = run.levels
    f = lv[(lv["dataset"] == dataset) & (lv["method"] == method)] if len(lv) else lv
    if f.empty:
        return pd.Series(dtype=float)
    return 100.0 - f.groupby("round")["kept_percent"].mean().sort_index()


# ----------------------------------------------------------------- preconditions

def accuracy_matched(a: Model, b: Model, margin: float = ACCURACY_MARGIN) -> E.Precondition:
    """The compared models' mean benign accuracies (%) within ``margin`` points."""
    ok = math.isfinite(a.accuracy) and math.isfinite(b.accuracy) and abs(a.accuracy - b.accuracy) <= margin
    return E.Precondition("accuracy_matched", ok, f"benign accuracy {b.accuracy:.2f} % ({b.label}) vs "
                                                  f"{a.accuracy:.2f} % ({a.label}) (needs within {margin:g} "
                                                  f"point{'s' if margin != 1 else ''})")


def attack_succeeds(m: Model, attack: str) -> E.Precondition:
    """The minimal ``attack`` succeeded on >= 95 % of ``m``'s correctly classified test points,
    pooled over its references (correct - failures of correct)."""
    name = f"{ATTACK_NAMES[attack]} ({m.label})"
    fails = f"failures:{attack}"
    if not (m.has(fails) and m.has("correct")):
        return E.Precondition("attack_succeeds", False, f"{name}: failures not recorded")
    correct = int(round(m.frame["correct"].sum()))
    return E.attack_succeeds(correct - int(round(m.frame[fails].sum())), correct, attack=name)


def over_sparsified(m: Model) -> E.Precondition:
    """G2b: the round read is beyond :data:`EXTREME` % weight sparsity."""
    ok = math.isfinite(m.sparsity) and m.sparsity >= EXTREME
    return E.Precondition("over_sparsified", ok, f"{m.label} at {m.sparsity:.2f} % weight sparsity "
                                                 f"(needs >= {EXTREME:g} %)")


# ----------------------------------------------------------------- one comparison

def compare(claim: E.Claim, run: Run, dataset: str, a: Model, b: Model, measures: tuple[str, ...], *,
            margin: float = ACCURACY_MARGIN, extra: tuple = (), voids: tuple[str, ...] = ()) -> E.Judged:
    """``claim`` on ``dataset``: per part (``measures``, in the claim's order) the paired
    difference ``a - b`` over the references, with the preconditions of the module doc."""
    found = dict(run.departures.get(dataset, {}))
    have = all(x.has(m) for x in (a, b) for m in measures) and a.has("natural") and b.has("natural")
    pre = [E.measured(have, f"{', '.join(LABELS[m] for m in measures)} of {b.label} and {a.label} on {dataset}"
                            + ("" if have else ": not in the run"))]
    if have:
        pre += [attack_succeeds(x, attack) for attack, col in R2.items() if col in measures for x in (b, a)]
        pre.append(accuracy_matched(a, b, margin))
    pre += list(extra)
    if any(m in R2.values() for m in measures):
        voids = (*voids, *R2_VOIDS)
    pre.append(E.protocol(voiding(found, voids)))
    stats = [E.paired(a.values(m), b.values(m), UNIT) if have else E.Paired((), (), (), UNIT) for m in measures]
    here = "not measured"
    if have:
        here = (f"{b.label} -> {a.label}: " + "; ".join(f"{LABELS[m]} {b.mean(m):.4f} -> {a.mean(m):.4f}"
                                                         for m in measures)
                + f"; accuracy {b.accuracy:.2f} -> {a.accuracy:.2f} %")
    return E.judge(claim, stats, pre, dataset=dataset, here=here, departures=list(found.values()))


# ----------------------------------------------------------------- the claims

CLAIMS: tuple[E.Claim, ...] = (
    E.Claim("G1-r2-deepfool", "Linear models: \"the degradation of r2 actually occurs after the first round of "
            "pruning\" (DeepFool)", "Sec. 4.1, Fig. 1; Thm. 3.1",
            (E.Part("r_2 DeepFool: round 1 - dense", E.below(0.0)),),
            paper="1 vs 7: 2.0103 ± 0.0022 -> 2.0009 ± 0.0016; 10 classes: Fig. 1 only"),
    E.Claim("G1-r2-cw", "Linear models: \"the degradation of r2 actually occurs after the first round of "
            "pruning\" (C&W)", "Sec. 4.1, Fig. 1; Thm. 3.1",
            (E.Part("r_2 C&W: round 1 - dense", E.below(0.0)),),
            paper="1 vs 7: 2.3151 ± 0.0023 -> 2.3061 ± 0.0023; 10 classes: Fig. 1 only"),
    E.Claim("G1-rinf", "Linear models: \"sparse linear models are prone to be more robust in the sense of r∞\" "
            f"(round {FIRST_ROUNDS} against dense)", "Sec. 4.1, Fig. 1; Thm. 3.1",
            (E.Part(f"r_inf FGS: round {FIRST_ROUNDS} - dense", E.above(0.0)),),
            paper="rises over the first rounds (Fig. 1; figures only)"),
    *(E.Claim(f"G2a-{net}", f"{title}: \"increased r∞ and r2 values ... when continually pruning the models\" "
              f"(the first round >= {MODERATE:g} % sparse against dense)", f"Sec. 4.2, Fig. 2 {panels}",
              (E.Part(f"r_inf FGS: first round >= {MODERATE:g} % - dense", E.above(0.0)),
               E.Part(f"r_2 DeepFool: first round >= {MODERATE:g} % - dense", E.above(0.0))),
              paper="both rise up to a threshold (Fig. 2; figures only)")
      for net, title, panels in (("lenet300", "LeNet-300-100", "(a-b)"), ("lenet5", "LeNet-5", "(c-d)"))),
    *(E.Claim(f"G2b-{net}", f"{title}: \"over-sparsified models can be more difficult to resist adversarial "
              "examples\" (the sparsest round against dense)", f"Abstract; Sec. 4.2, Fig. 2 {panels}",
              (E.Part("r_inf FGS: sparsest round - dense", E.below(0.0)),
               E.Part("r_2 DeepFool: sparsest round - dense", E.below(0.0))),
              paper="both fall past a threshold (Fig. 2; figures only)")
      for net, title, panels in (("lenet300", "LeNet-300-100", "(a-b)"), ("lenet5", "LeNet-5", "(c-d)"))),
    *(E.Claim(f"G3-{net}", f"{title}: \"these extremely sparse models are more vulnerable to the DeepFool attack\", "
              "while the benign accuracy stays competitive", "Sec. 4.3, Table 2",
              (E.Part(f"r_2 DeepFool: round nearest {TABLE2_SPARSITY[net]:g} % - dense", E.below(0.0)),),
              paper=paper)
      for net, title, paper in (("lenet300", "LeNet-300-100", "1.1058 < 1.3899 at 98.21 %"),
                                ("lenet5", "LeNet-5", "1.7383 < 2.7226 at 99.07 %"))),
    *(E.Claim(f"G4a-{net}", f"{title}: \"positive correlations between the robustness and (activation) sparsity "
              "in a certain range\" (activation L1 'mid' against 'none')", "Sec. 4.2, Table 1",
              (E.Part("r_inf FGS: L1 mid - none", E.above(0.0)), E.Part("r_2 DeepFool: L1 mid - none", E.above(0.0))),
              paper=paper)
      for net, title, paper in (("lenet300", "LeNet-300-100", "r_inf 0.2862 -> 0.3993; r_2 1.3213 -> 1.5903"),
                                ("lenet5", "LeNet-5", "r_inf 0.7388 -> 0.7729; r_2 2.7831 -> 3.1688"))),
    *(E.Claim(f"G4b-{net}", f"{title}: the strongest activation penalty lowers r∞ and r2 below the unregularised "
              "net (activation L1 'high' against 'none')", "Sec. 4.2, Table 1",
              (E.Part("r_inf FGS: L1 high - none", E.below(0.0)), E.Part("r_2 DeepFool: L1 high - none", E.below(0.0))),
              paper=paper)
      for net, title, paper in (("lenet300", "LeNet-300-100", "r_inf 0.2862 -> 0.2098; r_2 1.3213 -> 1.1440"),
                                ("lenet5", "LeNet-5", "r_inf 0.7388 -> 0.6741; r_2 2.7831 -> 2.0799"))),
)


def linear_first_prune(claim: E.Claim, run: Run, attack: str) -> list[E.Judged]:
    """G1, r_2 (``attack``): the linear model's round 1 against its dense round, on each task.
    ``accuracy_matched`` keeps the verdict from following the benign accuracy (under-trained
    references gain accuracy, hence r_2, while retraining); void if the prune rate departs
    (round 1 is then another sparsity)."""
    return [compare(claim, run, d, model(run, d, "linear", 1), model(run, d, "linear", 0), (R2[attack],),
                    voids=("rate",)) for d in LINEAR_DATASETS]


def linear_rinf(claim: E.Claim, run: Run) -> list[E.Judged]:
    """G1, r_inf: the linear model's round :data:`FIRST_ROUNDS` against its dense round (a
    round fixed in advance, not the best of the first rounds), on each task; the paper's
    "until benign accuracy drops" is ``accuracy_matched``; void if the radius or prune rate departs."""
    return [compare(claim, run, d, model(run, d, "linear", FIRST_ROUNDS), model(run, d, "linear", 0), (RINF,),
                    voids=("eps", "rate")) for d in LINEAR_DATASETS]


def moderate_beats_dense(claim: E.Claim, run: Run, net: str) -> list[E.Judged]:
    """G2a: the first round at >= :data:`MODERATE` % weight sparsity against the dense round
    (fixed in advance: not the best of a range, which would favour the claim), r_inf and r_2.
    ``accuracy_matched``: under-trained references gain accuracy while retraining, and with it
    r_inf and r_2, whatever the sparsity does."""
    s = rounds(run, NETS_DATASET, net)
    at = s[s >= MODERATE]
    r = int(at.index[0]) if len(at) else None
    a = model(run, NETS_DATASET, net, r) if r is not None else Model(f"{net} round >= {MODERATE:g} %", pd.DataFrame())
    return [compare(claim, run, NETS_DATASET, a, model(run, NETS_DATASET, net, 0), (RINF, R2["deepfool"]),
                    voids=("eps",))]


def over_sparsified_falls(claim: E.Claim, run: Run, net: str) -> list[E.Judged]:
    """G2b: the sparsest round (``over_sparsified``: at >= :data:`EXTREME` %) against the dense
    round, r_inf and r_2. Measured on the paper's quantities this is automatic once the benign
    accuracy falls (the sparsest LeNets keep 22-38 % on 2 CPU cores): r_inf is at most the
    benign accuracy and r_2 counts each misclassified point as 0. The claim therefore keeps the
    paper's quantities and requires ``accuracy_matched`` (within :data:`ACCURACY_MARGIN`
    points): where the sparsest round lost its accuracy it is ``not testable here``, naming both
    accuracies. (G3 tests the same over-pruning where the accuracy is still competitive.)"""
    s = rounds(run, NETS_DATASET, net)
    if s.empty:
        a = Model(f"{net} sparsest round", pd.DataFrame())
    else:
        a = model(run, NETS_DATASET, net, int(s.index[-1]))
    return [compare(claim, run, NETS_DATASET, a, model(run, NETS_DATASET, net, 0), (RINF, R2["deepfool"]),
                    extra=(over_sparsified(a),) if not a.frame.empty else (), voids=("eps",))]


def table2(claim: E.Claim, run: Run, net: str) -> list[E.Judged]:
    """G3 (Table 2): the round whose weight sparsity is nearest the Deep-Compression model's
    (``matched_sparsity``: within 1 point) against the dense round, r_2 DeepFool; the paper's
    condition that the benign accuracy stays competitive is ``accuracy_matched`` within
    :data:`TABLE2_ACCURACY` points (a round chosen in advance by its sparsity, not the first
    round that keeps its accuracy)."""
    target = TABLE2_SPARSITY[net]
    s = rounds(run, NETS_DATASET, net)
    if s.empty:
        a, extra = Model(f"{net} round nearest {target:g} %", pd.DataFrame()), ()
    else:
        r = int((s - target).abs().idxmin())
        a = model(run, NETS_DATASET, net, r)
        extra = (E.matched_sparsity(a.sparsity, target),)
    return [compare(claim, run, NETS_DATASET, a, model(run, NETS_DATASET, net, 0), (R2["deepfool"],),
                    margin=TABLE2_ACCURACY, extra=extra)]


def activation_l1(claim: E.Claim, run: Run, net: str, strength: str) -> list[E.Judged]:
    """G4 (Table 1): ``net`` trained with activation L1 at ``strength`` against ``none``, paired
    over the splits (the same split and initialisation seed), r_inf and r_2; ``accuracy_matched``:
    a stronger penalty that costs benign accuracy lowers both by construction (G4b), and a better
    trained net raises both (G4a)."""
    a = model(run, NETS_DATASET, l1_name(net, strength), 0, f"L1 {strength}")
    b = model(run, NETS_DATASET, l1_name(net, "none"), 0, "L1 none")
    return [compare(claim, run, NETS_DATASET, a, b, (RINF, R2["deepfool"]), voids=("eps",))]


READERS: dict[str, Callable[[E.Claim, Run], list[E.Judged]]] = {
    "G1-r2-deepfool": partial(linear_first_prune, attack="deepfool"),
    "G1-r2-cw": partial(linear_first_prune, attack="cw"),
    "G1-rinf": linear_rinf,
    **{f"G2a-{n}": partial(moderate_beats_dense, net=n) for n in TABLE2_SPARSITY},
    **{f"G2b-{n}": partial(over_sparsified_falls, net=n) for n in TABLE2_SPARSITY},
    **{f"G3-{n}": partial(table2, net=n) for n in TABLE2_SPARSITY},
    **{f"G4a-{n}": partial(activation_l1, net=n, strength="mid") for n in TABLE2_SPARSITY},
    **{f"G4b-{n}": partial(activation_l1, net=n, strength="high") for n in TABLE2_SPARSITY},
}
if set(READERS) != {c.key for c in CLAIMS}:
    raise RuntimeError("study guo: one reader per claim")


def evaluate(run: Run) -> list[E.Judged]:
    """Every claim of :data:`CLAIMS` judged on ``run`` (a claim over both tasks: one row each)."""
    return [j for c in CLAIMS for j in READERS[c.key](c, run)]
