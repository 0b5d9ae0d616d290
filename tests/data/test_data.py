"""Data registry, fetching (bundled, mirror, HTTP), strict parsing and the fetch stage."""

from __future__ import annotations

import functools
import os
import hashlib
import http.server
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import yaml

from holistic.data import registry
from holistic.data.fetch import fetch, load_dataset
from holistic.data.registry import DatasetInfo
from holistic.errors import DataError, ParamsError

ROOT = Path(__file__).resolve().parents[2]
UCI = ROOT.parent / "shared" / "data" / "uci"
needs_mirror = pytest.mark.skipif(not (UCI / "SHA256SUMS").is_file(), reason="../shared/data/uci not present")


def sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def no_tmp_left(out: Path) -> bool:
    return not out.exists() and not list(out.parent.glob("*.tmp"))


# ----------------------------------------------------------------------------- registry

def test_registry_counts_and_lookup():
    infos = [registry.get(n) for n in registry.names()]
    assert sum(i.source == "uci" for i in infos) == 45
    bundled = {i.name: i for i in infos if i.source == "bundled"}
    assert set(bundled) == {"sklearn-iris", "sklearn-wine", "sklearn-breast-cancer", "sklearn-digits"}
    assert bundled["sklearn-breast-cancer"].paper_name == "brst-cancer-ws-diag"
    assert bundled["sklearn-digits"].paper_name == "optical-recog-digits"
    iris = registry.get("iris")
    assert (iris.stem, iris.paper_name, iris.n, iris.p, iris.k) == ("iris", "iris", 150, 4, 3)
    assert registry.get("breast-cancer-wisconsin-diagnostic").paper_name == "brst-cancer-ws-diag"


def test_registry_unknown_name_names_field():
    with pytest.raises(ParamsError, match=r"unknown data set 'nope' \(field studies.<study>.datasets\); known: .*sklearn-iris"):
        registry.get("nope")


@needs_mirror
def test_registry_checksums_and_shapes_match_mirror():
    sums = {}
    for line in (UCI / "SHA256SUMS").read_text().splitlines():
        h, f = line.split()
        sums[f] = h
    for name in registry.names():
        info = registry.get(name)
        if info.source != "uci":
            continue
        assert info.sha256_x == sums[f"{info.stem}_X.csv"], name
        assert info.sha256_y == sums[f"{info.stem}_Y.csv"], name
        raw = (UCI / f"{info.stem}_X.csv").read_bytes()
        assert raw.count(b"\n") == info.n, name
        assert raw[: raw.index(b"\n")].count(b",") + 1 == info.p, name
        assert info.paper_n == info.n - 1, name  # Table A1 counts one row fewer throughout


# ----------------------------------------------------------------------------- bundled

@pytest.mark.parametrize("name", ["sklearn-iris", "sklearn-digits"])
def test_fetch_bundled_offline(tmp_path, name):
    info = registry.get(name)
    out = tmp_path / "raw" / f"{name}.npz"
    fetch(info, {"mirror": None, "url": None}, out)
    X, y, _ = load_dataset(out)
    assert X.dtype == np.float64 and y.dtype == np.int64
    assert X.shape == (info.n, info.p)
    assert set(np.unique(y)) == set(range(info.k))
    assert no_tmp_left(out.with_name("other.npz"))
    # byte-identical on a re-run (fixed zip timestamps)
    out2 = tmp_path / "again.npz"
    fetch(info, {}, out2)
    assert out.read_bytes() == out2.read_bytes()


# ----------------------------------------------------------------------------- mirror and HTTP

@pytest.fixture
def iris_mirror(tmp_path):
    if not (UCI / "iris_X.csv").is_file():
        pytest.skip("../shared/data/uci not present")
    d = tmp_path / "mirror"
    d.mkdir()
    for part in "XY":
        shutil.copy(UCI / f"iris_{part}.csv", d / f"iris_{part}.csv")
    return d


@pytest.fixture
def http_dir(monkeypatch):
    """Serve a directory over HTTP on 127.0.0.1; yields a function dir -> base URL."""
    for var in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    servers = []

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    def serve(directory: Path) -> str:
        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(directory)))
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        servers.append(srv)
        return f"http://127.0.0.1:{srv.server_address[1]}"

    yield serve
    for srv in servers:
        srv.shutdown()
        srv.server_close()


def test_fetch_mirror_and_http_agree(tmp_path, iris_mirror, http_dir):
    info = registry.get("iris")
    a, b = tmp_path / "a" / "iris.npz", tmp_path / "b" / "iris.npz"
    fetch(info, {"mirror": str(iris_mirror), "url": "http://unused.invalid/{stem}_{part}.csv"}, a)
    X, y, _ = load_dataset(a)
    assert X.shape == (150, 4) and sorted(np.unique(y)) == [0, 1, 2]
    assert np.array_equal(np.bincount(y), [50, 50, 50])
    base = http_dir(iris_mirror)
    fetch(info, {"mirror": None, "url": base + "/{stem}_{part}.csv"}, b)
    assert a.read_bytes() == b.read_bytes()


