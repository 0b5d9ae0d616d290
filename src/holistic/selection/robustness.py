"""The robustness tables of every study: how strong each attack is, and what the bounds certify.

Written by the ``aggregate`` stage next to the study's tables (every file atomically):

- ``robustness.{csv,md}``: per data set, method and radius, the mean over all the models of
  that (data set, method) (every configuration and split) of the test measurements: natural
  accuracy, each budgeted attack's accuracy (PGD-40 as the paper ran it, the ensemble and the
  accuracy after each of its members, FGSM), ``gap`` = PGD-40 minus the ensemble (how much
  the paper's attack overstates robustness), each bound's verified accuracy; per data set and
  method, r_2 of each minimal attack with its failed points, and the activation sparsity.
- ``verified_accuracy.{csv,md}``: Table A2-style: the configurations chosen by validation
  adversarial accuracy (the models of the adversarial-accuracy table), their verified test
  accuracy under the tightest bound measured (the last of ``attack.verify``), at the data
  set's adversarial radius, mean over splits.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Sequence

import pandas as pd

from ..io import read_json, write_text
from ..records.evals import eps_key, radius_for, radius_label
from ..render.labels import attack_label
from ..render.tables import frame_csv, markdown_table, number, ordered

DECIMALS = 2
#: The columns of ``robustness.csv`` that name a row.
KEYS = ["dataset", "method", "eps"]


def attack_table(rows: pd.DataFrame, order: Sequence[str] = ()) -> pd.DataFrame:
    """Per (dataset, method, eps): mean test accuracy under every budgeted attack (columns named
    by the attack), ``natural``, ``gap`` (``pgd - ensemble`` where both ran) and
    ``verified:<bound>``; ``rows`` is :func:`holistic.records.evals.tidy_rows`'s frame."""
    test = rows[rows["part"] == "test"]
    keys = ["dataset", "method", "config_id", "split"]
    natural = test[(test["metric"] == "accuracy") & (test["attack"] == "none")]
    attacked = test[test["metric"].isin(["accuracy", "verified_accuracy"]) & test["eps"].notna()]
    attacked = attacked.assign(column=attacked["attack"].where(attacked["metric"] == "accuracy",
                                                               "verified:" + attacked["attack"]))
    wide = attacked.pivot_table(index=[*keys, "eps"], columns="column", values="value", aggfunc="first")
    wide = wide.join(natural.set_index(keys)["value"].rename("natural"), on=keys)
    means = wide.groupby(["dataset", "method", "eps"], sort=True).mean()
    if {"pgd", "ensemble"} <= set(means.columns):
        means["gap"] = means["pgd"] - means["ensemble"]
    columns = ["natural", *_attack_order(means.columns), *(["gap"] if "gap" in means else []),
               *sorted(c for c in means.columns if c.startswith("verified:"))]
    out = means[columns].reset_index()
    out.columns.name = None
    methods = {m: i for i, m in enumerate(ordered(out["method"], order))}
    return out.assign(_m=out["method"].map(methods)).sort_values(["dataset", "_m", "eps"], kind="mergesort") \
              .drop(columns="_m").reset_index(drop=True)


def _attack_order(columns) -> list[str]:
    """PGD-40 first, then the ensemble and its members, then the other attacks by name."""
    names = [c for c in columns if c not in ("natural", "gap") and not c.startswith("verified:")]
    head = [c for c in ("pgd", "ensemble") if c in names]
    members = [c for c in names if c.startswith("ensemble:")]
    return head + members + sorted(set(names) - set(head) - set(members))


def model_table(rows: pd.DataFrame, order: Sequence[str] = ()) -> pd.DataFrame:
    """Per (dataset, method): r_2 (``r2:<attack>``, mean over models) and its failed points
    (``failures:<attack>``, total over models) of each minimal attack, the activation sparsity
    (mean) and the number of models."""
    test = rows[rows["part"] == "test"]
    g = ["dataset", "method"]
    parts = [test.groupby(g)[["config_id", "split"]].apply(lambda d: len(d.drop_duplicates())).rename("models")]
    for metric, how in (("r2", "mean"), ("failures", "sum")):
        sub = test[test["metric"] == metric]
        for attack, d in sub.groupby("attack", sort=True):
            parts.append(d.groupby(g)["value"].agg(how).rename(f"{metric}:{attack}"))
    act = test[test["metric"] == "activation_sparsity"]
    if len(act):
        parts.append(act.groupby(g)["value"].mean().rename("activation_sparsity"))
    out = pd.concat(parts, axis=1).reset_index()
    methods = {m: i for i, m in enumerate(ordered(out["method"], order))}
    return out.assign(_m=out["method"].map(methods)).sort_values(["dataset", "_m"], kind="mergesort") \
              .drop(columns="_m").reset_index(drop=True)


def verified_table(rows: pd.DataFrame, selected: pd.DataFrame, bound: str, adversarial_eps) -> pd.DataFrame:
    """``selected``-shaped rows (metric ``verified_accuracy``): per (dataset, method) the
    configuration of the adversarial-accuracy selection, its verified test accuracy under
    ``bound`` at the data set's radius, mean over splits."""
    chosen = selected[selected["metric"] == "adversarial_accuracy"][["dataset", "method", "config_id"]]
    ver = rows[(rows["metric"] == "verified_accuracy") & (rows["attack"] == bound) & (rows["part"] == "test")]
    ver = ver[ver.apply(lambda r: eps_key(r["eps"]) == eps_key(radius_for(adversarial_eps, r["dataset"])), axis=1)] \
        if len(ver) else ver
    means = ver.groupby(["dataset", "method", "config_id"])["value"].mean().rename("test").reset_index()
    out = chosen.merge(means, on=["dataset", "method", "config_id"], how="left")
    return out.assign(metric="verified_accuracy")


