"""What a job asks a cluster for beyond its threads: the memory of a train job (Snakemake's
``mem_mb``).

Core module: it imports no study."""

from __future__ import annotations


#: Resident memory of a job's process before its data and models (Python, torch and the
#: libraries): about 400 MB measured (Snakemake benchmark files, quick profile), rounded up.
PROCESS_MB = 512


def train_mem_mb(params: dict, dataset: str, study: str | None = None, method: str | None = None) -> int:
    """Memory a train job asks a cluster for (Snakemake's ``mem_mb``): the process, the data set's
    stacked splits (every split holds all n rows, float32) and the model grid, which the engine
    trains (and evaluates) in chunks sized to ``train.memory_budget_mb`` (the method's own where
    ``studies.<study>.method_train`` sets it)."""
    from ..config import method_params
    from ..data import registry as datasets_registry
    from ..data.splits import split_params

    info = datasets_registry.get(dataset)
    data_mb = (split_params(params, dataset)["n_splits"] + 2) * info.n * info.p * 4 / 2**20
    if study is not None and method is not None:
        params = method_params(params, study, method)
    return int(PROCESS_MB + data_mb + params["train"]["memory_budget_mb"])
