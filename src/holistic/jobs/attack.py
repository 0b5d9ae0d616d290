"""The attack job: every model of a model file measured by the attack suite, as an eval file."""

from __future__ import annotations

import sys

import torch

from ..attacks import lookup
from ..verify import lookup as verify_lookup
from ..checkpoint import load_models
from ..data.registry import DatasetInfo
from ..data.stacked import SplitTensors
from ..errors import ParamsError
from ..evaluation.run import evaluate_models, is_noisy, measurements, models_per_eval_chunk
from ..methods import ModelSpec
from ..models import MODELS
from ..progress import Progress
from ..records.evals import write_eval

PARTS = ("val", "test")


def check(params: dict, source: str = "params") -> None:
    """The attack section as the job runs it, checked before any job: every attack named in
    ``attack.suite`` registered and configurable (an ensemble's members included; one switched
    off with ``[]`` too), every bound of ``attack.verify`` registered, and ``attack.adversarial``
    a budgeted attack of the suite run on both parts. ParamsError naming ``source``, the field
    and the registered names otherwise. The workflow spec runs it when it loads the params files
    (before Snakemake or DVC starts a job), the train job before it trains."""
    attack = params["attack"]
    suite_ = attack["suite"]
    for name in suite_:
        try:
            lookup(name).from_params(attack)
        except ValueError as exc:
            raise ParamsError(f"{source}: field 'attack.suite.{name}': {exc}") from None
    try:
        bounds(params)
    except ValueError as exc:
        raise ParamsError(f"{source}: field 'attack.verify': {exc}") from None
    fit = [n for n, parts in suite_.items() if set(parts) == set(PARTS) and lookup(n).budgeted]
    if attack["adversarial"] not in fit:
        raise ParamsError(f"{source}: field 'attack.adversarial': {attack['adversarial']!r} must be a budgeted "
                          f"attack of attack.suite run on [val, test] (the tables select on val, report test); "
                          f"this suite's: {', '.join(fit) or 'none'}")


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
            device: str = "cpu", log=None, label: str = "") -> list[dict]:
    """Every model's tidy measurement rows (``holistic.records.evals``), with its grid entry
    (``ModelSpec.record``: a round model's round, kept share and early-stopping iteration too);
    the progress (models x measurements) reported on ``log``."""
    a = params["attack"]
    eps = a["eps"]  # the attack radii (params key ``attack.eps``; the eval file's ``eps``)
    model = MODELS[model_name]
    model_params = {n: p.to(device) for n, p in model_params.items()}
    split = torch.tensor([s.split for s in specs], device=device)
    attacks = suite(params)
    noisy = is_noisy(model, data)
    progress = Progress(len(specs) * measurements(attacks, eps, bounds(params), noisy), label, "eval", stream=log,
                        unit="model-measurement")
    rows = evaluate_models(model, model_params, data.to(device), split, attacks, eps,
                           a.get("seed", 0), models_per_eval_chunk(data, model, params["train"]["memory_budget_mb"]),
                           bounds(params), progress)
    progress.close()
    return [{**s.record(), "rows": r} for s, r in zip(specs, rows)]


def eval_header(params: dict, meta: dict, info: DatasetInfo) -> dict:
    """What an eval file says about its job: the data set, and every attack with its settings."""
    attacks = {name: {"norm": attack.norm, "budgeted": attack.budgeted, "parts": list(parts), **attack.settings()}
               for name, attack, parts in suite(params)}
    return {"study": meta["study"], "dataset": meta["dataset"], "method": meta["method"],
            "info": {"n": info.n, "p": info.p, "k": info.k, "paper_name": info.paper_name},
            "attacks": attacks, "adversarial": params["attack"]["adversarial"], "bounds": list(bounds(params)), "eps": params["attack"]["eps"]}


def run(params: dict, info: DatasetInfo, data: SplitTensors, model_path, out_path, log=sys.stderr) -> None:
    """The attack job: measure every model of a model file and write its eval file (progress on ``log``)."""
    model_params, specs, meta = load_models(model_path)
    models = measure(params, meta["model"], model_params, specs, data, log=log,
                     label=f"{meta['study']}/{meta['method']}")
    write_eval(out_path, eval_header(params, meta, info), models)
