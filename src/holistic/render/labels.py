"""Labels of the evaluation metrics, keyed by metric name (``holistic.evaluation.metrics``).

One table for every document: titles (table and panel titles), short row names (the
per-data-set tables), axis labels (figures). A study adds its own references (e.g. which
published table a metric comes from) next to these, never in place of them.
"""

from __future__ import annotations

#: Title of each metric (and of the multi-objective rank).
METRIC_TITLES: dict[str, str] = {
    "natural_accuracy": "Natural accuracy",
    "adversarial_accuracy": "Adversarial accuracy",
    "stability": "Stability",
    "sparsity": "Sparsity",
    "multi_objective": "Multi-objective rank",
}

#: Short row name of each metric in a per-data-set table.
METRIC_SHORT: dict[str, str] = {
    "natural_accuracy": "Avg. accuracy",
    "adversarial_accuracy": "Adv. acc.",
    "stability": "Stability",
    "sparsity": "Sparsity",
}

#: Axis label (quantity and unit) of each metric in a figure.
METRIC_AXES: dict[str, str] = {
    "natural_accuracy": "test accuracy (%)",
    "adversarial_accuracy": "adversarial test accuracy (%)",
    "stability": "worst-split test accuracy (%)",
    "sparsity": "zero parameters (%)",
}


#: How an attack (``holistic.attacks``) or bound (``holistic.verify``) is named in captions.
ATTACK_LABELS: dict[str, str] = {
    "pgd": "PGD-40 (as the paper ran it)",
    "pgd-restarts": "PGD with restarts (margin loss)",
    "ensemble": "the per-sample worst case of an attack ensemble",
    "apgd-ce": "APGD-CE",
    "apgd-dlr": "APGD-DLR",
    "fgsm": "FGSM",
    "rfgsm": "R+FGSM",
    "ifgsm": "IFGSM",
    "deepfool": "DeepFool",
    "cw": "C&W-L2",
    "ibp": "IBP",
    "crown": "CROWN",
    "crown-ibp": "CROWN-IBP",
}


def attack_label(name: str) -> str:
    """The caption name of an attack or bound (its registry key when it has no label);
    an ensemble member ``ensemble:apgd-ce`` reads ``... after APGD-CE``."""
    if ":" in name:
        whole, member = name.split(":", 1)
        return f"{ATTACK_LABELS.get(whole, whole)} after {ATTACK_LABELS.get(member, member)}"
    return ATTACK_LABELS.get(name, name)


def wrapped(metric: str) -> str:
    """The title on two lines (first space broken), for narrow tick labels."""
    return METRIC_TITLES[metric].replace(" ", "\n", 1)


__all__ = ["METRIC_TITLES", "METRIC_SHORT", "METRIC_AXES", "wrapped"]
