"""The jobs' torch settings: deterministic kernels and a fixed thread count, without paying the
compiler's import at every job's start."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHECK = """
import sys
sys.path.insert(0, 'src')
import torch
from holistic.jobs import deterministic_torch
deterministic_torch({'threads': 1})
assert torch.are_deterministic_algorithms_enabled()
assert not torch.is_deterministic_algorithms_warn_only_enabled()
assert torch.get_num_threads() == 1
assert 'torch._inductor' not in sys.modules, 'the compiler was imported'
print('ok')
"""


def test_deterministic_torch_sets_the_kernels_without_importing_the_compiler():
    out = subprocess.run([sys.executable, "-c", CHECK], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"

