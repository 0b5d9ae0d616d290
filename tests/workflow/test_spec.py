"""The workflow spec: params layout, studies check, dvc.yaml generated from the spec, lint."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from holistic.config import grid_schema, load_params
from holistic.errors import ParamsError
from holistic.methods import all_axes
from holistic.studies import STUDIES
from holistic.workflow import spec as S
from holistic.workflow.dvc import dvc_yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def test_committed_dvc_yaml_is_the_generated_one():
    generated = dvc_yaml(S.load([ROOT / "params.yaml"]))
    assert (ROOT / "dvc.yaml").read_text() == generated, \
        "dvc.yaml is stale: run `python -m holistic.workflow dvc-yaml > dvc.yaml`"


def test_dvc_train_stages_list_exactly_the_params_each_method_uses():
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    study = STUDIES["hdl"]
    for name, method in study.methods.items():
        stage = stages[f"train_hdl_{S.slug(name)}"]
        # the method's own keys, then the evaluation's (the job measures what it trained)
        assert stage["do"]["params"] == method.param_keys() + ["numerics", "attack"]
        assert set(S.EVAL_KEYS) <= set(stage["do"]["params"])
        assert f"--method {name} " in stage["do"]["cmd"]
        assert f"models/hdl/${{item}}/{name}.safetensors" in stage["do"]["outs"]
        assert f"results/hdl/eval/${{item}}/{name}.json" in stage["do"]["outs"]
        # every model's validation curve, for `dvc plots show`
        assert {f"results/hdl/curves/${{item}}/{name}.csv": {"x": "epoch", "y": "val_accuracy", "template": "scatter"}} \
            in stage["do"]["plots"]


def test_default_params_validate_and_name_the_studies():
    params = load_params([ROOT / "params.yaml"])
    assert params["split"]["preprocessing"] == "minmax"
    spec = S.load([ROOT / "params.yaml"])
    assert [s.name for s in spec.studies] == params["run_studies"] and spec.studies[0].name == "hdl"
    assert spec.study("hdl").methods == tuple(STUDIES["hdl"].methods)


def test_grid_schema_is_derived_from_the_registered_pieces():
    assert set(grid_schema()["properties"]) == set(all_axes())
    with pytest.raises(ParamsError, match="train.grid"):
        load_params([ROOT / "params.yaml", _write("train:\n  grid:\n    nonsense: [1]\n")])
    # each piece's bounds on its axis: a radius is positive, a subset fraction at most 1
    for bad, field in (("rho: [0.1, -0.1]", "train.grid.rho.1"), ("a: [1.5]", "train.grid.a.0"),
                       ("beta_bar: [0.5]", "train.grid.beta_bar.0"), ("lr: [0]", "train.grid.lr.0")):
        with pytest.raises(ParamsError, match=field.replace(".", r"\.")):
            load_params([ROOT / "params.yaml", _write(f"train:\n  grid:\n    {bad}\n")])


def _write(text, name="extra.yaml"):
    import tempfile

    d = Path(tempfile.mkdtemp())
    (d / name).write_text(text)
    return d / name


def _unknown_names():
    """(params override, field, the known names the message lists) of each kind of name."""
    from holistic.attacks import ATTACKS
    from holistic.data.registry import names
    from holistic.verify import BOUNDS

    return {
        "study": ("studies:\n  nope:\n    datasets: [sklearn-iris]\n", "field 'studies.nope'", ", ".join(sorted(STUDIES))),
        "method": ("studies:\n  hdl:\n    methods: [DL, Nope]\n", "field 'studies.hdl.methods'",
                   ", ".join(STUDIES["hdl"].methods)),
        "data set": ("studies:\n  hdl:\n    datasets: [sklearn-iris, no-such-set]\n",
                     "field studies.hdl.datasets", ", ".join(names())),
        "attack": ("attack:\n  suite: {no-such: [test]}\n", "field 'attack.suite.no-such'", ", ".join(ATTACKS)),
        "ensemble member": ("attack:\n  ensemble: {members: [apgd-ce, apgd-xx]}\n",
                            "field 'attack.suite.ensemble': attack.ensemble.members", ", ".join(ATTACKS)),
        "bound": ("attack:\n  verify: [ibp, zonotope]\n", "field 'attack.verify'", ", ".join(BOUNDS)),
    }


@pytest.mark.parametrize("kind", ["study", "method", "data set", "attack", "ensemble member", "bound"])
def test_an_unknown_name_is_refused_at_load_with_the_file_the_field_and_the_known_names(kind):
    """Before any job starts (the Snakefile and the dvc.yaml generator call ``S.load``)."""
    text, field, known = _unknown_names()[kind]
    extra = _write(text, name="bad.yaml")
    with pytest.raises(ParamsError) as err:
        S.load([ROOT / "params.yaml", extra])
    message = str(err.value)
    assert message.startswith(f"{ROOT / 'params.yaml'} + {extra}: "), message
    assert field in message and message.endswith(f"known: {known}" if kind in ("study", "method", "data set")
                                                 else f"registered: {known}"), message


def test_the_train_job_refuses_an_unknown_attack_before_it_reads_any_data(tmp_path):
    """``dvc repro`` after an edit of params.yaml reaches the job without the spec: the job runs
    the spec's attack check itself, exits 2 with the file and the field, and writes nothing."""
    bad = _write("attack:\n  suite: {no-such: [test]}\n", name="bad.yaml")
    out = tmp_path / "out"
    res = subprocess.run([str(BIN / "python"), "stages/train.py", "--params", "params.yaml", "--params", str(bad),
                          "--study", "hdl", "--dataset", "sklearn-iris", "--method", "DL",
                          "--data", str(tmp_path / "missing.npz"), "--splits", str(tmp_path / "missing.npz"),
                          "--out", str(out / "m.safetensors"), "--log", str(out / "log.json"),
                          "--eval", str(out / "eval.json"), "--curves", str(out / "curves.csv")],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert res.returncode == 2, res.stderr[-2000:]
    assert f"error: params.yaml + {bad}: field 'attack.suite.no-such': unknown attack 'no-such'" in res.stderr
    assert not out.exists()


def test_published_split_mode_is_checked_per_data_set_before_any_job():
    # the default data sets: the sklearn sets have no published split, MNIST has its official one
    with pytest.raises(ParamsError, match=r"field 'split\.mode'.*'sklearn-iris' is not one of them"):
        S.load([ROOT / "params.yaml", _write("split:\n  mode: published\n")])
    with pytest.raises(ParamsError, match=r"split\.per_dataset\.mnist\.mode"):
        S.load([ROOT / "params.yaml", _write("split:\n  per_dataset:\n    mnist: {mode: published}\n")])
    uci = "run_studies: [hdl]\nstudies:\n  hdl:\n    datasets: [iris, wine]\nsplit:\n  mode: published\n"
    spec = S.load([ROOT / "params.yaml", _write(uci)])
    assert spec.study("hdl").datasets == ("iris", "wine")
    with pytest.raises(ParamsError, match=r"split\.max_test_rows.*every row"):
        S.load([ROOT / "params.yaml", _write(uci + "  max_test_rows: 10\n")])
    # the split job's params include the mode (dvc reruns the split when it changes)
    assert "split.mode" in [j for j in spec.jobs() if j[0] == "split@iris"][0][3]


def test_a_method_subset_keeps_table_order_and_shrinks_the_grid():
    spec = S.load([ROOT / "params.yaml", _write("studies:\n  hdl:\n    methods: [HDL, DL]\n")])
    assert spec.study("hdl").methods == ("DL", "HDL")
    names = [j[0] for j in spec.jobs()]
    assert "train_hdl_dl@sklearn-iris" in names and "train_hdl_robust@sklearn-iris" not in names


def test_method_datasets_restrict_a_method_to_some_data_sets_in_every_listing():
    """A user trains guo's LeNets on MNIST only: no job, eval file or dvc.yaml entry on 1 vs 7."""
    spec = S.load([ROOT / "params.yaml", ROOT / "workflow/profiles/guo/params.yaml"])
    guo = spec.study("guo")
    assert guo.datasets_of("linear") == ("mnist-1v7", "mnist")
    assert guo.datasets_of("lenet5") == ("mnist",)
    names = {j[0] for j in spec.jobs()}
    assert {"train_guo_linear@mnist-1v7", "train_guo_linear@mnist", "train_guo_lenet5@mnist"} <= names
    assert not any(n.endswith("@mnist-1v7") and "lenet" in n for n in names)
    assert sum(n.startswith("train_guo_") for n in names) == len(guo.pairs) == 2 + 8
    assert "results/guo/eval/mnist-1v7/lenet5.json" not in guo.evals
    assert len(guo.evals) == len(guo.train_logs) == len(guo.curves) == 10
    stages = yaml.safe_load(dvc_yaml(spec, tuple(spec.files)))["stages"]
    assert stages["train_guo_lenet5"]["foreach"] == ["mnist"]
    assert stages["train_guo_linear"]["foreach"] == ["mnist-1v7", "mnist"]


@pytest.mark.parametrize("text, reason", [
    ("studies:\n  guo:\n    method_datasets: {lenet9: [mnist-1v7]}\n", "unknown method 'lenet9'"),
    ("studies:\n  guo:\n    method_datasets: {linear: [mnist]}\n", "not in studies.guo.datasets"),
    ("studies:\n  sparsevlr:\n    datasets: [mnist, fashion-mnist]\n    methods: [PM-finetuned]\n"
     "    method_datasets: {dense: [mnist]}\n", "starts from 'dense'"),
])
def test_bad_method_datasets_are_refused_with_the_field(text, reason):
    with pytest.raises(ParamsError, match="method_datasets") as err:
        S.load([ROOT / "params.yaml", _write(text)])
    assert reason in str(err.value)


def test_job_grid_counts():
    spec = S.load([ROOT / "params.yaml"])
    names = [j[0] for j in spec.jobs()]
    n_d, n_m = 5, len(STUDIES["hdl"].methods)
    # each trains, then evaluates; params.yaml's DL replicate (DL@seed+1) is one more job a data set
    assert sum(n.startswith("train_hdl_") for n in names) == n_d * (n_m + 1)
    assert sum(n.startswith("train_hdl_dl_seed_1@") for n in names) == n_d
    assert not any(n.startswith("attack_") for n in names)
    assert len(names) == len(set(names))


def test_eval_files_follow_dataset_then_method_order():
    s = S.load([ROOT / "params.yaml"]).study("hdl")
    assert s.evals[:2] == ["results/hdl/eval/sklearn-iris/DL.json", "results/hdl/eval/sklearn-iris/Robust.json"]


def test_snakemake_lint_passes():
    res = subprocess.run([str(BIN / "snakemake"), "--lint"], cwd=ROOT, capture_output=True, text=True,
                         timeout=300, env={"PATH": f"{BIN}{os.pathsep}/usr/bin:/bin", "DVC_NO_ANALYTICS": "1", "HOME": str(ROOT)})
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]


