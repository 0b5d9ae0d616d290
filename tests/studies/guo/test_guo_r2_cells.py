"""Study guo's r_2 cells: the mean over all points is reported with its attack's failures, and is
undefined ('-') where the attack failed on more than 5 % of the correctly classified points
(pooled over the references), the claims' ``attack_succeeds`` threshold; the failures stay."""

import math

import pandas as pd
import pytest

from holistic.studies.guo.fidelity import comparison
from holistic.studies.guo.levels import MAX_FAILED, summarize
from holistic.studies.guo.published import load_published
from holistic.studies.guo.tables import round_table


def levels(failed_per_reference: list[int], correct=100) -> pd.DataFrame:
    rows = [{"dataset": "mnist", "method": "lenet300", "config_id": 0, "split": s, "round": 0, "kept_percent": 100.0,
             "natural": correct / 200, "r2:deepfool": 1.0 + 0.1 * s, "failures:deepfool": float(f), "r2:cw": 2.0,
             "failures:cw": 0.0, "correct": float(correct)} for s, f in enumerate(failed_per_reference)]
    return pd.DataFrame(rows)


@pytest.mark.parametrize("failed, defined", [([5, 5, 5], True), ([0, 0, 15], True), ([6, 5, 5], False),
                                             ([0, 0, 16], False)])
def test_r2_is_undefined_above_five_percent_failures_pooled_over_the_references(failed, defined):
    assert MAX_FAILED == 0.05
    s = summarize(levels(failed)).iloc[0]
    assert math.isnan(s["r2:deepfool_mean"]) != defined and s["r2:cw_mean"] == 2.0  # C&W never failed
    assert s["failures:deepfool_mean"] * s["n"] == sum(failed)                   # the failures stay
    table = round_table(summarize(levels(failed)), "mnist", "lenet300", "")
    row = table.splitlines()[-1]
    assert f"| {sum(failed)} of 300 |" in row and (("| 1.1000 ± 0.1000 |" in row) == defined)
    assert defined or "| - |" in row
    # the fidelity document's Table 2 cell (dense LeNet-300-100): the run's r_2, or '-' beside the failures
    comp = comparison(summarize(levels(failed)), load_published())
    (cell,) = comp[(comp["source"] == "Table 2") & (comp["measure"] == "r2:deepfool")].itertuples()
    assert cell.failed == f"{sum(failed)} of 300" and math.isnan(cell.here_mean) != defined


def test_the_platform_robustness_table_says_which_r2_is_over_all_points(tmp_path):
    """The aggregate's minimal-perturbation caption follows the eval files' settings: r_2 over all
    points where an attack's ``failed`` is ``returned`` (guo's profiles), the points it did not fail
    on otherwise (the other studies' caption, unchanged)."""
    from holistic.io import write_json
    from holistic.selection.robustness import r2_caption, r2_over_all_points

    guo, other = tmp_path / "guo.json", tmp_path / "other.json"
    write_json(guo, {"attacks": {"deepfool": {"failed": "returned"}, "cw": {"failed": "returned"}, "fgsm": {}}})
    write_json(other, {"attacks": {"cw": {"steps": 50}, "pgd": {}}})
    assert r2_over_all_points([guo, other]) == ("cw", "deepfool") and r2_over_all_points([other]) == ()
    assert "over the points the attack did not fail on, mean over models" in r2_caption(())
    assert "over all test points for C&W-L2 and DeepFool (eq. 1" in r2_caption(("cw", "deepfool"))
