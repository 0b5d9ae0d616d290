"""``run_studies`` names the studies that run: a list, so a profile's (e.g. `lth`'s) replaces
params.yaml's whole, while the ``studies`` slices merge."""

from pathlib import Path

import pytest

from holistic.errors import ParamsError
from holistic.workflow import spec as S

ROOT = Path(__file__).resolve().parents[2]


def test_a_profile_runs_only_its_own_study():
    spec = S.load([ROOT / "params.yaml", ROOT / "workflow/profiles/lth/params.yaml"])
    assert [s.name for s in spec.studies] == ["lth"] and spec.datasets == ["mnist"]
    names = [name for name, *_ in spec.jobs()]
    assert "train_lth_pgd_init@mnist" in names and "levels_lth" in names
    assert not any(n.endswith("_hdl") or "_hdl_" in n for n in names)


@pytest.mark.parametrize("profile, datasets", [("lth-fashion", ["fashion-mnist"]),
                                               ("lth-paper", ["mnist", "fashion-mnist"])])
def test_the_other_lth_profiles_load(profile, datasets):
    spec = S.load([ROOT / "params.yaml", ROOT / f"workflow/profiles/{profile}/params.yaml"])
    assert [s.name for s in spec.studies] == ["lth"] and spec.datasets == datasets


def test_the_default_run_holds_a_slice_of_each_study_and_the_hdl_profiles_only_hdl():
    spec = S.load([ROOT / "params.yaml"])
    assert [s.name for s in spec.studies][:2] == ["hdl", "lth"]
    for profile in ("uci", "paper", "images", "published"):
        spec = S.load([ROOT / "params.yaml", ROOT / f"workflow/profiles/{profile}/params.yaml"])
        assert [s.name for s in spec.studies] == ["hdl"], profile


def test_a_study_to_run_without_a_slice_is_named(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text("run_studies: [hdl, nope]\n")
    with pytest.raises(ParamsError, match=r"field 'run_studies': study 'nope' has no slice in 'studies'"):
        S.load([ROOT / "params.yaml", f])
