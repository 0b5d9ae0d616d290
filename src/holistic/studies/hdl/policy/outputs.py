"""The ``policy`` stage (Section 4.5, Table 6): :func:`policy` loads, selects, analyses
(:mod:`holistic.studies.hdl.policy.prescribe`) and writes the output files.

``trees.txt`` (the chosen trees as text), ``tree_<objective>.png`` (each exact tree
drawn like Figures 4-5), ``cv.csv`` (cross-validation scores), ``table6.{csv,md}``
(Table 6), ``comparison.csv`` (exact vs greedy tree in-sample) and ``features.csv``
(the eight features per data set). Numbers are written with
:func:`holistic.render.tables.number`: 6 decimals in CSVs and ``trees.txt``, Table 6's
2 decimals in Table 6; ``-0`` is printed as ``0``.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Mapping, Sequence

from ....io import write_text
from ....records.evals import load_evals, radius_label
from ....render.tables import DATA_DECIMALS, markdown_table, number, rows_csv
from ....selection.select import METRICS, select_all
from .plot import plot_tree
from .prescribe import FEATURE_LABELS, FEATURES, TABLE6_ROWS, PolicyResult, analyse, features, normalised_weights
from .tree import to_text

#: Objective names in Table 6's wording.
OBJECTIVE_TITLES: dict[str, str] = {
    "natural_accuracy": "Nat. Acc.",
    "adversarial_accuracy": "Robustness",
    "stability": "Stability",
    "sparsity": "Sparsity",
    "mean": "(Nat. Acc. + Robustness + Stability + Sparsity)/4",
    "weighted": "Weighted mix",
}

TABLE6_DECIMALS = 2


def _num(v: float, decimals: int = DATA_DECIMALS) -> str:
    return number(v, decimals, no_negative_zero=True)


def objective_title(objective: str, adversarial_eps: float | None = None) -> str:
    """Table 6's name of an objective; robustness with its radius when known."""
    title = OBJECTIVE_TITLES[objective]
    if objective == "adversarial_accuracy" and adversarial_eps is not None:
        title += f" (\u03c1 = {radius_label(adversarial_eps)})"
    return title


def features_csv(res: PolicyResult) -> str:
    """``features.csv``: dataset, role (train / holdout), the eight features."""
    rows = []
    for d, r in res.features.iterrows():
        role = "holdout" if d in res.held else "train"
        rows.append([d, role] + [str(int(r[f])) if f in ("p", "k") else _num(r[f])
                                 for f in FEATURES])
    return rows_csv(["dataset", "role", *FEATURES], rows)


def cv_csv(res: PolicyResult) -> str:
    """``cv.csv``: objective, depth, min_leaf, mean out-of-fold reward, chosen (1/0)."""
    rows = []
    for r in res.results:
        for _, c in r.cv.iterrows():
            chosen = int(c["depth"]) == r.depth and int(c["min_leaf"]) == r.min_leaf
            rows.append([r.objective, str(int(c["depth"])), str(int(c["min_leaf"])),
                         _num(c["reward"]), "1" if chosen else "0"])
    return rows_csv(["objective", "depth", "min_leaf", "cv_reward", "chosen"], rows)


def comparison_csv(res: PolicyResult) -> str:
    """``comparison.csv``: in-sample reward (summed improvement over DL on the training
    data sets) of the exact and the greedy tree of the same depth and leaf size."""
    rows = [[r.objective, str(r.depth), str(r.min_leaf), str(len(res.train)),
             _num(r.exact_reward), _num(r.greedy_reward)] for r in res.results]
    return rows_csv(["objective", "depth", "min_leaf", "n_train", "exact_reward",
                     "greedy_reward"], rows)


def table6_csv(res: PolicyResult) -> str:
    """``table6.csv``: objective, row (DL / Prescribed / Optimal / Greedy), one column
    per held-out data set, values in the objective's units (2 decimals)."""
    rows = []
    for r in res.results:
        for row in TABLE6_ROWS:
            rows.append([r.objective, row] + [_num(r.table.loc[row, d], TABLE6_DECIMALS)
                                              for d in res.held])
    return rows_csv(["objective", "row", *res.held], rows)


