"""``studies.<name>.enabled: false`` switches a study of params.yaml off (a profile of another
study, e.g. `lth`, cannot remove a mapping key by merging)."""

from pathlib import Path

import pytest

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


def test_the_default_run_is_unchanged():
    spec = S.load([ROOT / "params.yaml"])
    assert [s.name for s in spec.studies] == ["hdl"]