def test_image_jobs_read_their_own_source_and_split_keys():
    spec = S.load([ROOT / "params.yaml"])
    keys = {name: k for name, _, _, k, _ in spec.jobs()}
    assert keys["fetch@mnist"] == ["data.mnist"] and keys["fetch@sklearn-iris"] == []  # bundled: no source
    assert "split.per_dataset.mnist" in keys["split@mnist"]
    assert "split.per_dataset.mnist" not in keys["split@sklearn-iris"]  # the MNIST slice never reruns iris


def test_a_study_model_is_checked_and_reaches_every_method_and_its_jobs():
    spec = S.load([ROOT / "params.yaml", _write("studies:\n  hdl:\n    model: lenet300\n")])
    s = spec.study("hdl")
    assert {s.method(m).model for m in s.methods} == {"lenet300"}
    train = {name: (k, code) for name, _, _, k, code in spec.jobs()}["train_hdl_dl@mnist"]
    assert "studies.hdl.model" in train[0] and "src/holistic/models/module.py" in train[1]
    with pytest.raises(ParamsError, match=r"studies\.hdl\.model.*'resnet'"):
        S.load([ROOT / "params.yaml", _write("studies:\n  hdl:\n    model: resnet\n")])


def test_each_data_sets_adversarial_radius_must_be_attacked():
    with pytest.raises(ParamsError, match=r"aggregate\.adversarial_eps.*0\.01.*fashion-mnist"):
        S.load([ROOT / "params.yaml", _write("studies:\n  hdl:\n    datasets: [fashion-mnist]\n"
                                             "attack:\n  eps: [0.1]\n")])