def table6_markdown(res: PolicyResult, note: str = "") -> str:
    """``table6.md``: the layout of Table 6 (objective, method, one column per held-out
    data set), plus the prescribed methods; ``note`` (the run's departures) closes the caption."""
    caption = ("**Table 6: performance of the prescription trees on the held-out data sets** "
               f"(trained on {len(res.train)} data sets; Prescribed = exact optimal tree, "
               "Optimal = best method of the data set, Greedy = econml's greedy tree of the "
               "same depth and minimum leaf size)." + (f" {note}" if note else ""))
    held = list(res.held) or [""]         # no held-out set: one empty column, as before
    rows = []
    for r in res.results:
        for i, row in enumerate(TABLE6_ROWS):
            title = objective_title(r.objective, res.adversarial_eps) if i == 0 else ""
            cells = [_num(r.table.loc[row, d], TABLE6_DECIMALS) for d in res.held] or [""]
            rows.append([title, row, *cells])
    lines = [markdown_table(["Objective", "Method", *held], rows,
                            "ll" + "r" * len(res.held), caption).rstrip("\n"),
             "", "Prescribed methods (exact / greedy):", ""]
    for r in res.results:
        picks = "; ".join(f"{d}: {r.prescribed[d]} / {r.greedy_prescribed[d]}"
                          for d in res.held) or "(no held-out data set)"
        lines.append(f"- {objective_title(r.objective, res.adversarial_eps)}: {picks}")
    return "\n".join(lines) + "\n"


def trees_text(res: PolicyResult, policy: Mapping, note: str = "") -> str:
    """``trees.txt``: per objective the chosen depth / min leaf, the CV score, the exact
    and the greedy tree as indented text, and their held-out prescriptions (``note``, the
    run's departures, under the title)."""
    n_folds = min(int(policy["cv_folds"]), len(res.train))
    out = ["Prescriptive policy trees (Section 4.5)", *([note] if note else []),
           f"training data sets ({len(res.train)}): {', '.join(res.train)}",
           f"held-out data sets ({len(res.held)}): {', '.join(res.held) or '-'}",
           f"features: {', '.join(FEATURES)}",
           f"actions: {', '.join(res.methods)}",
           "reward: improvement over DL in the objective's units (%), summed over the "
           "training data sets; CV reward: mean out-of-fold reward per data set",
           f"cross-validation: {n_folds} folds, depths {list(policy['depths'])}, "
           f"min leaf sizes {list(policy['min_leaf_sizes'])}, seed {policy['seed']}", ""]
    if "weighted" in [r.objective for r in res.results]:
        w = normalised_weights(policy["weights"])
        out.insert(-1, "weighted objective: " + " + ".join(f"{w[m]:g} {m}" for m in METRICS))
    for r in res.results:
        out += [f"== {r.objective} ==",
                f"chosen: depth {r.depth}, min leaf {r.min_leaf} "
                f"(CV reward {_num(r.cv_reward)})",
                f"exact optimal tree (in-sample reward {_num(r.exact_reward)}):",
                to_text(r.tree, FEATURES, res.methods).rstrip("\n"),
                f"greedy econml tree (in-sample reward {_num(r.greedy_reward)}):",
                to_text(r.greedy, FEATURES, res.methods).rstrip("\n")]
        if res.held:
            out.append("held-out prescriptions (exact / greedy): " + "; ".join(
                f"{d}: {r.prescribed[d]} / {r.greedy_prescribed[d]}" for d in res.held))
        out.append("")
    return "\n".join(out)


def write_policy_outputs(res: PolicyResult, policy: Mapping, out_dir: str | os.PathLike,
                         note: str = "") -> None:
    """Write ``trees.txt``, ``tree_<objective>.png``, ``cv.csv``, ``table6.{csv,md}``,
    ``comparison.csv`` and ``features.csv`` into ``out_dir`` (each atomically); the text, the
    table and the trees carry ``note`` (the run's departures from the paper)."""
    out = Path(out_dir)
    write_text(out / "trees.txt", trees_text(res, policy, note))
    labels = [FEATURE_LABELS[f] for f in FEATURES]
    for r in res.results:
        title = (f"Optimal policy tree: {objective_title(r.objective, res.adversarial_eps)} "
                 f"(depth {r.depth}, min leaf {r.min_leaf})")
        plot_tree(r.tree, out / f"tree_{r.objective}.png", labels, res.methods, title, note)
    write_text(out / "cv.csv", cv_csv(res))
    write_text(out / "table6.csv", table6_csv(res))
    write_text(out / "table6.md", table6_markdown(res, note))
    write_text(out / "comparison.csv", comparison_csv(res))
    write_text(out / "features.csv", features_csv(res))


def policy(eval_paths: Sequence[str | os.PathLike], adversarial_eps: float,
           params: Mapping, out_dir: str | os.PathLike, note: str = "") -> PolicyResult:
    """The ``policy`` stage: load the eval files, select (Section 4), analyse, write.
    ``params`` are the ``analysis.policy`` parameters; ``note`` the run's departures line."""
    paths = [str(p) for p in eval_paths]
    feats = features(paths)
    models, _ = load_evals(paths, adversarial_eps)
    res = replace(analyse(feats, select_all(models), params), adversarial_eps=adversarial_eps)
    write_policy_outputs(res, params, out_dir, note)
    return res


__all__ = ["OBJECTIVE_TITLES", "TABLE6_DECIMALS", "objective_title", "features_csv", "cv_csv",
           "comparison_csv", "table6_csv", "table6_markdown", "trees_text", "write_policy_outputs", "policy"]
