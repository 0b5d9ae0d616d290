"""The jobs of the platform as library calls, shared by the stage scripts and ``bench/``:
``holistic.jobs.train`` trains every model of one (study, data set, method);
``holistic.jobs.attack`` measures them. The two are separate modules so that a train job's
code never includes the evaluation code (an edit there reruns only the attack jobs).

A job receives the method as a composition (``holistic.methods.Method``); looking a
study's method up by name is the entry points' business (``holistic.studies``).
"""


def deterministic_torch(params: dict) -> None:
    """Fixed thread count and deterministic kernels: reruns give bitwise-identical results.

    ``torch.use_deterministic_algorithms(True)`` would also import ``torch._inductor`` just to set
    the compiler's own flag: 2-3 s of every job's start-up on 2 CPU cores (``python -X
    importtime``), for a compiler no job uses. The kernels' switch is set directly (and the
    compiler's flag as well where something has loaded it)."""
    import sys

    import torch

    from ..numerics import torch_switches

    torch.set_num_threads(params["threads"])
    torch_switches(params.get("numerics", "portable"))
    if not hasattr(torch._C, "_set_deterministic_algorithms"):  # another torch: the public call
        torch.use_deterministic_algorithms(True)
        return
    torch._C._set_deterministic_algorithms(True)
    inductor = sys.modules.get("torch._inductor.config")
    if inductor is not None:
        inductor.deterministic = True