def test_a_profile_through_dvc_lists_each_key_under_the_files_that_set_it():
    profile = ROOT / "workflow/profiles/images/params.yaml"
    text = dvc_yaml(S.load([ROOT / "params.yaml", profile]), ("params.yaml", str(profile)))
    train = yaml.safe_load(text)["stages"]["train_hdl_hdl"]["do"]
    assert f"--params params.yaml --params {profile}" in train["cmd"]
    by_file = [p for p in train["params"] if isinstance(p, dict)][0]
    assert {"train.epochs", "train.grid.rho", "train.sparsity"} <= set(by_file[str(profile)])
    assert "train.epochs" in train["params"]  # set in params.yaml too: an edit of either reruns


def _jobs_and_pages(files, study="hdl"):
    """The job names of a run and the pages of its study's one report-page job."""
    spec = S.load(files)
    pages = [st for st in S.study_stages(spec.study(study)) if st.name == "html"]
    return {j[0] for j in spec.jobs()}, set(pages[0].inputs)


def test_the_policy_trees_run_only_where_their_features_are_measured():
    names, pages = _jobs_and_pages([ROOT / "params.yaml"])
    assert "policy_hdl" in names and {"table6", "trees"} <= pages
    images, image_pages = _jobs_and_pages([ROOT / "params.yaml", ROOT / "workflow/profiles/images/params.yaml"])
    assert "policy_hdl" not in images and not {"table6", "trees"} & image_pages  # 2 data sets, 2 radii
    assert {"images_hdl", "html_hdl"} <= images and "images" in image_pages


