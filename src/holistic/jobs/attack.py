"""The attack job: every model of a model file measured by the attack suite, as an eval file."""

from __future__ import annotations

import torch

from ..attacks import lookup
from ..checkpoint import load_models
from ..data.registry import DatasetInfo
from ..data.stacked import SplitTensors
from ..evaluation.run import evaluate_models, models_per_eval_chunk
from ..methods import ModelSpec
from ..models import MODELS
from ..records.evals import write_eval

#: The attack suite of every eval file: (registered attack, parts it runs on), in run order.
SUITE: tuple[tuple[str, tuple[str, ...]], ...] = (("pgd", ("val", "test")), ("fgsm", ("test",)))


def suite(params: dict) -> list[tuple[str, object, tuple[str, ...]]]:
    """The attacks of :data:`SUITE`, configured from ``params["attack"]``."""
    return [(name, lookup(name).from_params(params["attack"]), parts) for name, parts in SUITE]


def measure(params: dict, model_name: str, model_params: dict, specs: list[ModelSpec], data: SplitTensors,
            device: str = "cpu") -> list[dict]:
    """Every model's tidy measurement rows (``holistic.records.evals``), with its grid entry."""
    a = params["attack"]
    model = MODELS[model_name]
    model_params = {n: p.to(device) for n, p in model_params.items()}
    split = torch.tensor([s.split for s in specs], device=device)
    rows = evaluate_models(model, model_params, data.to(device), split, suite(params), a["rho_test"],
                           a.get("seed", 0), models_per_eval_chunk(data, model, params["train"]["memory_budget_mb"]))
    return [{"config_id": s.config_id, "config": s.config, "split": s.split, "rows": r} for s, r in zip(specs, rows)]


def eval_header(params: dict, meta: dict, info: DatasetInfo) -> dict:
    """What an eval file says about its job: the data set, and every attack with its settings."""
    attacks = {name: {"norm": attack.norm, "budgeted": attack.budgeted, "parts": list(parts), **attack.settings()}
               for name, attack, parts in suite(params)}
    return {"study": meta["study"], "dataset": meta["dataset"], "method": meta["method"],
            "info": {"n": info.n, "p": info.p, "k": info.k, "paper_name": info.paper_name},
            "attacks": attacks, "eps": params["attack"]["rho_test"]}


def run(params: dict, info: DatasetInfo, data: SplitTensors, model_path, out_path) -> None:
    """The attack job: measure every model of a model file and write its eval file."""
    model_params, specs, meta = load_models(model_path)
    models = measure(params, meta["model"], model_params, specs, data)
    write_eval(out_path, eval_header(params, meta, info), models)
