"""Study guo's methods are compositions of registered pieces; the protocol's floor counting; the
published reference holds the paper's numbers; the profiles load and name the study's slice."""

from pathlib import Path

import pytest

from holistic.config import load_params
from holistic.studies import STUDIES
from holistic.studies.guo.methods import METHODS, parse_l1
from holistic.studies.guo.protocol import departures, kept_after
from holistic.studies.guo.published import load_published
from holistic.workflow.spec import select

ROOT = Path(__file__).resolve().parents[3]


def test_methods_compose_registered_pieces():
    assert STUDIES["guo"].methods is METHODS
    assert {m: (METHODS[m].procedure, METHODS[m].model) for m in ("linear", "lenet300", "lenet5")} == {
        "linear": ("progressive", "linear"), "lenet300": ("progressive", "lenet300"), "lenet5": ("progressive", "lenet5")}
    l1 = {m: dict(v.settings)["activation_l1.strength"] for m, v in METHODS.items() if parse_l1(m)}
    assert len(l1) == 6 and all(METHODS[m].loss == "activation_l1" and METHODS[m].procedure == "single" for m in l1)
    for net in ("lenet300", "lenet5"):
        assert l1[f"{net}-l1-none"] == 0.0 < l1[f"{net}-l1-mid"] < l1[f"{net}-l1-high"]
    for m in METHODS.values():
        m.pieces()  # every piece registered
        assert "train.progressive" in m.param_keys() or "train.activation_l1" in m.param_keys()


def test_floor_counting_ends_the_paper_models_where_the_notes_say():
    assert kept_after(784, 16) == 2 and round(100 * (1 - kept_after(784, 16) / 784), 3) == 99.745
    assert kept_after(784, 1) == 523  # 33.29 % after the first prune (the reference's round 1)
    assert kept_after(7840, 16) == 13  # the 10-class model: 99.83 %


def test_published_reference_is_the_papers_numbers():
    p = load_published()
    cell = lambda src, method, measure: p[(p["source"] == src) & (p["method"] == method)  # noqa: E731
                                          & (p["measure"] == measure)]["mean"].tolist()
    assert cell("Table 1", "lenet300-l1-mid", "r2:deepfool") == [1.5903]
    assert cell("Table 1", "lenet5-l1-high", "activation_sparsity") == [99.64]
    assert cell("Table 2", "lenet5", "r2:deepfool") == [2.7226, 1.7383]
    assert cell("Sec. 4.1", "linear", "r2:cw") == [2.3151, 2.3061]
    assert set(p["method"]) <= set(METHODS)


@pytest.mark.parametrize("profile", ["guo", "guo-paper"])
def test_profiles_select_the_study_and_name_their_departures(profile):
    params = load_params([ROOT / "params.yaml", ROOT / f"workflow/profiles/{profile}/params.yaml"])
    (jobs,) = select(params)
    assert jobs.name == "guo" and jobs.datasets == ("mnist-1v7", "mnist") and jobs.methods == tuple(METHODS)
    notes = departures(params, "mnist", 3, 100)
    assert any("Adam" in n for n in notes)
    if profile == "guo-paper":
        assert not any("test points" in n or "prunes" in n for n in notes)
    else:
        assert any("200 test points" in n for n in notes)
