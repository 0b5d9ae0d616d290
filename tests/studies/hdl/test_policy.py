"""Prescriptive policy trees (Section 4.5): exact search, greedy tree, data, CV, Table 6, stage."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import write_evals

from holistic.selection.select import METRICS
from holistic.studies.hdl.methods import METHODS
from holistic.errors import DataError, ParamsError
from holistic.studies.hdl.policy import prescribe
from holistic.studies.hdl.policy.greedy import greedy_estimator, greedy_tree
from holistic.studies.hdl.policy.tree import (Leaf, Split, brute_force, leaves, optimal_tree, policy_reward,
                                  prescriptions, to_text, total_reward, tree_depth)

ROOT = Path(__file__).resolve().parents[3]


def instance(seed, n_range=(6, 11), d_range=(2, 4), T=3):
    """A random (X, Gamma) with a discrete first feature (ties) and, for some seeds,
    two identical treatment columns (ties between actions)."""
    r = np.random.default_rng(seed)
    n, d = int(r.integers(*n_range)), int(r.integers(*d_range))
    X = r.normal(size=(n, d))
    X[:, 0] = r.integers(0, 3, n)
    G = r.normal(size=(n, T))
    if seed % 4 == 0:
        G[:, 2] = G[:, 1]
    return X, G


def leaf_of(tree, x):
    node = tree
    while isinstance(node, Split):
        node = node.left if x[node.feature] <= node.threshold else node.right
    return node


# --------------------------------------------------------------------------- exact search

@pytest.mark.parametrize("seed", range(60))
def test_exact_equals_brute_force(seed):
    X, G = instance(seed)
    r = np.random.default_rng(1000 + seed)
    depth, min_leaf = int(r.integers(0, 3)), int(r.integers(1, 3))
    ref_reward, ref_tree = brute_force(X, G, depth, min_leaf)
    tree = optimal_tree(X, G, depth, min_leaf)
    assert total_reward(tree) == pytest.approx(ref_reward, rel=1e-12, abs=1e-12)
    assert tree == ref_tree          # same tie-breaking: leaf, feature, threshold
    assert tree_depth(tree) <= depth


@pytest.mark.parametrize("seed", range(4))
def test_exact_equals_brute_force_depth3(seed):
    X, G = instance(seed, n_range=(6, 9), d_range=(2, 3))
    ref_reward, ref_tree = brute_force(X, G, 3, 1)
    tree = optimal_tree(X, G, 3, 1)
    assert total_reward(tree) == pytest.approx(ref_reward, rel=1e-12, abs=1e-12)
    assert tree == ref_tree


@pytest.mark.parametrize("seed", range(20))
def test_min_leaf_and_predict_consistent(seed):
    r = np.random.default_rng(seed)
    n = int(r.integers(12, 30))
    X = np.round(r.normal(size=(n, 3)), 1)           # many ties
    G = r.normal(size=(n, 4))
    depth, min_leaf = int(r.integers(1, 4)), int(r.integers(1, 5))
    tree = optimal_tree(X, G, depth, min_leaf)
    for leaf in leaves(tree):
        assert leaf.n >= min_leaf
    # each observation is routed to a leaf whose count and reward it makes up
    routed = [leaf_of(tree, x) for x in X]
    for leaf in leaves(tree):
        mine = [i for i, lf in enumerate(routed) if lf is leaf]
        assert len(mine) == leaf.n
        assert G[mine, leaf.action].sum() == pytest.approx(leaf.reward)
        assert leaf.action == int(np.argmax(G[mine].sum(axis=0)))
    assert policy_reward(tree, X, G) == pytest.approx(total_reward(tree))
    assert (prescriptions(tree, X) == [lf.action for lf in routed]).all()


def test_single_leaf_and_no_admissible_split():
    X = np.array([[0.0], [1.0], [2.0]])
    G = np.array([[1.0, 0.0], [0.0, 3.0], [1.0, 0.0]])
    assert optimal_tree(X, G, 0, 1) == Leaf(action=1, n=3, reward=3.0)
    assert optimal_tree(X, G, 2, 2) == Leaf(action=1, n=3, reward=3.0)   # 3 < 2 * min_leaf
    # splits at 0.5 and 1.5 both give 4: the lower threshold wins
    assert optimal_tree(X, G, 1, 1) == Split(0, 0.5, Leaf(0, 1, 1.0), Leaf(1, 2, 3.0))
    # equal columns: ties go to the lowest action; a useless split is never made
    assert optimal_tree(X, np.ones((3, 2)), 2, 1) == Leaf(action=0, n=3, reward=3.0)
    # constant feature: nothing to split on
    assert optimal_tree(np.zeros((3, 1)), G, 2, 1) == Leaf(action=1, n=3, reward=3.0)


def test_planted_depth2_tree_recovered():
    r = np.random.default_rng(7)
    X = r.uniform(0, 1, size=(60, 3))

    def planted(x):
        if x[0] <= 0.5:
            return 0 if x[1] <= 0.3 else 1
        return 2 if x[2] <= 0.7 else 1

    a = np.array([planted(x) for x in X])
    G = np.zeros((60, 3))
    G[np.arange(60), a] = 1.0
    G += r.normal(scale=0.01, size=G.shape)
    tree = optimal_tree(X, G, 2, 1)
    assert isinstance(tree, Split) and tree.feature == 0
    assert tree.left.feature == 1 and tree.right.feature == 2
    assert (tree.left.left.action, tree.left.right.action) == (0, 1)
    assert (tree.right.left.action, tree.right.right.action) == (2, 1)
    for node, cut in ((tree, 0.5), (tree.left, 0.3), (tree.right, 0.7)):
        assert abs(node.threshold - cut) < 0.1
    assert (prescriptions(tree, X) == a).all()
    fresh = r.uniform(0, 1, size=(200, 3))
    keep = (np.abs(fresh[:, 0] - 0.5) > 0.1) & (np.abs(fresh[:, 1] - 0.3) > 0.1) \
        & (np.abs(fresh[:, 2] - 0.7) > 0.1)
    assert (prescriptions(tree, fresh[keep]) == [planted(x) for x in fresh[keep]]).all()


def test_to_text():
    tree = Split(1, 2.5, Leaf(0, 3, 1.0), Split(0, 7.0, Leaf(2, 1, 0.5), Leaf(1, 2, 2.0)))
    assert to_text(tree, ["a", "b"], ["DL", "HDL", "Stable"]) == (
        "(1) split: b <= 2.5\n"
        "  (2) * action: DL  [n = 3, reward = 1.0000]\n"
        "  (3) split: a <= 7\n"
        "    (6) * action: Stable  [n = 1, reward = 0.5000]\n"
        "    (7) * action: HDL  [n = 2, reward = 2.0000]\n")


# --------------------------------------------------------------------------- greedy

@pytest.mark.parametrize("seed", range(10))
def test_exact_never_worse_than_greedy(seed):
    r = np.random.default_rng(seed)
    n = int(r.integers(15, 40))
    X = r.normal(size=(n, 3))
    X[:, 0] = r.integers(0, 4, n)
    G = r.normal(size=(n, 4))
    for depth in (1, 2, 3):
        for min_leaf in (1, 3):
            g = greedy_tree(X, G, depth, min_leaf, seed=0)
            e = optimal_tree(X, G, depth, min_leaf)
            assert total_reward(e) >= total_reward(g) - 1e-9
            # the converted tree prescribes exactly what econml prescribes
            est = greedy_estimator(depth, min_leaf, 0).fit(X, G)
            Xt = r.normal(size=(30, 3))
            assert (prescriptions(g, X) == est.predict(X)).all()
            assert (prescriptions(g, Xt) == est.predict(Xt)).all()
            assert all(leaf.n >= min_leaf for leaf in leaves(g))
            assert policy_reward(g, X, G) == pytest.approx(total_reward(g))
    assert greedy_tree(X, G, 2, 1, seed=0) == greedy_tree(X, G, 2, 1, seed=0)


def test_exact_beats_greedy_on_xor_with_decoy():
    # XOR of x0, x1 on a 4 x 4 grid: no single split on x0 or x1 helps, so the greedy
    # tree takes the decoy x2 (a one-step gain) and cannot be perfect at depth 2.
    grid = np.array([0.2, 0.4, 0.6, 0.8])
    x0, x1 = np.meshgrid(grid, grid, indexing="ij")
    x0, x1 = x0.ravel(), x1.ravel()
    a = ((x0 > 0.5) ^ (x1 > 0.5)).astype(int)
    # decoy: low for 6 of the 8 action-0 points and 2 of the action-1 points
    x2 = np.empty(16)
    zeros, ones = np.flatnonzero(a == 0), np.flatnonzero(a == 1)
    x2[zeros] = [0, 1, 2, 3, 4, 5, 10, 11]
    x2[ones] = [6, 12, 7, 13, 14, 15, 8, 9]
    X = np.column_stack([x0, x1, x2])
    G = np.zeros((16, 2))
    G[np.arange(16), a] = 1.0
    exact = optimal_tree(X, G, 2, 1)
    greedy = greedy_tree(X, G, 2, 1, seed=0)
    assert total_reward(exact) == 16.0
    assert greedy.feature == 2
    assert total_reward(greedy) < 16.0


# --------------------------------------------------------------------------- data

def model(cid, split, nv, nt, av, at, sp=0.0, low=None):
    """One eval entry (tidy rows); adversarial accuracy av/at at rho 0.1 (``low``: dict of
    the other radii, default nt - 1 and nt - 2)."""
    low = low or {"0.001": nt - 1, "0.01": nt - 2}

    def row(metric, attack, eps, part, value):
        return {"metric": metric, "attack": attack, "norm": None if attack == "none" else "inf",
                "eps": eps, "part": part, "value": value}

    adv = {"val": {"0.001": nv - 1, "0.01": nv - 2, "0.1": av}, "test": dict(low, **{"0.1": at})}
    rows = [row("accuracy", "none", None, "val", nv), row("accuracy", "none", None, "test", nt)]
    rows += [row("accuracy", "pgd", float(eps), part, v)
             for part, per in adv.items() for eps, v in per.items()]
    rows.append(row("sparsity", "none", None, "model", sp))
    return {"config_id": cid, "config": {"lr": 0.01, "id": cid}, "split": split, "rows": rows}


def evaldict(dataset, method, models, p=4, k=3):
    return {"dataset": dataset, "method": method,
            "info": {"n": 100, "p": p, "k": k, "paper_name": dataset},
            "adversarial": "pgd", "eps": [0.001, 0.01, 0.1], "models": models}


def dl_eval(dataset="ds-a"):
    # config 0: better mean natural val, config 1: better adversarial val and worst val
    return evaldict(dataset, "DL", [
        model(0, 0, 90, 80, 10, 20), model(0, 1, 92, 84, 12, 30),
        model(1, 0, 85, 70, 40, 50), model(1, 1, 88, 76, 42, 44),
    ], p=7, k=2)


def test_features_from_dl_evals(tmp_path):
    paths = write_evals(tmp_path, [dl_eval(), evaldict("ds-a", "HDL", [model(0, 0, 2, 2, 2, 2)],
                                                       p=7, k=2)])
    f = prescribe.features(paths)
    assert list(f.columns) == list(prescribe.FEATURES)
    row = f.loc["ds-a"]
    assert (row["p"], row["k"]) == (7, 2)
    assert row["dl_nat_acc"] == pytest.approx(82)              # config 0: mean(80, 84)
    assert row["dl_adv_acc_0.1"] == pytest.approx(47)          # config 1: mean(50, 44)
    assert row["dl_adv_acc_0.01"] == pytest.approx(80)         # config 0 (val 89 vs 84.5)
    assert row["dl_adv_acc_0.001"] == pytest.approx(81)
    assert row["dl_stability"] == pytest.approx(80)            # config 0: worst val 90 > 85
    assert row["dl_worst_case_acc"] == pytest.approx(44)       # config 1, worst split at 0.1


def test_features_missing_rho_names_file_and_field(tmp_path):
    ev = dl_eval()
    for m in ev["models"]:
        m["rows"] = [r for r in m["rows"] if (r["eps"], r["part"]) != (0.001, "test")]
    paths = write_evals(tmp_path, [ev])
    with pytest.raises(DataError, match=r"DL\.json.*rows.*eps 0\.001, part .test."):
        prescribe.features(paths)


def test_features_need_dl(tmp_path):
    paths = write_evals(tmp_path, [dl_eval("ds-a"),
                                   evaldict("ds-b", "HDL", [model(0, 0, 2, 2, 2, 2)])])
    with pytest.raises(DataError, match="no DL eval file for data set.*ds-b"):
        prescribe.features(paths)


def selection(values):
    """A selection frame from {metric: {dataset: {method: test value}}}."""
    rows = [{"dataset": d, "method": m, "metric": metric, "config_id": 0, "config": "{}",
             "validation": 0.0, "test": v}
            for metric, per in values.items() for d, mv in per.items() for m, v in mv.items()]
    return pd.DataFrame(rows)


def toy_selection():
    vals = {}
    for i, metric in enumerate(METRICS):
        vals[metric] = {d: {m: 10.0 * i + j + 0.5 * k for j, m in enumerate(METHODS)}
                        for k, d in enumerate(["ds-a", "ds-b"])}
    vals["sparsity"]["ds-a"]["DL"] = 0.0
    return selection(vals)


def test_outcomes_improvement_over_dl():
    sel = toy_selection()
    nat = prescribe.outcomes(sel, "natural_accuracy")
    assert list(nat.columns) == list(METHODS)
    assert (nat["DL"] == 0).all()
    assert nat.loc["ds-a", "HDL"] == pytest.approx(7.0)
    spars = prescribe.outcomes(sel, "sparsity")
    assert spars.loc["ds-a", "Robust"] == pytest.approx(31.0)   # 30 + 1 - 0
    each = [prescribe.outcomes(sel, m) for m in METRICS]
    mean = prescribe.outcomes(sel, "mean")
    pd.testing.assert_frame_equal(mean, sum(each[1:], each[0]) / 4)
    w = {"natural_accuracy": 1, "adversarial_accuracy": 3, "stability": 0, "sparsity": 0}
    weighted = prescribe.outcomes(sel, "weighted", w)
    pd.testing.assert_frame_equal(weighted, 0.25 * each[0] + 0.75 * each[1])
    values = prescribe.objective_values(sel, "mean")
    assert values.loc["ds-a", "DL"] == pytest.approx((0 + 10 + 20 + 0) / 4)


def test_outcomes_errors():
    sel = toy_selection()
    zero = dict.fromkeys(METRICS, 0.0)
    with pytest.raises(ParamsError, match=r"analysis\.policy\.weights"):
        prescribe.outcomes(sel, "weighted", zero)
    hole = sel.drop(sel.index[(sel.dataset == "ds-b") & (sel.method == "HDL")
                              & (sel.metric == "stability")])
    with pytest.raises(DataError, match="ds-b/HDL"):
        prescribe.outcomes(hole, "mean")
    with pytest.raises(DataError, match="no DL"):
        prescribe.outcomes(sel[sel.method != "DL"], "natural_accuracy")


# --------------------------------------------------------------------------- holdout, CV

def test_holdout_split():
    names = ["d1", "d2", "d3", "d4", "d5"]
    assert prescribe.holdout_split(names, ["d4", "x", "d2"], 3, 0) == (["d1", "d3", "d5"],
                                                                       ["d4", "d2"])
    train, held = prescribe.holdout_split(names, ["x", "y"], 2, 0)
    assert len(held) == 2 and sorted(train + held) == names and held == sorted(held)
    assert prescribe.holdout_split(names, ["x"], 2, 0) == (train, held)      # seeded
    assert prescribe.holdout_split(names, [], 0, 0) == (names, [])
    assert prescribe.holdout_split(names[:3], [], 1, 5)[1][0] in names[:3]
    with pytest.raises(ParamsError, match=r"analysis\.policy\.n_holdout"):
        prescribe.holdout_split(names[:3], [], 2, 0)
    with pytest.raises(ParamsError, match=r"analysis\.policy\.holdout"):
        prescribe.holdout_split(names[:3], ["d1", "d2"], 1, 0)


def test_cross_validation_deterministic_and_tie_rule():
    r = np.random.default_rng(3)
    X = r.uniform(size=(24, 3))
    G = np.column_stack([X[:, 0] > 0.5, X[:, 0] <= 0.5, np.zeros(24)]).astype(float)
    cv1 = prescribe.cross_validate(X, G, [2, 0, 1], [3, 1], 5, seed=1)
    cv2 = prescribe.cross_validate(X, G, [2, 0, 1], [3, 1], 5, seed=1)
    pd.testing.assert_frame_equal(cv1, cv2)
    assert list(zip(cv1.depth, cv1.min_leaf)) == [(0, 1), (0, 3), (1, 1), (1, 3), (2, 1), (2, 3)]
    # depth >= 1 separates the two actions perfectly (reward 1 per observation out of fold
    # up to the split position); the tie rule then prefers depth 1 and the larger leaf
    depth, min_leaf, reward = prescribe.choose(cv1)
    assert (depth, min_leaf) == (1, 3)
    assert reward == cv1.reward.max()
    ties = pd.DataFrame({"depth": [1, 1, 2, 3], "min_leaf": [1, 5, 5, 1],
                         "reward": [2.0, 2.0 + 1e-12, 2.0, 1.0]})
    assert prescribe.choose(ties) == (1, 5, 2.0 + 1e-12)
    folds = prescribe.fold_indices(10, 3, 0)
    assert sorted(np.concatenate(folds)) == list(range(10))
    assert [len(f) for f in folds] == [4, 3, 3]


# --------------------------------------------------------------------------- stage

def stage_evals(root):
    """4 data sets x 8 methods, seeded values."""
    r = np.random.default_rng(11)
    evals = []
    for i, d in enumerate(["ds-a", "ds-b", "ds-c", "ds-d"]):
        for j, m in enumerate(METHODS):
            models = []
            for cid in range(2):
                for split in range(2):
                    nv, nt = r.uniform(60, 99, size=2)
                    av, at = r.uniform(0, 60, size=2)
                    sp = 0.0 if m in ("DL", "Robust", "Stable", "Stable+Robust") \
                        else float(r.uniform(10, 90))
                    models.append(model(cid, split, nv, nt, av, at, sp))
            evals.append(evaldict(d, m, models, p=3 + 5 * i, k=2 + i % 3))
    return [str(p) for p in write_evals(root, evals)]


def run_stage(tmp_path, paths, out):
    from importlib import util
    spec = util.spec_from_file_location("policy_stage", ROOT / "stages" / "policy.py")
    mod = util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    override = tmp_path / "override.yaml"
    override.write_text(yaml.safe_dump({"analysis": {"policy": {
        "depths": [0, 1, 2], "min_leaf_sizes": [1, 2], "cv_folds": 5, "n_holdout": 1,
        "holdout": ["not-there"], "seed": 0}}}))
    mod.main(["--params", str(ROOT / "params.yaml"), "--params", str(override),
              "--evals", *paths, "--out", str(out)])


def test_stage_outputs_layout_and_bitwise_rerun(tmp_path):
    paths = stage_evals(tmp_path)
    run_stage(tmp_path, paths, tmp_path / "a")
    run_stage(tmp_path, paths, tmp_path / "b")
    objectives = yaml.safe_load((ROOT / "params.yaml").read_text())["analysis"]["policy"][
        "objectives"]
    names = ["trees.txt", "cv.csv", "table6.csv", "table6.md", "comparison.csv",
             "features.csv"] + [f"tree_{o}.png" for o in objectives]
    for name in names:
        a, b = tmp_path / "a" / name, tmp_path / "b" / name
        assert a.read_bytes() == b.read_bytes(), name
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == sorted(names)
    t6 = pd.read_csv(tmp_path / "a" / "table6.csv")
    held = [c for c in t6.columns if c not in ("objective", "row")]
    assert len(held) == 1
    assert list(t6["row"][:4]) == list(prescribe.TABLE6_ROWS)
    assert list(dict.fromkeys(t6["objective"])) == objectives
    for _, block in t6.groupby("objective"):
        v = block.set_index("row")[held[0]]
        assert v["Optimal"] >= max(v["DL"], v["Prescribed"], v["Greedy"])
    comp = pd.read_csv(tmp_path / "a" / "comparison.csv")
    assert (comp.exact_reward >= comp.greedy_reward - 1e-6).all()
    cv = pd.read_csv(tmp_path / "a" / "cv.csv")
    assert len(cv) == len(objectives) * 3 * 2
    assert (cv.groupby("objective")["chosen"].sum() == 1).all()
    feats = pd.read_csv(tmp_path / "a" / "features.csv")
    assert list(feats.columns) == ["dataset", "role", *prescribe.FEATURES]
    assert (feats.role == "holdout").sum() == 1
    text = (tmp_path / "a" / "trees.txt").read_text()
    assert all(f"== {o} ==" in text for o in objectives)
