"""The lock (constraints.txt) is current: it pins every requirement of pyproject.toml within its
specifier, it was made from pyproject.toml's present dependency lists, and the environment the
tests run in is exactly the locked one (so what passes here is what a fresh install gets)."""

import importlib.metadata
import importlib.util
import tomllib

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from conftest import ROOT

LOCK = ROOT / "constraints.txt"
PYPROJECT = ROOT / "pyproject.toml"
# Installed but not locked: the project itself, and pip (`make setup` upgrades it before installing).
UNLOCKED = {"holistic", "pip"}


def _tool():
    spec = importlib.util.spec_from_file_location("holistic_lock_tool", ROOT / "tools" / "lock.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _pins(text):
    """{canonical name: version} of the lock's `name==version` lines."""
    pins = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        req = Requirement(line)
        specs = list(req.specifier)
        assert len(specs) == 1 and specs[0].operator == "==", \
            f"{LOCK.name}:{number}: {raw.strip()!r} is not an exact `name==version` pin: run `make lock`"
        name = canonicalize_name(req.name)
        assert name not in pins, f"{LOCK.name}:{number}: {req.name} is pinned twice"
        pins[name] = specs[0].version
    return pins


@pytest.fixture(scope="module")
def pins():
    return _pins(LOCK.read_text())


def _requirements():
    """(where, Requirement) for pyproject's dependencies and every extra's."""
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    yield from (("dependencies", Requirement(r)) for r in project["dependencies"])
    for extra, reqs in project["optional-dependencies"].items():
        yield from ((f"optional-dependencies.{extra}", Requirement(r)) for r in reqs)


def test_every_requirement_of_pyproject_is_pinned_within_its_specifier(pins):
    env = default_environment()
    for where, req in _requirements():
        if req.marker is not None and not req.marker.evaluate(env):
            continue
        name = canonicalize_name(req.name)
        assert name in pins, f"{LOCK.name}: {req.name} ({PYPROJECT.name} {where}) is not pinned: run `make lock`"
        assert req.specifier.contains(pins[name], prereleases=True), \
            f"{LOCK.name}: {req.name}=={pins[name]} does not satisfy {PYPROJECT.name} {where} {str(req)!r}: run `make lock`"


def test_lock_was_made_from_the_present_dependency_lists():
    tool = _tool()
    recorded = tool.recorded_fingerprint(LOCK.read_text())
    assert recorded is not None, f"{LOCK.name}: no '{tool.FINGERPRINT.strip()}' line in its header: run `make lock`"
    assert recorded == tool.fingerprint(PYPROJECT), (
        f"{LOCK.name} was made from other dependency lists than {PYPROJECT.name}'s "
        f"(fingerprint {recorded[:12]}, now {tool.fingerprint(PYPROJECT)[:12]}): run `make lock`")


def test_the_fingerprint_follows_every_dependency_list(tmp_path):
    """Editing the dependencies or any extra changes the fingerprint; the rest of pyproject does not."""
    tool = _tool()
    text = PYPROJECT.read_text()

    def fingerprint_after(old, new):
        assert old in text, f"{PYPROJECT.name} no longer has {old}: update this test"
        edited = tmp_path / "pyproject.toml"
        edited.write_text(text.replace(old, new, 1))
        return tool.fingerprint(edited)

    base = tool.fingerprint(PYPROJECT)
    assert fingerprint_after('"numpy>=1.26"', '"numpy>=1.27"') != base
    assert fingerprint_after('"dvc>=3"', '"dvc>=3.1"') != base
    assert fingerprint_after('version = "0.1.0"', 'version = "0.1.1"') == base


def test_torch_is_the_cpu_build_and_no_cuda_package_is_locked(pins):
    assert Version(pins["torch"]).release == (2, 13, 0), f"{LOCK.name}: torch=={pins['torch']}, not 2.13.0"
    cuda = sorted(n for n in pins if n.startswith("nvidia-") or n.startswith("cuda-") or n == "triton")
    assert not cuda, f"{LOCK.name} pins CUDA packages {cuda} (torch's CUDA build): lock with the CPU wheel"


def test_the_environment_is_exactly_the_locked_one(pins):
    installed = {}
    for dist in importlib.metadata.distributions():
        if dist.metadata["Name"]:  # the first on sys.path wins, as for import
            installed.setdefault(canonicalize_name(dist.metadata["Name"]), dist.version)
    unlocked = sorted(n for n in installed if n not in pins and n not in UNLOCKED)
    assert not unlocked, (f"installed but not in {LOCK.name}: {unlocked}; add them to pyproject.toml and run "
                          "`make lock`, or uninstall them (a clean venv: rm -rf .venv && make setup)")
    # `==2.13.0` matches the installed 2.13.0+cpu: PEP 440's rule, the one pip applies to constraints
    wrong = sorted(f"{n} {v} (locked {pins[n]})" for n, v in installed.items()
                   if n in pins and not SpecifierSet(f"=={pins[n]}").contains(v, prereleases=True))
    assert not wrong, (f"installed versions differ from {LOCK.name}: {wrong}; "
                       "install the lock: pip install -c constraints.txt -e '.[workflow,test,report,slurm]'")
