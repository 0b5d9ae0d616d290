"""The prescriptive approach of Section 4.5 and its evaluation in Table 6.

Each observation is a data set ``i`` (Section 4.5, the three bullets):

* features ``x_i`` in R^8 (:func:`features`): number of features p, number of classes k,
  and six results of the nominal DL model: natural accuracy, adversarial accuracy at
  rho = 0.001, 0.01 and 0.1, stability and worst-case accuracy;
* prescriptions ``z_i`` in the eight methods of Table 1;
* outcomes ``y_i`` in R^8 (:func:`outcomes`): the improvement of each method over DL on
  the user's objective: one of the four metrics (natural accuracy, adversarial accuracy
  at ``aggregate.adversarial_eps``, stability, sparsity), their equally weighted mean
  (``mean``) or a user-weighted mix (``weighted``, weights ``analysis.policy.weights``).

Every outcome is observed for every method (all eight methods run on every data set),
so the policy tree is fitted directly on the reward matrix ``Gamma = y`` (no
counterfactual estimation is needed). Following the paper: a few data sets are held out
(:func:`holdout_split`), the tree depth and minimum leaf size ("depth and complexity")
are cross-validated over the training data sets (:func:`cross_validate`), the exact
optimal tree (:func:`holistic.studies.hdl.policy.tree.optimal_tree`) is fitted on all training
data sets with the chosen values, and Table 6 reports, on each held-out data set, the
objective value of DL, of the prescribed method and of the best method
(:func:`table6`). econml's greedy policy tree with the same depth and leaf size is
reported alongside (row ``Greedy``; in-sample comparison in ``comparison.csv``). The
output files are written, and the stage run, by :mod:`holistic.studies.hdl.policy.outputs`.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from ....errors import DataError, ParamsError
from ....records.evals import load_evals
from ....render.tables import ordered
from ....selection.select import METRICS, TIE_DECIMALS, select_all, wide
from ..methods import BASELINE, METHODS
from .greedy import greedy_tree
from .tree import Tree, optimal_tree, policy_reward, prescriptions, total_reward

#: Radii of the three DL adversarial-accuracy features.
FEATURE_RHOS: tuple[float, ...] = (0.001, 0.01, 0.1)

#: Radius of the DL worst-case accuracy feature (see :func:`features`).
WORST_CASE_RHO = 0.1

#: The eight features of Section 4.5, in the paper's order (column names).
FEATURES: tuple[str, ...] = ("p", "k", "dl_nat_acc", "dl_adv_acc_0.001", "dl_adv_acc_0.01",
                             "dl_adv_acc_0.1", "dl_stability", "dl_worst_case_acc")

#: Readable names of the features, for the figures.
FEATURE_LABELS: dict[str, str] = {
    "p": "Number of features",
    "k": "Number of classes",
    "dl_nat_acc": "DL accuracy",
    "dl_adv_acc_0.001": "DL adv. accuracy (\u03c1 = 0.001)",
    "dl_adv_acc_0.01": "DL adv. accuracy (\u03c1 = 0.01)",
    "dl_adv_acc_0.1": "DL adv. accuracy (\u03c1 = 0.1)",
    "dl_stability": "DL stability",
    "dl_worst_case_acc": "DL worst-case accuracy",
}

#: The objectives a user can choose (``analysis.policy.objectives``).
OBJECTIVES: tuple[str, ...] = (*METRICS, "mean", "weighted")

#: Rows of Table 6 per objective (``Greedy``: econml's greedy tree, not in the paper).
TABLE6_ROWS: tuple[str, ...] = (BASELINE, "Prescribed", "Optimal", "Greedy")



# --------------------------------------------------------------------------- (a) features

def features(eval_paths: Sequence[str | os.PathLike]) -> pd.DataFrame:
    """The eight features of Section 4.5 per data set (index ``dataset``, columns
    :data:`FEATURES`), all from the nominal DL model's eval files:

    * ``p``, ``k``: number of features and of classes (the eval files' ``info``);
    * ``dl_nat_acc``: DL natural test accuracy (Table A1 value);
    * ``dl_adv_acc_<rho>`` for rho in :data:`FEATURE_RHOS`: DL adversarial (PGD) test
      accuracy at rho of the configuration chosen on the validation sets for
      adversarial accuracy at that rho (Table A2 value if rho were the table's rho);
    * ``dl_stability``: DL stability, the worst split's natural test accuracy of the
      configuration chosen on the worst validation accuracy (Table A3 value);
    * ``dl_worst_case_acc``: the paper names "nominal DL worst case accuracy" without
      defining it beyond the name. Since natural worst-case accuracy over splits is
      already the stability feature, we read it as the worst case over both the
      perturbation and the split: the lowest per-split adversarial test accuracy at
      rho = :data:`WORST_CASE_RHO` of the DL configuration chosen for adversarial
      accuracy at that rho (so ``dl_worst_case_acc <= dl_adv_acc_0.1``).

    All values in percent. Raises DataError naming the file and field when a radius in
    :data:`FEATURE_RHOS` is missing from an eval file, and naming the data sets that
    have no DL eval file.
    """
    paths = [str(p) for p in eval_paths]
    cols: dict[str, pd.Series] = {}
    for rho in FEATURE_RHOS:
        models, info = load_evals(paths, rho)
        dl = models[models["method"] == BASELINE]
        missing = sorted(set(info.index) - set(dl["dataset"]))
        if missing:
            raise DataError(f"no DL eval file for data set(s) {', '.join(missing)}: the policy "
                            "features of Section 4.5 are results of the nominal DL model")
        sel = select_all(dl)
        adv = _selected(sel, "adversarial_accuracy")
        if not cols:
            cols["p"] = info["p"].astype(float)
            cols["k"] = info["k"].astype(float)
            cols["dl_nat_acc"] = _selected(sel, "natural_accuracy")["test"]
        cols[f"dl_adv_acc_{rho:g}"] = adv["test"]
        if rho == WORST_CASE_RHO:
            cols["dl_stability"] = _selected(sel, "stability")["test"]
            cols["dl_worst_case_acc"] = worst_split_adversarial(dl, adv["config_id"])
    out = pd.DataFrame(cols).reindex(columns=list(FEATURES)).astype(float)
    return out.rename_axis("dataset").sort_index()


def _selected(selected: pd.DataFrame, metric: str) -> pd.DataFrame:
    return selected[selected["metric"] == metric].set_index("dataset")


def worst_split_adversarial(models: pd.DataFrame, config_ids: pd.Series) -> pd.Series:
    """Per data set, the lowest per-split ``adv_test`` of the configuration
    ``config_ids[dataset]`` among ``models`` (rows of one method)."""
    chosen = models[models["config_id"].to_numpy() ==
                    models["dataset"].map(config_ids).to_numpy()]
    return chosen.groupby("dataset")["adv_test"].min()


# --------------------------------------------------------------------------- (b) outcomes

def normalised_weights(weights: Mapping[str, float]) -> dict[str, float]:
    """The ``weighted`` objective's weights, one per metric, scaled to sum to 1.
    ParamsError naming ``analysis.policy.weights`` if a weight is missing, negative or
    not finite, or if all are zero."""
    field = "analysis.policy.weights"
    if not isinstance(weights, Mapping):
        raise ParamsError(f"{field}: expected a mapping metric -> weight, got {weights!r}")
    w = {}
    for m in METRICS:
        v = weights.get(m)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
            raise ParamsError(f"{field}.{m}: must be a finite number >= 0, got {v!r}")
        w[m] = float(v)
    extra = sorted(set(weights) - set(METRICS))
    if extra:
        raise ParamsError(f"{field}: unknown metric(s) {', '.join(extra)}; "
                          f"expected {', '.join(METRICS)}")
    total = sum(w.values())
    if total <= 0:
        raise ParamsError(f"{field}: all weights are zero; the weighted objective needs at "
                          "least one positive weight")
    return {m: v / total for m, v in w.items()}


def metric_values(selected: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Test values of one metric (index dataset, columns the methods in Table 1 order),
    complete: DataError if DL is absent or a method lacks a value on a data set."""
    tab = wide(selected, metric)
    tab = tab[ordered(tab.columns, METHODS)]
    if BASELINE not in tab.columns:
        raise DataError(f"no DL results in the selection ({metric}): the outcomes of "
                        "Section 4.5 are improvements over DL")
    holes = tab.isna().stack()
    holes = holes[holes]
    if len(holes):
        pairs = ", ".join(f"{d}/{m}" for d, m in holes.index[:5])
        raise DataError(f"no {metric} result for data set/method {pairs}"
                        f"{' ...' if len(holes) > 5 else ''}: every method must have run on "
                        "every data set used by the policy trees")
    return tab


def objective_values(selected: pd.DataFrame, objective: str,
                     weights: Mapping[str, float] | None = None) -> pd.DataFrame:
    """The objective's value per data set and method, in the metric's own units (%):
    a metric's test value; for ``mean`` the mean of the four metrics; for ``weighted``
    the mix with :func:`normalised_weights`. These are the numbers of Table 6."""
    if objective in METRICS:
        return metric_values(selected, objective)
    if objective == "mean":
        tabs = [metric_values(selected, m) for m in METRICS]
        return sum(tabs[1:], tabs[0]) / len(tabs)
    if objective == "weighted":
        w = normalised_weights(weights if weights is not None else {})
        tabs = [w[m] * metric_values(selected, m) for m in METRICS]
        return sum(tabs[1:], tabs[0])
    raise ParamsError(f"analysis.policy.objectives: unknown objective {objective!r}; "
                      f"expected one of {', '.join(OBJECTIVES)}")


def outcomes(selected: pd.DataFrame, objective: str,
             weights: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Outcomes ``y_i`` of Section 4.5: improvement of each method over DL on the
    objective (index dataset, columns methods; the DL column is 0). For ``mean`` this is
    the equally weighted mean of the four metrics' improvements, for ``weighted`` the
    normalised mix of them (both equal the improvement of the mean / mix of the values)."""
    values = objective_values(selected, objective, weights)
    return values.sub(values[BASELINE], axis=0)


# --------------------------------------------------------------------------- (c) holdout

def holdout_split(datasets: Sequence[str], holdout: Sequence[str], n_holdout: int,
                  seed: int) -> tuple[list[str], list[str]]:
    """Training and held-out data sets. The data sets of ``holdout`` present in
    ``datasets`` are held out (in the order of ``holdout``); if none is present, a seeded
    (``numpy.random.default_rng(seed)``) choice of ``n_holdout`` data sets (sorted by
    name). At least two training data sets must remain, else ParamsError naming
    ``analysis.policy.holdout`` / ``n_holdout``. Training data sets sorted by name."""
    names = sorted(set(datasets))
    present = [d for d in holdout if d in set(names)]
    if present:
        held = present
        field = "analysis.policy.holdout"
    else:
        if isinstance(n_holdout, bool) or not isinstance(n_holdout, int) or n_holdout < 0:
            raise ParamsError(f"analysis.policy.n_holdout: must be an integer >= 0, got "
                              f"{n_holdout!r}")
        field = "analysis.policy.n_holdout"
        if len(names) - n_holdout < 2:
            raise ParamsError(f"{field}: holding out {n_holdout} of {len(names)} data sets "
                              "leaves fewer than 2 to train the policy trees on")
        pick = np.random.default_rng(seed).choice(len(names), size=n_holdout, replace=False)
        held = sorted(names[i] for i in pick)
    train = [d for d in names if d not in set(held)]
    if len(train) < 2:
        raise ParamsError(f"{field}: holding out {', '.join(held)} leaves {len(train)} of "
                          f"{len(names)} data sets to train the policy trees on; need >= 2")
    return train, held


# --------------------------------------------------------------------------- (d) CV

def fold_indices(n: int, n_folds: int, seed: int) -> list[np.ndarray]:
    """``n_folds`` folds of a seeded random permutation of ``0..n-1`` (sizes differ by
    at most one; ``numpy.random.default_rng(seed)``)."""
    perm = np.random.default_rng(seed).permutation(n)
    return [np.sort(f) for f in np.array_split(perm, n_folds)]


def cross_validate(X, Gamma, depths: Sequence[int], min_leaf_sizes: Sequence[int],
                   cv_folds: int, seed: int) -> pd.DataFrame:
    """K-fold cross-validation over observations (data sets), ``K = min(cv_folds, n)``:
    for each (depth, min_leaf) the exact tree is fitted on K-1 folds and scored on the
    held-out fold; ``reward`` is the mean out-of-fold reward per observation. Rows in
    increasing depth, then min_leaf."""
    X, Gamma = np.asarray(X, dtype=float), np.asarray(Gamma, dtype=float)
    n = len(X)
    folds = fold_indices(n, min(int(cv_folds), n), seed)
    rows = []
    for depth in sorted(depths):
        for min_leaf in sorted(min_leaf_sizes):
            total = 0.0
            for test in folds:
                train = np.setdiff1d(np.arange(n), test)
                tree = optimal_tree(X[train], Gamma[train], depth, min_leaf)
                total += policy_reward(tree, X[test], Gamma[test])
            rows.append({"depth": int(depth), "min_leaf": int(min_leaf), "reward": total / n})
    return pd.DataFrame(rows, columns=["depth", "min_leaf", "reward"])


def choose(cv: pd.DataFrame) -> tuple[int, int, float]:
    """(depth, min_leaf, reward) with the best CV reward; ties (at ``TIE_DECIMALS``)
    go to the smaller depth, then the larger minimum leaf size (the simpler tree)."""
    key = cv.assign(_r=-cv["reward"].round(TIE_DECIMALS), _m=-cv["min_leaf"])
    best = key.sort_values(["_r", "depth", "_m"], kind="mergesort").iloc[0]
    return int(best["depth"]), int(best["min_leaf"]), float(best["reward"])


# --------------------------------------------------------------------------- (e) fit, Table 6

@dataclass(frozen=True)
class ObjectiveResult:
    """Everything fitted and evaluated for one objective."""

    objective: str
    cv: pd.DataFrame             # depth, min_leaf, reward
    depth: int
    min_leaf: int
    cv_reward: float
    tree: Tree                   # exact optimal tree on the training data sets
    greedy: Tree                 # econml's greedy tree, same depth and min_leaf
    exact_reward: float          # in-sample total reward (improvement over DL, summed)
    greedy_reward: float
    prescribed: dict             # held-out data set -> method (exact tree)
    greedy_prescribed: dict      # held-out data set -> method (greedy tree)
    table: pd.DataFrame          # Table 6 block: index TABLE6_ROWS, columns held-out sets


@dataclass(frozen=True)
class PolicyResult:
    features: pd.DataFrame
    methods: list
    train: list
    held: list
    results: list                # ObjectiveResult per objective, in params order
    adversarial_eps: float | None = None   # rho of the adversarial_accuracy objective


def table6(values: pd.DataFrame, held: Sequence[str], prescribed: Mapping[str, str],
           greedy_prescribed: Mapping[str, str]) -> pd.DataFrame:
    """One objective's block of Table 6: for each held-out data set the objective value
    (``values``: :func:`objective_values`) of DL, of the prescribed method, of the best
    method (``Optimal``) and of the greedy tree's prescription."""
    cols = {}
    for d in held:
        v = values.loc[d]
        cols[d] = [float(v[BASELINE]), float(v[prescribed[d]]), float(v.max()),
                   float(v[greedy_prescribed[d]])]
    return pd.DataFrame(cols, index=list(TABLE6_ROWS), columns=list(held))


def fit_objective(objective: str, feats: pd.DataFrame, selected: pd.DataFrame,
                  train: Sequence[str], held: Sequence[str], policy: Mapping) -> ObjectiveResult:
    """Cross-validate, fit the exact and the greedy tree on ``train``, evaluate on ``held``."""
    values = objective_values(selected, objective, policy.get("weights"))
    gamma = values.sub(values[BASELINE], axis=0)
    methods = list(gamma.columns)
    X = feats.loc[list(train), list(FEATURES)].to_numpy(float)
    G = gamma.loc[list(train)].to_numpy(float)
    cv = cross_validate(X, G, policy["depths"], policy["min_leaf_sizes"], policy["cv_folds"],
                        policy["seed"])
    depth, min_leaf, cv_reward = choose(cv)
    tree = optimal_tree(X, G, depth, min_leaf)
    greedy = greedy_tree(X, G, depth, min_leaf, seed=policy["seed"])
    Xh = feats.loc[list(held), list(FEATURES)].to_numpy(float).reshape(len(held), len(FEATURES))
    prescribed = {d: methods[a] for d, a in zip(held, prescriptions(tree, Xh))}
    greedy_prescribed = {d: methods[a] for d, a in zip(held, prescriptions(greedy, Xh))}
    return ObjectiveResult(
        objective=objective, cv=cv, depth=depth, min_leaf=min_leaf, cv_reward=cv_reward,
        tree=tree, greedy=greedy, exact_reward=total_reward(tree),
        greedy_reward=total_reward(greedy), prescribed=prescribed,
        greedy_prescribed=greedy_prescribed,
        table=table6(values, held, prescribed, greedy_prescribed))


def analyse(feats: pd.DataFrame, selected: pd.DataFrame, policy: Mapping) -> PolicyResult:
    """The whole of Section 4.5 for the objectives ``policy["objectives"]``
    (``policy`` = the ``analysis.policy`` parameters)."""
    have = set(selected["dataset"])
    if set(feats.index) != have:
        odd = sorted(set(feats.index) ^ have)
        raise DataError(f"features and selection cover different data sets: {', '.join(odd)}")
    train, held = holdout_split(sorted(have), policy["holdout"], policy["n_holdout"],
                                policy["seed"])
    results = [fit_objective(o, feats, selected, train, held, policy)
               for o in policy["objectives"]]
    methods = ordered(selected["method"].unique(), METHODS)
    return PolicyResult(features=feats, methods=methods, train=train, held=held,
                        results=results)


__all__ = ["FEATURE_RHOS", "WORST_CASE_RHO", "FEATURES", "FEATURE_LABELS", "OBJECTIVES",
           "TABLE6_ROWS", "features", "worst_split_adversarial", "normalised_weights",
           "metric_values", "objective_values", "outcomes", "holdout_split", "fold_indices",
           "cross_validate", "choose", "ObjectiveResult", "PolicyResult", "table6",
           "fit_objective", "analyse"]