def r2_over_all_points(eval_paths: Iterable[str | os.PathLike]) -> tuple[str, ...]:
    """The minimal attacks whose r_2 the eval files record over all points (attack setting
    ``failed: returned``, :func:`holistic.evaluation.run.r2`), from the files' headers."""
    found = {name for p in eval_paths for name, a in (read_json(p).get("attacks") or {}).items()
             if isinstance(a, dict) and a.get("failed") == "returned"}
    return tuple(sorted(found))


def r2_caption(all_points: Sequence[str] = ()) -> str:
    """The caption of the minimal-perturbation table: r_2 over the points the attack did not fail
    on (the default), or over all points for the attacks of ``all_points``."""
    if not all_points:
        return ("**Minimal L2 perturbations and activations (test points): r_2 is "
                "Guo et al.'s mean of 1[correct] ||delta||_2 over the points the attack "
                "did not fail on, mean over models; failures are correctly classified "
                "points with no adversarial point found, total over models (left out "
                "of r_2, never counted as 0); activation sparsity is the share of zero "
                "ReLU outputs (%).**")
    names = " and ".join(attack_label(a) for a in all_points)
    return ("**Minimal L2 perturbations and activations (test points): r_2 is Guo et al.'s mean of "
            f"1[correct] ||delta||_2, mean over models, over all test points for {names} (eq. 1: a point "
            "the attack failed on counts at the distance of the point it returned), over the points the "
            "attack did not fail on for any other; failures are correctly classified points with no "
            "adversarial point found, total over models; activation sparsity is the share of zero ReLU "
            "outputs (%).**")


def robustness_markdown(attacks: pd.DataFrame, models: pd.DataFrame, header: str,
                        all_points: Sequence[str] = ()) -> str:
    """Both robustness tables as Markdown, with captions (``all_points``: :func:`r2_caption`)."""
    cols = [c for c in attacks.columns if c not in KEYS]
    names = {c: _column_label(c) for c in cols}
    rows = [[r["dataset"], r["method"], f"{r['eps']:g}", *(number(r[c], DECIMALS, "-") for c in cols)]
            for _, r in attacks.iterrows()]
    text = markdown_table(["data set", "method", "rho", *(names[c] for c in cols)], rows,
                          "lll" + "r" * len(cols),
                          caption=f"**Robustness per radius (test accuracy, %): {header}**")
    mcols = [c for c in models.columns if c not in ("dataset", "method")]
    mrows = [[r["dataset"], r["method"], *(number(r[c], 0 if c.startswith(("failures", "models")) else 4
                                                 if c.startswith("r2") else DECIMALS, "-") for c in mcols)]
             for _, r in models.iterrows()]
    text += "\n" + markdown_table(["data set", "method", *(_column_label(c) for c in mcols)], mrows,
                                  "ll" + "r" * len(mcols), caption=r2_caption(all_points))
    return text


def _column_label(c: str) -> str:
    if c.startswith("verified:"):
        return f"verified {attack_label(c.split(':', 1)[1])}"
    if c.startswith(("r2:", "failures:")):
        kind, attack = c.split(":", 1)
        return f"{'r_2' if kind == 'r2' else 'failures'} {attack_label(attack)}"
    if c.startswith("ensemble:"):
        return f"after {attack_label(c.split(':', 1)[1])}"
    return {"natural": "natural", "gap": "gap (PGD-40 - ensemble)", "models": "models", "ensemble": "ensemble",
            "activation_sparsity": "activation sparsity (%)", "pgd": "PGD-40"}.get(c, attack_label(c))


def write_robustness(rows: pd.DataFrame, tables_dir: str | os.PathLike, order: Sequence[str] = (),
                     all_points: Sequence[str] = ()) -> None:
    """``robustness.{csv,md}`` (:func:`attack_table` and :func:`model_table`; ``all_points``:
    :func:`r2_over_all_points`)."""
    tables_dir = Path(tables_dir)
    attacks, models = attack_table(rows, order), model_table(rows, order)
    write_text(tables_dir / "robustness.csv", frame_csv(attacks.merge(models, on=["dataset", "method"])))
    write_text(tables_dir / "robustness.md",
               robustness_markdown(attacks, models, "mean over every model (configuration and split) of a data "
                                                    "set and method; PGD-40 is the paper's attack, the ensemble "
                                                    "the per-sample worst case of every budgeted attack run and "
                                                    "its members (the column after a member: robust under it and "
                                                    "every earlier one); gap = PGD-40 - ensemble; verified: the "
                                                    "share of points a bound certifies.", all_points))


def bound_for_table(rows: pd.DataFrame) -> str | None:
    """The bound of the verified-accuracy table: CROWN if measured, else the last one measured."""
    bounds = list(dict.fromkeys(rows.loc[rows["metric"] == "verified_accuracy", "attack"]))
    return "crown" if "crown" in bounds else (bounds[-1] if bounds else None)


__all__ = ["attack_table", "model_table", "verified_table", "r2_over_all_points", "r2_caption", "robustness_markdown",
           "write_robustness", "bound_for_table", "radius_label"]
