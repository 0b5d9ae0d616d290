"""Portable numerics: the same params give the same bits on any x86-64 CPU with AVX2 (Intel or AMD).

Floating-point results depend on the code path each library picks for the CPU it runs on, not
only on the thread count. Measured on one AVX-512 machine (torch 2.13 CPU build, one thread):

- MKL (matrix products, ``exp`` / ``tanh`` through its vector library) changes bits with its
  branch. Its conditional numerical reproducibility fixes the branch: ``AVX2`` is documented to
  agree on Intel CPUs only (elsewhere MKL falls back to its automatic branch), ``COMPATIBLE`` on
  Intel and AMD alike, so portable numerics pin ``MKL_CBWR=COMPATIBLE,STRICT`` (the project's
  machines have been of both kinds).
- ATen's own vectorised kernels (Adam's update, elementwise ops) change bits with the CPU
  capability: ``ATEN_CPU_CAPABILITY=avx2`` fixes it.
- oneDNN (convolutions) changes bits with its ISA and documents run-to-run reproducibility only on
  identical hardware: under portable numerics its convolutions are off
  (``torch.backends.mkldnn.enabled = False``: ATen's own convolution through MKL's products) and
  its ISA capped at AVX2 (``ONEDNN_MAX_CPU_ISA``) for anything else that reaches it.
- numpy dispatches ``X86_V4`` (AVX-512) kernels at run time: ``NPY_DISABLE_CPU_FEATURES`` keeps it
  at ``X86_V3`` (AVX2).

Libraries read these variables when they load, so :func:`pin_environment` runs when
``holistic.cli`` is imported, which every stage script does before anything imports torch or
numpy, under the mode its ``--params`` files name (:func:`mode_from_argv`). ``numerics: native`` in params turns the pinning off (each library's fastest path, bitwise
reproducible on this machine only); ``numerics: intel`` pins the same but MKL's AVX2 branch (about
native speed; the same bits on Intel CPUs only). :func:`apply` restarts the stage's process once
if it still runs under another mode than its merged params'. Not portable in any mode: a
GPU, another torch / MKL / numpy build, another thread count, a CPU without AVX2 and FMA.
docs/numerics.md has the measured cost.
"""

from __future__ import annotations

import os
import sys

MODES = ("portable", "intel", "native")
#: The environment variable that says which mode this process was started under.
MODE_VARIABLE = "HOLISTIC_NUMERICS"
#: What portable numerics pins, read by each library when it loads.
PORTABLE_ENVIRONMENT = {
    "MKL_CBWR": "COMPATIBLE,STRICT",
    "ATEN_CPU_CAPABILITY": "avx2",
    "ONEDNN_MAX_CPU_ISA": "AVX2",
    "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR",
}
#: What each pinning mode sets: ``intel`` differs only in MKL's branch (AVX2: about native speed,
#: the same bits on Intel CPUs with AVX2 only, as MKL documents).
PINNED = {"portable": PORTABLE_ENVIRONMENT,
          "intel": {**PORTABLE_ENVIRONMENT, "MKL_CBWR": "AVX2,STRICT"}}
_SAVED = "HOLISTIC_NUMERICS_SAVED_"  # prefix: the caller's own value of a pinned variable
_UNSET = "(unset)"  # saved value of a variable the caller had not set

#: Whether the pinning happened before torch and numpy loaded (else it cannot take effect).
pinned_before_libraries: bool | None = None


def mode_in_effect() -> str:
    """The mode this process runs under: its ``HOLISTIC_NUMERICS`` (default portable)."""
    mode = os.environ.get(MODE_VARIABLE, "portable")
    return mode if mode in MODES else "portable"


def mode_from_argv(argv: list[str]) -> str | None:
    """The ``numerics`` of a stage's ``--params`` files (the last file that sets it), read before
    torch loads so that the process starts under it; None if none sets it or a file cannot be read
    (the params loader reports that, naming the file)."""
    import yaml

    files = [argv[i + 1] for i, a in enumerate(argv[:-1]) if a == "--params"]
    files += [a.split("=", 1)[1] for a in argv if a.startswith("--params=")]
    mode = None
    for path in files:
        try:
            with open(path) as f:
                data = yaml.safe_load(f)
        except (OSError, yaml.YAMLError):
            return None
        if isinstance(data, dict) and data.get("numerics") in MODES:
            mode = data["numerics"]
    return mode


def pin_environment(mode: str | None = None) -> None:
    """Under a pinning mode (portable, intel), set its :data:`PINNED` variables (the caller's own
    values are kept aside, to be given back to a restart). Runs once, at ``holistic.cli``'s import,
    with the mode its ``--params`` files name (else the environment's, else portable)."""
    global pinned_before_libraries
    if mode is not None and mode != mode_in_effect():
        env = environment_for(mode)
        for name in [k for k in os.environ if k not in env]:
            del os.environ[name]
        os.environ.update(env)
    mode = mode_in_effect()
    if mode not in PINNED:
        return
    pinned_before_libraries = not ({"torch", "numpy"} & set(sys.modules))
    for name, value in PINNED[mode].items():
        if _SAVED + name not in os.environ:
            os.environ[_SAVED + name] = os.environ.get(name, _UNSET)
        os.environ[name] = value
    os.environ[MODE_VARIABLE] = mode


def environment_for(mode: str, environ: dict | None = None) -> dict:
    """The environment a process needs to run under ``mode``, from this one's: the caller's own
    values back (the restarted process pins its mode's at ``holistic.cli``'s import)."""
    env = dict(os.environ if environ is None else environ)
    for name in PORTABLE_ENVIRONMENT:
        saved = env.pop(_SAVED + name, None)
        if saved is None:
            continue
        if saved == _UNSET:
            env.pop(name, None)
        else:
            env[name] = saved
    env[MODE_VARIABLE] = mode
    return env


def apply(params: dict) -> None:
    """Run under ``params["numerics"]``: restart this process under it if it started under the
    other mode (once: the restarted process finds its mode in effect); set torch's switches."""
    mode = params.get("numerics", "portable")
    if mode not in MODES:
        raise ValueError(f"numerics: {mode!r} is not one of {MODES}")
    if mode != mode_in_effect():
        sys.stdout.flush()
        sys.stderr.flush()
        os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], environment_for(mode))
    torch_switches(mode)


def torch_switches(mode: str) -> None:
    """oneDNN off under a pinning mode (its results are tied to the CPU), where torch is loaded."""
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.backends.mkldnn.enabled = mode == "native"