def test_a_studys_report_pages_are_one_job_with_every_page_and_its_caption():
    spec = S.load([ROOT / "params.yaml"])
    for s in spec.studies:
        stages = S.study_stages(s)
        pages = [st for st in stages if st.script == "stages/html_page.py"]
        assert len(pages) == 1 and pages[0].name == "html"
        page = pages[0]
        assert len(page.inputs) == len(page.outputs) >= len(S.TABLE_NAMES)
        for key, src in page.inputs.items():
            o = page.outputs[f"{key}_html"]
            assert o.path == src.rsplit(".", 1)[0] + ".html" and o.caption and o.category
    hdl = [st for st in S.study_stages(spec.study("hdl")) if st.name == "html"][0]
    assert hdl.outputs["rank_html"].path == "results/hdl/tables/rank.html"
    assert "{input.rank}" in hdl.args and "{output.rank_html}" in hdl.args


def test_the_attack_settings_are_checked_before_any_job():
    """The tables' attack must be a budgeted attack of the suite run on val and test; an unknown
    attack, member or bound is refused with its field; CROWN on a max-pooling CNN is refused."""
    load = lambda text: S.load([ROOT / "params.yaml", _write(text)])  # noqa: E731
    with pytest.raises(ParamsError, match=r"attack\.adversarial.*'fgsm'.*this suite's: pgd, ensemble$"):
        load("attack:\n  adversarial: fgsm\n")
    with pytest.raises(ParamsError, match=r"attack\.suite\.ensemble.*attack\.ensemble\.members.*'apgd-xx'"):
        load("attack:\n  ensemble: {members: [apgd-ce, apgd-xx]}\n")
    with pytest.raises(ParamsError, match=r"attack\.verify.*crown.*'alex'.*max-pooling"):
        load("studies:\n  hdl:\n    model: alex\n")
    assert load("studies:\n  hdl:\n    model: alex\nattack:\n  verify: [ibp]\n").study("hdl")


def test_an_attack_switched_off_by_a_later_file_is_not_run():
    from holistic.jobs.attack import suite

    params = load_params([ROOT / "params.yaml", _write("attack:\n  suite: {rfgsm: [], deepfool: [test]}\n")])
    assert [name for name, _, _ in suite(params)] == ["pgd", "ensemble", "fgsm", "deepfool"]


@pytest.mark.parametrize("profile", sorted(p.parent.name for p in (ROOT / "workflow/profiles").glob("*/params.yaml")))
def test_every_profile_validates_and_its_uci_sets_use_the_published_split(profile):
    from holistic.data import registry
    from holistic.data.splits import split_params

    spec = S.load([ROOT / "params.yaml", ROOT / "workflow/profiles" / profile / "params.yaml"])
    if profile in ("paper", "published", "uci"):  # the profiles compared with Tables A1-A4
        for d in spec.datasets:
            assert registry.get(d).source == "uci" and split_params(spec.params, d)["mode"] == "published", d
