"""Portable numerics' environment (holistic.numerics): what a portable process pins, and what a
native restart gives back. The end-to-end check (same bits whatever the caller's dispatch
settings) is tests/workflow/test_golden_hashes.py."""

import subprocess
import sys

import pytest

from holistic import numerics as N


def _fresh(env: dict, code: str) -> str:
    """Run ``code`` in a fresh interpreter that imports holistic.cli first, as every stage does."""
    r = subprocess.run([sys.executable, "-c", "from holistic import cli\n" + code], env=env,
                       capture_output=True, text=True, check=True)
    return r.stdout.strip()


def _clean(**extra):
    import os

    env = {k: v for k, v in os.environ.items()
           if k not in N.PORTABLE_ENVIRONMENT and not k.startswith(N.MODE_VARIABLE)}
    env.update(extra)
    return env


def test_a_stage_pins_every_variable_before_torch_and_numpy_load():
    out = _fresh(_clean(MKL_CBWR="AVX512"), "import os, holistic.numerics as n; "
                 "print(n.pinned_before_libraries, [os.environ[k] for k in n.PORTABLE_ENVIRONMENT])")
    assert out == f"True {list(N.PORTABLE_ENVIRONMENT.values())}"


@pytest.mark.skipif("avx2" not in open("/proc/cpuinfo").read(), reason="a CPU without AVX2 runs below the pin")
def test_torch_runs_at_the_pinned_capability():
    out = _fresh(_clean(ATEN_CPU_CAPABILITY="default"), "import torch; print(torch.backends.cpu.get_cpu_capability())")
    assert out == "AVX2"


def test_a_native_restart_gets_the_callers_values_back_and_unsets_the_rest():
    env = _clean(MKL_CBWR="AVX512")
    pinned = dict(env, HOLISTIC_NUMERICS="portable", MKL_CBWR="COMPATIBLE,STRICT", ATEN_CPU_CAPABILITY="avx2",
                  HOLISTIC_NUMERICS_SAVED_MKL_CBWR="AVX512", HOLISTIC_NUMERICS_SAVED_ATEN_CPU_CAPABILITY="(unset)")
    native = N.environment_for("native", pinned)
    assert native["MKL_CBWR"] == "AVX512" and "ATEN_CPU_CAPABILITY" not in native
    assert native[N.MODE_VARIABLE] == "native" and not any(k.startswith("HOLISTIC_NUMERICS_SAVED") for k in native)


def test_a_native_process_pins_nothing():
    out = _fresh(_clean(HOLISTIC_NUMERICS="native", MKL_CBWR="COMPATIBLE"),
                 "import os; print(os.environ.get('MKL_CBWR'), os.environ.get('ATEN_CPU_CAPABILITY'))")
    assert out == "COMPATIBLE None"


def test_params_in_the_mode_in_effect_do_not_restart_and_set_onednn(monkeypatch):
    import torch

    monkeypatch.setenv(N.MODE_VARIABLE, "native")
    monkeypatch.setattr(torch.backends.mkldnn, "enabled", False)
    N.apply({"numerics": "native"})
    assert torch.backends.mkldnn.enabled is True
    monkeypatch.setenv(N.MODE_VARIABLE, "portable")
    N.apply({"numerics": "portable"})
    assert torch.backends.mkldnn.enabled is False
    with pytest.raises(ValueError, match="numerics"):
        N.apply({"numerics": "fast"})


def test_intel_pins_mkls_avx2_branch_and_the_rest_as_portable():
    out = _fresh(_clean(HOLISTIC_NUMERICS="intel"), "import os, holistic.numerics as n; "
                 "print([os.environ[k] for k in n.PORTABLE_ENVIRONMENT])")
    assert out == str(["AVX2,STRICT", *list(N.PORTABLE_ENVIRONMENT.values())[1:]])


def test_a_restart_into_another_pinning_mode_starts_from_the_callers_values():
    pinned = dict(_clean(), HOLISTIC_NUMERICS="portable", MKL_CBWR="COMPATIBLE,STRICT",
                  HOLISTIC_NUMERICS_SAVED_MKL_CBWR="(unset)")
    intel = N.environment_for("intel", pinned)
    assert "MKL_CBWR" not in intel and intel[N.MODE_VARIABLE] == "intel"


def test_a_stage_starts_under_its_params_mode_without_a_restart(tmp_path):
    """The ``--params`` files' ``numerics`` is read before torch loads: no second start-up."""
    native = tmp_path / "native.yaml"
    native.write_text("numerics: native\n")
    code = ("import sys; sys.argv = ['stage', '--params', 'missing.yaml', '--params', %r]\n"
            "from holistic import cli, numerics as n; import os\n"
            "print(n.mode_in_effect(), os.environ.get('MKL_CBWR'))") % str(native)
    r = subprocess.run([sys.executable, "-c", code], env=_clean(MKL_CBWR="AVX512"), capture_output=True,
                       text=True, check=True)
    assert r.stdout.split() == ["portable", "COMPATIBLE,STRICT"]  # an unreadable file: the loader reports it
    code = code.replace("'missing.yaml', ", "")
    code = code.replace("'--params', '--params'", "'--params'")
    r = subprocess.run([sys.executable, "-c", code], env=_clean(MKL_CBWR="AVX512"), capture_output=True,
                       text=True, check=True)
    assert r.stdout.split() == ["native", "AVX512"]