def test_http_404_names_url(tmp_path, iris_mirror, http_dir):
    base = http_dir(iris_mirror)
    url = base + "/missing/{stem}_{part}.csv"
    out = tmp_path / "out" / "iris.npz"
    out.parent.mkdir()
    with pytest.raises(DataError, match=r"http://127\.0\.0\.1:\d+/missing/iris_X\.csv: download failed: HTTP 404"):
        fetch(registry.get("iris"), {"url": url}, out)
    assert no_tmp_left(out)


def test_uci_without_source_is_params_error(tmp_path):
    with pytest.raises(ParamsError, match="data.uci.mirror or data.uci.url"):
        fetch(registry.get("iris"), {"mirror": None, "url": None}, tmp_path / "x.npz")


# ----------------------------------------------------------------------------- strict parsing

GOOD_X = b"1.0,2.0\n3.5,-4e2\n5,6\n"
GOOD_Y = b"7\n3\n7\n"


def tiny(tmp_path, x: bytes = GOOD_X, y: bytes = GOOD_Y, *, sha_x=None, sha_y=None, write=("X", "Y")):
    """A mirror dir holding tiny_X.csv / tiny_Y.csv and a registry entry whose checksums match."""
    d = tmp_path / "mirror"
    d.mkdir(exist_ok=True)
    if "X" in write:
        (d / "tiny_X.csv").write_bytes(x)
    if "Y" in write:
        (d / "tiny_Y.csv").write_bytes(y)
    info = DatasetInfo(name="tiny", source="uci", stem="tiny", paper_name=None, n=3, p=2, k=2,
                       sha256_x=sha_x or sha(x), sha256_y=sha_y or sha(y))
    out = tmp_path / "out" / "tiny.npz"
    out.parent.mkdir(exist_ok=True)
    return info, {"mirror": str(d)}, out


def test_tiny_good(tmp_path):
    info, uci, out = tiny(tmp_path)
    fetch(info, uci, out)
    X, y, _ = load_dataset(out)
    assert np.array_equal(X, [[1, 2], [3.5, -400], [5, 6]])
    assert y.tolist() == [1, 0, 1]  # re-coded in np.unique order (3 -> 0, 7 -> 1)


@pytest.mark.parametrize("x, y, pattern", [
    (b"1,2\n3,4,5\n5,6\n", GOOD_Y, r"tiny_X\.csv: line 2: 3 columns, expected 2"),
    (b"1,2\n3,4\n5,abc\n", GOOD_Y, r"tiny_X\.csv: line 3, column 2: not a number: 'abc'"),
    (b"1,2\n3,4\n5,\n", GOOD_Y, r"tiny_X\.csv: line 3, column 2: not a number: ''"),
    (b"1,2\n3,1_0\n5,6\n", GOOD_Y, r"tiny_X\.csv: line 2, column 2: not a number: '1_0'"),
    (b"1,2\nnan,4\n5,6\n", GOOD_Y, r"tiny_X\.csv: line 2, column 1: non-finite value 'nan'"),
    (b"1,2\n3,4\n5,inf\n", GOOD_Y, r"tiny_X\.csv: line 3, column 2: non-finite value 'inf'"),
    (GOOD_X, b"7\n3\n", r"tiny_X\.csv has 3 rows but .*tiny_Y\.csv has 2"),
    (GOOD_X, b"7,1\n3,1\n7,1\n", r"tiny_Y\.csv: labels must be one column, found 2"),
    (GOOD_X, b"1\nx\n1\n", r"tiny_Y\.csv: line 2, column 1: not a number: 'x'"),
])
def test_bad_csv(tmp_path, x, y, pattern):
    info, uci, out = tiny(tmp_path, x, y)
    with pytest.raises(DataError, match=pattern):
        fetch(info, uci, out)
    assert no_tmp_left(out)


def test_checksum_mismatch_before_parsing(tmp_path):
    # the content is unparseable too: the checksum must be reported first
    info, uci, out = tiny(tmp_path, b"garbage\n", sha_x="0" * 64)
    out.write_bytes(b"previous")
    with pytest.raises(DataError, match=r"tiny_X\.csv: sha256 mismatch: got [0-9a-f]{64}, registry has 0{64}"):
        fetch(info, uci, out)
    assert out.read_bytes() == b"previous"  # an existing output is left untouched
    assert not list(out.parent.glob("*.tmp"))


def test_missing_file_names_path(tmp_path):
    info, uci, out = tiny(tmp_path, write=("X",))
    with pytest.raises(DataError, match=r"mirror/tiny_Y\.csv: file not found"):
        fetch(info, uci, out)
    assert no_tmp_left(out)


