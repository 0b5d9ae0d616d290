"""The recipe yardstick (``bench/recipe_yardstick.py``) as a smoke test: every training kind runs on
both sides with finite losses and the two sides train the same models (same initial weights, batch
order and random starts: they differ only in rounding); the evaluation's PGD and CROWN outputs of
the engine and of the vmapped recipe agree. Tiny data, G = 2, a few steps: seconds."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import recipe_yardstick as ry  # noqa: E402
from recipe_eval import CASES  # noqa: E402
from train_throughput import synthetic  # noqa: E402


def tiny() -> dict:
    return {"iris-sized": synthetic(96, 4, 3, ry.N_SPLITS), "spambase-sized": synthetic(64, 57, 2, ry.N_SPLITS),
            "mnist-sized": ry.images(64, (1, 28, 28), 10, ry.N_SPLITS, n_val=16)}


def run(tmp_path, kinds: str, *extra: str) -> dict:
    out = tmp_path / "recipe_yardstick.json"
    args = ry.parse(["--kinds", kinds, "--G", "2", "--repeats", "1", "--steps", "4", "--plain-models", "1",
                     "--out", str(out), *extra])
    result = ry.run(args, tiny())
    assert json.loads(out.read_text())["G"] == [2] and out.with_suffix(".md").exists()
    return result


@pytest.mark.parametrize("kind", list(ry.KINDS))
def test_each_kind_trains_the_same_models_on_both_sides(tmp_path, kind):
    result = run(tmp_path, kind)
    assert {r["kind"] for r in result["rows"]} == {kind}
    for r in result["rows"] + result["auto"]:
        assert all(r[k] > 0 and math.isfinite(r[k]) for k in ("engine_rate", "recipe_rate", "plain_rate"))
    for a in result["agreement"]:
        assert math.isfinite(a["engine_train_ce"]) and math.isfinite(a["recipe_train_ce"])
        assert a["train_ce_rel_diff"] < 1e-3 and a["param_rel_diff"] < 1e-3
        assert a["val_acc_equal_share"] == 1.0


def test_evaluation_outputs_agree(tmp_path):
    result = run(tmp_path, "eval", "--points", "8")
    rows = result["eval"]
    assert {(r["eval"], r["model"], r["data"]) for r in rows} == set(CASES)
    for r in rows:
        assert "skipped" not in r and r["engine_rate"] > 0 and r["recipe_rate"] > 0
        assert r["ok"], r
        if r["model"] == "mlp":  # the same kernels on both sides here: the same points and bounds
            assert r["max_abs_diff"] <= 1e-5 * max(1.0, r["scale"])


def test_cli_rejects_unknown_kinds():
    with pytest.raises(SystemExit):
        ry.parse(["--kinds", "dl,nope"])
