"""The attack job: every model of a model file measured by the attack suite, as an eval file."""

from __future__ import annotations

import torch

from ..attacks import lookup
from ..verify import lookup as verify_lookup
from ..checkpoint import load_models
from ..data.registry import DatasetInfo
from ..data.stacked import SplitTensors
from ..evaluation.run import evaluate_models, models_per_eval_chunk
from ..methods import ModelSpec
from ..models import MODELS
from ..records.evals import write_eval

PARTS = ("val", "test")


def suite(params: dict) -> list[tuple[str, object, tuple[str, ...]]]:
    """The attacks of ``attack.suite`` (registered attack -> the parts it runs on; ``[]``: not
    run), in that order, each configured from ``params["attack"]``; ValueError naming a bad entry."""
    out = []
    for name, parts in params["attack"]["suite"].items():
        if not parts:
            continue  # switched off ([]) by a later params file
        attack = lookup(name).from_params(params["attack"])
        bad = [p for p in parts if p not in PARTS]
        if bad:
            raise ValueError(f"attack.suite.{name}: parts {list(parts)}; each must be one of {', '.join(PARTS)}")
        out.append((name, attack, tuple(parts)))
    return out


def bounds(params: dict) -> tuple[str, ...]:
    """The verified bounds of ``attack.verify`` (registered in ``holistic.verify``), checked."""
    names = tuple(params["attack"].get("verify", ()))
    for name in names:
        verify_lookup(name)
    return names


def measure(params: dict, model_name: str, model_params: dict, specs: list[ModelSpec], data: SplitTensors,
            device: str = "cpu") -> list[dict]:
    """Every model's tidy measurement rows (``holistic.records.evals``), with its grid entry."""
    a = params["attack"]
    model = MODELS[model_name]
    model_params = {n: p.to(device) for n, p in model_params.items()}
    split = torch.tensor([s.split for s in specs], device=device)
    rows = evaluate_models(model, model_params, data.to(device), split, suite(params), a["rho_test"],
                           a.get("seed", 0), models_per_eval_chunk(data, model, params["train"]["memory_budget_mb"]),
                           bounds(params))
    return [{"config_id": s.config_id, "config": s.config, "split": s.split, "rows": r} for s, r in zip(specs, rows)]


def eval_header(params: dict, meta: dict, info: DatasetInfo) -> dict:
    """What an eval file says about its job: the data set, and every attack with its settings."""
    attacks = {name: {"norm": attack.norm, "budgeted": attack.budgeted, "parts": list(parts), **attack.settings()}
               for name, attack, parts in suite(params)}
    return {"study": meta["study"], "dataset": meta["dataset"], "method": meta["method"],
            "info": {"n": info.n, "p": info.p, "k": info.k, "paper_name": info.paper_name},
            "attacks": attacks, "adversarial": params["attack"]["adversarial"], "bounds": list(bounds(params)), "eps": params["attack"]["rho_test"]}


def run(params: dict, info: DatasetInfo, data: SplitTensors, model_path, out_path) -> None:
    """The attack job: measure every model of a model file and write its eval file."""
    model_params, specs, meta = load_models(model_path)
    models = measure(params, meta["model"], model_params, specs, data)
    write_eval(out_path, eval_header(params, meta, info), models)
