"""The jobs of the platform as library calls, shared by the stage scripts and ``bench/``:
``holistic.jobs.train`` trains every model of one (study, data set, method);
``holistic.jobs.attack`` measures them. The two are separate modules so that a train job's
code never includes the evaluation code (an edit there reruns only the attack jobs).

A job receives the method as a composition (``holistic.methods.Method``); looking a
study's method up by name is the entry points' business (``holistic.studies``).
"""


def deterministic_torch(params: dict) -> None:
    """Fixed thread count and deterministic kernels: reruns give bitwise-identical results."""
    import torch

    torch.set_num_threads(params["threads"])
    torch.use_deterministic_algorithms(True)