def test_shape_disagreeing_with_registry(tmp_path):
    info, uci, out = tiny(tmp_path)
    info = DatasetInfo(**{**info.__dict__, "p": 3})
    with pytest.raises(DataError, match=r"parsed \(n, p, k\) = \(3, 2, 2\), registry has \(3, 3, 2\)"):
        fetch(info, uci, out)
    assert no_tmp_left(out)


def test_load_dataset_missing(tmp_path):
    with pytest.raises(DataError, match="nothere.npz: data file not found"):
        load_dataset(tmp_path / "nothere.npz")


# ----------------------------------------------------------------------------- stage script

def run_stage(*args):
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=60)


def params_file(tmp_path, **changes):
    p = yaml.safe_load((ROOT / "params.yaml").read_text())
    for dotted, value in changes.items():
        node = p
        *head, last = dotted.split(".")
        for key in head:
            node = node[key]
        node[last] = value
    f = tmp_path / "bad.yaml"
    f.write_text(yaml.safe_dump(p))
    return f


@pytest.mark.parametrize("change, field", [
    ({"studies.hdl.datasets": ["sklearn-iris", "no-such-set"]},
     r"unknown data set 'no-such-set' \(field studies.hdl.datasets\)"),
    ({"split.test_fraction": 2}, r"field 'split.test_fraction'"),
])
def test_fetch_stage_bad_params_exits_2(tmp_path, change, field):
    pf = params_file(tmp_path, **change)
    out = tmp_path / "raw" / "sklearn-iris.npz"
    r = run_stage("stages/fetch.py", "--params", str(pf), "--dataset", "sklearn-iris", "--out", str(out))
    assert r.returncode == 2, r.stderr
    assert re.search(field, r.stderr), r.stderr
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "raw").exists()


def test_fetch_and_split_stages(tmp_path):
    raw, sp = tmp_path / "raw" / "sklearn-wine.npz", tmp_path / "splits" / "sklearn-wine.npz"
    r = run_stage("stages/fetch.py", "--params", "params.yaml", "--dataset", "sklearn-wine", "--out", str(raw))
    assert r.returncode == 0, r.stderr
    assert "n=178 p=13 k=3" in r.stderr
    r = run_stage("stages/split.py", "--params", "params.yaml", "--dataset", "sklearn-wine",
                  "--data", str(raw), "--out", str(sp))
    assert r.returncode == 0, r.stderr
    from holistic.data.splits import load_splits
    s = load_splits(sp)
    n_splits = yaml.safe_load((ROOT / "params.yaml").read_text())["split"]["n_splits"]
    assert s["train"].shape[0] == s["val"].shape[0] == n_splits
    assert len(s["test"]) + s["train"].shape[1] + s["val"].shape[1] == 178


def test_relative_mirror_is_relative_to_the_dvc_root(tmp_path, iris_mirror, monkeypatch):
    """`dvc exp run --temp` runs a stage in a copy under .dvc/tmp/exps/ with DVC_ROOT set to the
    project: the default relative mirror (``../shared/...``) still finds the files."""
    project, elsewhere = tmp_path / "project", tmp_path / "project" / ".dvc" / "tmp" / "exps" / "run"
    elsewhere.mkdir(parents=True)
    rel = os.path.relpath(iris_mirror, project)
    monkeypatch.chdir(elsewhere)
    monkeypatch.delenv("DVC_ROOT", raising=False)
    with pytest.raises(DataError, match="file not found"):
        fetch(registry.get("iris"), {"mirror": rel}, tmp_path / "a.npz")
    monkeypatch.setenv("DVC_ROOT", str(project))
    fetch(registry.get("iris"), {"mirror": rel}, tmp_path / "a.npz")
    assert load_dataset(tmp_path / "a.npz")[0].shape == (150, 4)


MNIST = ROOT.parent / "shared" / "data" / "mnist"


@pytest.mark.skipif(not (MNIST / "SHA256SUMS").is_file(), reason="../shared/data/mnist not present")
def test_class_subset_mnist_1v7_reads_the_mnist_files_and_keeps_two_digits(tmp_path):
    """Guo et al.'s binary task: registry ``classes`` 1;7 over MNIST's files (section data.mnist)."""
    info = registry.get("mnist-1v7")
    assert (info.section, info.classes, info.k) == ("mnist", (1, 7), 2)
    fetch(info, {"mirror": str(MNIST)}, tmp_path / "b.npz")
    d = load_dataset(tmp_path / "b.npz")
    assert d.X.shape == (15170, 1, 28, 28) and d.test_start == 13007
    assert np.bincount(d.y).tolist() == [6742 + 1135, 6265 + 1028]  # digit 1 -> 0, digit 7 -> 1
