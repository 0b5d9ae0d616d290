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


def wrapped(metric: str) -> str:
    """The title on two lines (first space broken), for narrow tick labels."""
    return METRIC_TITLES[metric].replace(" ", "\n", 1)


__all__ = ["METRIC_TITLES", "METRIC_SHORT", "METRIC_AXES", "wrapped"]
