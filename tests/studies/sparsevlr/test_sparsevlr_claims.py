"""The claims of SparseVLR on hand-made summaries (holds / does not hold / not measured), the
ordering check of every model, the departures named in the tables' headers, and the published
reference table (the cells the claims quote)."""

import math
from pathlib import Path

import pandas as pd

from holistic.config import load_params
from holistic.studies.sparsevlr import claims as C
from holistic.studies.sparsevlr.protocol import departures, header_note
from holistic.studies.sparsevlr.published import cell, load_published
from holistic.studies.sparsevlr.results import ERRORS, ordered, summarize

ROOT = Path(__file__).resolve().parents[3]
PUB = load_published()


def models(rows):
    """(method, p, standard, pgd, ibp) -> model rows (CROWN not run)."""
    return pd.DataFrame([{"dataset": "mnist", "method": m, "sparsity": p, "split": 0, "standard": s, "pgd": g,
                          "ibp": v, "crown": math.nan, "measured_sparsity": p} for m, p, s, g, v in rows])


def test_published_cells_the_claims_quote():
    assert cell(PUB, 2, "mnist", "RSM-T", 99, "verified") == 23.14
    assert cell(PUB, 2, "mnist", "PM", 99, "pgd") is None  # Table 2's PM rows have no PGD error
    assert cell(PUB, 6, "mnist", "RSM-T-CROWN", 99, "verified") == 93.13
    assert cell(PUB, 3, "mnist", "RIPM-T", 99, "verified") is None  # Table 3 is CIFAR-10 only


def test_claims_hold_fail_and_say_what_was_not_measured():
    m = models([("dense", 0, 10, 20, 30), ("RSM-T", 90, 11, 21, 32), ("RSM-T", 99, 12, 25, 35),
                ("PM", 99, 60, 80, 90), ("PM-T", 99, 12, 22, 33)])
    s = summarize(m)
    table = C.evaluate(s, m, pd.DataFrame(columns=["dataset", "method", "sparsity", "split", "epoch"]), PUB)
    assert list(table.columns) == C.COLUMNS
    holds = dict(zip(table["claim"], table["holds"]))
    assert holds["RSM^T verified error within 3 points of dense at p = 90 %"] == "yes"  # +2
    assert [v for k, v in holds.items() if k.startswith("at p = 99 % PM collapses")] == ["yes"]  # 90 >= 35 + 20, 35 <= 36
    assert [v for k, v in holds.items() if k.startswith("RSM^T verified error below PM^T")] == ["no"]  # 35 vs 33
    assert [v for k, v in holds.items() if k.startswith("RIPM^T")] == ["n/a"]
    assert table.loc[table["claim"].str.startswith("RIPM^T"), "here"].iat[0].startswith("not measured")
    assert [v for k, v in holds.items() if k.startswith("standard <= PGD")] == ["yes"]


def test_every_model_is_checked_for_standard_pgd_verified_order():
    m = models([("dense", 0, 10, 20, 30), ("PM", 99, 10, 9, 30), ("RSM-T", 99, 10, 20, 19)])
    assert ordered(m).tolist() == [True, False, False]
    m.loc[0, "crown"] = 15.0  # CROWN, where run, is checked too
    assert not ordered(m).iat[0]
    assert set(ERRORS) == {"standard", "pgd", "ibp", "crown"}


def test_the_default_profile_names_its_cuts_and_the_paper_profile_follows_the_protocol():
    cpu = load_params([ROOT / "params.yaml", ROOT / "workflow/profiles/sparsevlr/params.yaml"])
    cuts = departures(cpu, "mnist", 1, ["dense", "RSM-T"])
    assert any("(40, 4, 24)" in c for c in cuts) and any("1 seed" in c for c in cuts)
    assert any("full CROWN" in c for c in cuts) and not any(c.startswith("model ") for c in cuts)
    default = load_params([ROOT / "params.yaml"])  # the default run's slice: the MLP backbone, named
    assert "model mlp (paper: cnn_4layer)" in departures(default, "mnist", 1, ["dense"])
    paper = load_params([ROOT / "params.yaml", ROOT / "workflow/profiles/sparsevlr-paper/params.yaml"])
    assert departures(paper, "mnist", 5, ["dense", "RSM-T-CROWN"]) == []
    assert header_note([]) == "Protocol of the paper (App. A)."
