"""The stages over every study: results/claims.md (every study's claims, the invariants) opens the report."""

from pathlib import Path

import pandas as pd
import pytest

from holistic.errors import DataError
from holistic.fidelity import engine as E
from holistic.fidelity.outputs import overview_markdown, read_claims, write_claims
from holistic.workflow import spec as S
from holistic.workflow.overview import CATEGORY, CLAIMS_MD, INVARIANTS_CSV

ROOT = Path(__file__).resolve().parents[2]


def test_the_claims_stage_reads_every_study_and_is_a_default_target():
    spec = S.load([ROOT / "params.yaml"])
    claims = {st.name: st for st in spec.overview}["claims"]
    for s in spec.studies:
        assert claims.inputs[f"claims_{s.name}"] == f"results/{s.name}/claims.csv"
        assert claims.inputs[f"evals_{s.name}"] == s.evals
        assert f"--study {s.name} {{input.claims_{s.name}}} {{input.evals_{s.name}}}" in claims.args
    assert {CLAIMS_MD, INVARIANTS_CSV, "results/claims.html"} <= set(spec.targets())
    assert "claims" in {name for name, *_ in spec.jobs()}
    page = {st.name: st for st in spec.overview}["html_claims"].outputs["page"]
    # the report sorts its categories by name: the claims come first
    cats = {o.category for st in [st for s in spec.studies for st in S.study_stages(s)] + spec.overview
            for o in st.outputs.values() if o.category}
    assert page.category == CATEGORY == min(cats)


def test_every_study_writes_its_claims_and_fidelity_at_one_path():
    spec = S.load([ROOT / "params.yaml"])
    for s in spec.studies:
        outs = {o.path for st in S.study_stages(s) for o in st.outputs.values()}
        assert {s.claims, s.fidelity} <= outs, s.name


def _judged(verdict_d):
    claim = E.Claim("A", "a beats b", "Table 1", (E.Part("a - b", E.at_least()),))
    return E.judge(claim, [E.paired(dict(enumerate(verdict_d)), dict(enumerate([0.0] * len(verdict_d))))])


def test_claims_round_trip_and_overview_counts(tmp_path):
    f = write_claims(tmp_path / "claims.csv", "demo", [_judged((1.0, 1.1, 0.9)), _judged((1.0, -1.0, 0.1)),
                                                        _judged((1.0,))])
    back = read_claims(tmp_path / "claims.csv")
    assert list(back["verdict"]) == [E.HOLDS, E.INCONCLUSIVE, E.NOT_TESTABLE] == list(f["verdict"])
    md = overview_markdown({"demo": back}, {"demo": (10, 1)}, {"demo": ["model 3: verified 50 > robust 40"]})
    assert "| demo | 3 | 1 | 0 | 1 | 1 | 10 checked, 1 violated |" in md
    assert "model 3: verified 50 > robust 40" in md


def test_a_bad_claims_file_names_the_file_and_field(tmp_path):
    write_claims(tmp_path / "c.csv", "demo", [_judged((1.0, 1.1, 0.9))])
    bad = pd.read_csv(tmp_path / "c.csv", dtype=str, keep_default_na=False).assign(verdict="yes")
    bad.to_csv(tmp_path / "c.csv", index=False)
    with pytest.raises(DataError, match=r"c\.csv: field 'verdict' has 'yes'"):
        read_claims(tmp_path / "c.csv")
    pd.DataFrame({"x": [1]}).to_csv(tmp_path / "d.csv", index=False)
    with pytest.raises(DataError, match=r"d\.csv: columns .* missing"):
        read_claims(tmp_path / "d.csv")


def test_a_pipe_in_a_claim_cannot_split_its_table_row(tmp_path):
    from holistic.fidelity.outputs import claims_markdown

    claim = E.Claim("P", "a | b", "Table 1", (E.Part("x", E.at_least()), E.Part("y", E.at_least())))
    s = E.paired({0: 1.0, 1: 1.1, 2: 0.9}, {0: 0.0, 1: 0.0, 2: 0.0})
    frame = E.claims_frame("demo", [E.judge(claim, [s, s])])
    row = claims_markdown(frame, "c").splitlines()[-1]
    assert row.count(" | ") == 9 and "a \\| b" in row
