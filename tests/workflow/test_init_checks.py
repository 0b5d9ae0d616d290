"""The params check that initialises the models a procedure may refuse (issue 32: SparseVLR's dead
random seed), before any job: each train job's models drawn as the job draws them, a refusal a
ParamsError naming the field, the job, the layer, p and the kept counts."""

from pathlib import Path

import pytest

from holistic.config import load_params
from holistic.errors import ParamsError
from holistic.workflow.init_checks import input_shape
from holistic.workflow.spec import select

ROOT = Path(__file__).resolve().parents[2]
PARAMS = ROOT / "params.yaml"


def params_with(tmp_path, text: str) -> tuple[dict, str]:
    f = tmp_path / "over.yaml"
    f.write_text("run_studies: [sparsevlr]\n" + text)
    return load_params([PARAMS, f]), str(f)


def test_the_default_runs_per_layer_seed_passes_and_the_global_one_is_refused_before_any_job(tmp_path):
    """The default run's slice (RSM^T on the 784-128-128-10 MLP at p 99 %) runs with its per-layer
    seed; the paper's global seed keeps none of the first layer's 100,352 weights: refused by the
    params check, naming the field, the job and the layer."""
    assert [j.name for j in select(params_with(tmp_path, "")[0])] == ["sparsevlr"]
    params, f = params_with(tmp_path, "train:\n  dynamic_sparse: {seed_scope: global}\n")
    with pytest.raises(ParamsError) as err:
        select(params, f)
    msg = str(err.value)
    assert msg.startswith(f"{f}: field 'train.dynamic_sparse.seed_scope': the seed network of model 0 at p = 99 %")
    assert "W0 0 of 100,352" in msg and "keeps no weight of layer 'W0'" in msg
    assert "(train job 'RSM-T' of study 'sparsevlr' on 'mnist': split 0, {'lr': 0.01, 'target_sparsity': 99})" in msg


def test_a_methods_own_seed_rule_and_its_replicates_are_checked_too(tmp_path):
    """A method's own ``dynamic_sparse`` (``method_train``) is named as its field; a replicate is drawn
    with its own seed: cnn_4layer's per-layer seed at p 99 % keeps 1 of conv1's 128 weights,
    and under PyTorch's initialiser (the study's) no path at seed 0, refused though every layer keeps
    a weight; the ERK seed (the profiles') connects seed 0 and its replicate ``RSM-T@seed+2``."""
    slice_ = "studies:\n  sparsevlr:\n    datasets: [mnist]\n    model: {}\n    methods: [RSM-T]\n"
    params, f = params_with(tmp_path, slice_.format("mlp") +
                            "    method_train: {RSM-T: {dynamic_sparse: {seed_scope: global}}}\n")
    with pytest.raises(ParamsError, match=r"field 'studies\.sparsevlr\.method_train\.RSM-T\.dynamic_sparse\."
                                          r"seed_scope': .* \(train job 'RSM-T' "):
        select(params, f)
    erk = "train:\n  dynamic_sparse: {seed_scope: erk}\n"
    select(params_with(tmp_path, slice_.format("cnn_4layer") + "    replicates: {RSM-T: [2]}\n" + erk)[0])
    layerwise = "train:\n  dynamic_sparse: {seed_scope: layerwise}\n"
    params, f = params_with(tmp_path, slice_.format("cnn_4layer") + "    replicates: {RSM-T: [2]}\n" + layerwise)
    with pytest.raises(ParamsError, match=r"0\.weight 1 of 128.*no path of kept weights .*"
                                          r"\(train job 'RSM-T' of study 'sparsevlr' on 'mnist': split 0"):
        select(params, f)


def test_input_shapes_as_the_train_jobs_data_have_them():
    params = load_params([PARAMS])
    assert input_shape(params, "mnist") == (1, 28, 28) and input_shape(params, "fashion-mnist") == (1, 28, 28)
    assert input_shape(params, "cifar10") == (3, 32, 32)
    assert input_shape({**params, "data": {"cifar10": {"grayscale": True}}}, "cifar10") == (1, 32, 32)
    assert input_shape(params, "sklearn-iris") == (4,)
