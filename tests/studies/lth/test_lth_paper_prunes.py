"""``train.imp.paper_prunes`` in study lth and the params checks (issue 33): the departures name
the prunes straight to the paper's levels (computed from the settings), the levels a run
measures and its number of rounds come from ``holistic.procedures.imp.n_prunes`` /
``paper_levels``, and a bad list is refused before any job, naming the params file and field."""

from pathlib import Path

import pytest

from holistic.config import load_params
from holistic.errors import ParamsError
from holistic.jobs import train as job
from holistic.procedures import PROCEDURES
from holistic.studies import STUDIES
from holistic.studies.lth.protocol import departures, levels_reached, prunes_run
from holistic.workflow.checks import check_studies

ROOT = Path(__file__).resolve().parents[3]


def params_with(tmp_path, text, *profiles):
    f = tmp_path / "mine.yaml"
    f.write_text(text)
    files = [ROOT / "params.yaml", *(ROOT / f"workflow/profiles/{p}/params.yaml" for p in profiles), f]
    return load_params(files), f


def test_departures_name_the_prunes_straight_to_the_papers_levels(tmp_path):
    params, _ = params_with(tmp_path, "train:\n  imp: {prunes: 8, paper_prunes: [3, 8]}\n", "lth")
    found = departures(params, "mnist")
    assert found["prunes"] == "prunes 2, each at once to the paper's 3rd and 8th (P_m 51.3, 16.9 %) (paper 20)"
    params["train"]["imp"]["paper_prunes"] = [3, 8, 11]
    assert departures(params, "mnist")["prunes"] == \
        "prunes 3, each at once to the paper's 3rd, 8th and 11th (P_m 51.3, 16.9, 8.7 %) (paper 20)"
    params["train"]["imp"]["paper_prunes"] = [11]
    assert departures(params, "mnist")["prunes"] == "prunes 1, each at once to the paper's 11th (P_m 8.7 %) (paper 20)"
    params["train"]["imp"].update(prunes=3, paper_prunes=list(range(1, 21)))  # the paper's 20 single prunes
    assert "prunes" not in departures(params, "mnist")
    params["train"]["imp"].update(prunes=20, paper_prunes=None)
    assert "prunes" not in departures(params, "mnist")
    assert prunes_run({"imp": {"prunes": 8}}) == 8 and prunes_run({"imp": {"prunes": 8, "paper_prunes": [1, 2]}}) == 2


def test_a_methods_own_paper_prunes_is_named_per_method(tmp_path):
    params, _ = params_with(tmp_path, "train:\n  imp: {prunes: 8, paper_prunes: null}\n"
                                      "studies:\n  lth:\n    method_train:\n      PGD-init:\n"
                                      "        imp: {paper_prunes: [3, 8]}\n", "lth")
    found = departures(params, "mnist", methods=["natural-init", "PGD-init"])
    assert found["prunes"] == ("prunes 8 (PGD-init: 2, each at once to the paper's 3rd and 8th (P_m 51.3, 16.9 %)) "
                               "(paper 20)")


def test_the_levels_and_rounds_of_a_run_come_from_paper_prunes(tmp_path):
    params, _ = params_with(tmp_path, "train:\n  imp: {prunes: 8, paper_prunes: [3, 8, 11]}\n", "lth")
    assert levels_reached(params["train"]) == [100.0, 51.3, 16.9, 8.7]
    assert levels_reached({"imp": {"prunes": 8}}) == [100.0, 51.3, 16.9]
    assert levels_reached({"imp": {"prunes": 9, "paper_prunes": [2, 8]}}) == [100.0, 16.9]
    for name in ("natural-init", "PGD-random"):
        method = STUDIES["lth"].method(name, params)
        cfg = job.train_config(params, 5_000, method=method)
        assert PROCEDURES[method.procedure].n_rounds(cfg) == 4  # the dense round, then one per level
        assert PROCEDURES[method.procedure].configured(cfg.settings).levels == (0, 3, 8, 11)


@pytest.mark.parametrize("text, field, reason", [
    ("train:\n  imp: {paper_prunes: []}\n", "train.imp.paper_prunes", "should be non-empty"),
    ("train:\n  imp: {paper_prunes: [0, 3]}\n", "train.imp.paper_prunes.0", "less than the minimum of 1"),
    ("train:\n  imp: {paper_prunes: [3, 8.5]}\n", "train.imp.paper_prunes.1", "not of type 'integer'"),
    ("train:\n  imp: {paper_prunes: 3}\n", "train.imp.paper_prunes", "not of type 'array', 'null'"),
])
def test_the_schema_refuses_a_bad_list_naming_the_field(tmp_path, text, field, reason):
    with pytest.raises(ParamsError) as err:
        params_with(tmp_path, text)
    assert f"mine.yaml: field '{field}': " in str(err.value) and reason in str(err.value), str(err.value)


@pytest.mark.parametrize("text, field, reason", [
    ("train:\n  imp: {paper_prunes: [3, 3]}\n", "train.imp.paper_prunes",
     "strictly increasing (each prune goes further), got 3 after 3"),
    ("train:\n  imp: {paper_prunes: [8, 3, 11]}\n", "train.imp.paper_prunes",
     "strictly increasing (each prune goes further), got 3 after 8"),
    ("train:\n  imp: {paper_prunes: [3.0, 8]}\n", "train.imp.paper_prunes", "integers >= 1"),
    ("studies:\n  lth:\n    method_train:\n      natural-init:\n        imp: {paper_prunes: [8, 3]}\n",
     "studies.lth.method_train.natural-init.imp.paper_prunes", "strictly increasing"),
])
def test_a_non_increasing_list_is_refused_before_any_job(tmp_path, text, field, reason):
    params, f = params_with(tmp_path, "run_studies: [lth]\n" + text, "lth")
    with pytest.raises(ParamsError) as err:
        check_studies(params, STUDIES, source=str(f))
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith(f"{f}: field '{field}': ") and reason in msg, msg


def test_a_good_list_passes(tmp_path):
    params, f = params_with(tmp_path, "run_studies: [lth]\ntrain:\n  imp: {paper_prunes: [3, 8, 11]}\n", "lth")
    check_studies(params, STUDIES, source=str(f))
