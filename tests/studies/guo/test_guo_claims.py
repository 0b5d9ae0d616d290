"""The claims of Guo et al. on hand-made per-round models: each verdict follows the numbers, and a
claim whose rounds or methods were not run says "n/a"."""

import pandas as pd

from holistic.studies.guo.claims import evaluate
from holistic.studies.guo.levels import summarize

RINF = "r_inf:fgsm@0.1"


def models(method, rows, dataset="mnist"):
    """rows: (round, kept %, natural, r_inf, r_2) per round; two references with +-0.01 spread."""
    out = []
    for split, d in ((0, -0.01), (1, 0.01)):
        for r, kept, nat, rinf, r2 in rows:
            out.append({"dataset": dataset, "method": method, "config_id": 0, "split": split, "round": r,
                        "kept_percent": kept, "natural": nat, RINF: rinf + d, "r2:deepfool": r2 + d, "r2:cw": r2 + 0.3 + d})
    return out


def test_verdicts_follow_the_numbers():
    rows = (models("linear", [(0, 100.0, 0.99, 0.50, 2.01), (1, 66.7, 0.99, 0.60, 2.00), (2, 44.4, 0.99, 0.70, 1.95)],
                   "mnist-1v7")
            + models("lenet300", [(0, 100.0, 0.98, 0.28, 1.32), (1, 10.0, 0.98, 0.35, 1.50),
                                  (2, 1.5, 0.978, 0.20, 1.10)])
            + models("lenet300-l1-none", [(0, 100.0, 0.98, 0.28, 1.32)])
            + models("lenet300-l1-mid", [(0, 100.0, 0.98, 0.30, 1.20)]))
    levels = pd.DataFrame(rows)
    claims = evaluate(levels, summarize(levels)).set_index("claim")["holds"]
    assert claims["mnist-1v7 linear: r_2 (deepfool) falls after the first prune (every reference, paired)"] == "yes"
    assert claims["mnist-1v7 linear: r_inf (FGS, eps 0.1) rises over the first 4 prunes"] == "yes"
    assert claims["mnist linear: r_inf (FGS, eps 0.1) rises over the first 4 prunes"] == "n/a"
    assert claims["lenet300: a 80-97 % sparse model beats the dense one on r_inf and r_2"] == "yes"
    assert claims["lenet300: over-sparsified, robustness falls (sparsest round below the best on r_inf and r_2)"] == "yes"
    assert claims["lenet300: at >= 98 % sparsity r_2 < dense r_2 with accuracy within 0.5 pt"] == "yes"
    assert claims["lenet300: activation L1 'mid' beats 'none' on r_inf and r_2 (Table 1)"] == "no"  # r_2 fell
    assert claims["lenet5: a 80-97 % sparse model beats the dense one on r_inf and r_2"] == "n/a"
