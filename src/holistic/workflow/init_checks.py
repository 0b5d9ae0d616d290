"""The params check that draws, before any job, the models a procedure may refuse to start from
(``procedure.checks_init``: SparseVLR's random sparse seed, refused when dead by
:func:`holistic.procedures.sparse_seeds.check_seed`).

Each model of such a method's train jobs (the method's own and its replicates', on each of its
data sets) is initialised as its train job initialises it (:class:`holistic.train.grid.Grid`:
the data set's input shape and classes, the run's seed with the replicate's offset and the
model's split, the method's model, initialiser, settings and grid; no data read), and the
procedure's ``init_state`` runs on it: a refusal is a ParamsError naming the field and the
model, before any training starts. Init only, once per distinct model (methods that differ in
their loss alone, e.g. Table 6's, share their seeds): about 0.1 s a model of ``cnn_4layer``.

Core module: it imports no study (the jobs come from :func:`holistic.workflow.checks.check_studies`).
"""

from __future__ import annotations

import math

import torch

from ..config import has_key, method_train
from ..errors import ParamsError

#: The setting a refused seed names (the seed's rule; p is the grid's).
FIELD = "dynamic_sparse.seed_scope"


def input_shape(params: dict, dataset: str) -> tuple[int, ...]:
    """One input's shape as the train job's data have it (``SplitTensors.input_shape``): ``(p,)``
    for a table; images ``(C, H, W)``: IDX files ``(1, sqrt p, sqrt p)``, CIFAR-10 ``(3, 32, 32)``
    (``(1, 32, 32)`` with ``data.cifar10.grayscale``)."""
    from ..data import registry

    info = registry.get(dataset)
    if info.source == "cifar":
        return (1 if ((params.get("data") or {}).get("cifar10") or {}).get("grayscale") else 3, 32, 32)
    if info.image:
        side = math.isqrt(info.p)
        return (1, side, side)
    return (info.p,)


def check_inits(jobs, source: str = "params") -> None:
    """Every model of the train jobs of ``jobs`` (``holistic.workflow.grid.StudyJobs``) whose
    procedure ``checks_init``, initialised as its train job would; ParamsError (the field,
    the job and the model) where the procedure's ``init_state`` refuses it."""
    from ..data import registry
    from ..jobs.train import piece_sections, run_params
    from ..methods import base_method, model_grid
    from ..models.initialisers import init_models
    from ..procedures import PROCEDURES
    from ..train.grid import hyperparameters
    from ..train.pieces import configured, init_procedure_state
    from ..train.seeds import model_seed
    from ..data.splits import split_params

    names = [m for m in (*jobs.methods, *jobs.replicate_names)
             if getattr(PROCEDURES[jobs.study.methods[base_method(m)].procedure], "checks_init", False)]
    done = set()
    for name in names:
        rp = run_params(jobs.params, name, jobs.name)
        method = jobs.study.method(name, rp)
        settings = piece_sections(rp, method)
        model, procedure = (configured(p, settings, None) for p in (method.pieces()[0], method.pieces()[3]))
        initialiser = configured(method.training_pieces()[2], settings, None)
        mine = has_key(method_train(jobs.params, jobs.name, name) or {}, FIELD)
        field = f"studies.{jobs.name}.method_train.{base_method(name)}.{FIELD}" if mine else f"train.{FIELD}"
        for dataset in jobs.datasets_of(name):
            shape, k = input_shape(rp, dataset), registry.get(dataset).k
            specs = model_grid(method, rp["train"]["grid"], int(split_params(rp, dataset)["n_splits"]))
            drawn = {}
            for spec in specs:
                key = (method.model, method.initialiser, method.procedure, repr(sorted(settings.items())), dataset,
                       rp["seed"], spec.split, repr(sorted(spec.config.items())))
                if key in done:
                    continue
                done.add(key)
                if spec.split not in drawn:
                    gen = torch.Generator().manual_seed(model_seed(rp["seed"], spec.split))
                    drawn[spec.split] = init_models(model, shape, k, [gen], initialiser)
                params = {n: v.clone() for n, v in drawn[spec.split].items()}
                try:
                    init_procedure_state(procedure, params, model.prunable(params),
                                         hyperparameters(method, [spec], "cpu"), None, (model, shape))
                except ValueError as exc:
                    raise ParamsError(f"{source}: field '{field}': {exc} (train job {name!r} of study {jobs.name!r} "
                                      f"on {dataset!r}: split {spec.split}, {spec.config})") from None
