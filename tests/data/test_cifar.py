"""CIFAR-10 binary reader, on small archives in the exact format written by the tests."""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path

import numpy as np
import pytest

from holistic.data.cifar import MEMBER_TEST, MEMBERS_TRAIN, RECORD, read_batch, read_cifar10, to_grayscale
from holistic.errors import DataError

DIR = "cifar-10-batches-bin"


def batch_bytes(images: np.ndarray, labels) -> bytes:
    """Records of 1 label byte + 3072 pixel bytes (R, G, B planes, row-major)."""
    images = np.ascontiguousarray(images, dtype=np.uint8).reshape(len(images), -1)
    labels = np.asarray(labels, dtype=np.uint8).reshape(-1, 1)
    return np.concatenate([labels, images], axis=1).tobytes()


def write_cifar10_archive(path, train, test, extra: dict[str, bytes] | None = None,
                          skip: tuple[str, ...] = ()) -> bytes:
    """Write a synthetic ``cifar-10-binary.tar.gz`` in the exact binary format; return its bytes.

    ``train``: five ``(images uint8 (n, 3, 32, 32), labels)``; ``test``: one such pair.
    ``extra`` replaces or adds members by name (raw bytes); ``skip`` leaves members out.
    Deterministic: members sorted, mtime 0, uid/gid 0, gzip header mtime 0.
    """
    members = {name: batch_bytes(*b) for name, b in zip(MEMBERS_TRAIN, train, strict=True)}
    members[MEMBER_TEST] = batch_bytes(*test)
    members[f"{DIR}/batches.meta.txt"] = "".join(
        f"{c}\n" for c in ("airplane", "automobile", "bird", "cat", "deer",
                           "dog", "frog", "horse", "ship", "truck")).encode()
    members.update(extra or {})
    for name in skip:
        members.pop(name)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tf:
        d = tarfile.TarInfo(DIR)
        d.type, d.mode, d.mtime = tarfile.DIRTYPE, 0o755, 0
        tf.addfile(d)
        for name in sorted(members):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(members[name]), 0o644, 0
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tf.addfile(info, io.BytesIO(members[name]))
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0) as gz:
        gz.write(buf.getvalue())
    raw = out.getvalue()
    if path is not None:
        Path(path).write_bytes(raw)
    return raw


def make_batches(seed: int = 0, n_train: int = 7, n_test: int = 4):
    rng = np.random.default_rng(seed)
    train = []
    for i in range(5):
        images = rng.integers(0, 256, size=(n_train, 3, 32, 32), dtype=np.uint8)
        labels = (np.arange(n_train) + 3 * i) % 10  # all of 0..9 occur across batches
        train.append((images, labels))
    test = (rng.integers(0, 256, size=(n_test, 3, 32, 32), dtype=np.uint8), np.array([9, 0, 5, 2]))
    return train, test


@pytest.fixture(scope="module")
def synthetic():
    train, test = make_batches()
    return train, test, write_cifar10_archive(None, train, test)


def test_archive_reads_back_exactly(synthetic, tmp_path):
    train, test, raw = synthetic
    path = tmp_path / "cifar-10-binary.tar.gz"
    assert write_cifar10_archive(path, train, test) == raw  # deterministic writer
    got = read_cifar10(path.read_bytes(), str(path))
    assert sorted(got) == ["test_images", "test_labels", "train_images", "train_labels"]
    assert got["train_images"].shape == (35, 3, 32, 32) and got["train_images"].dtype == np.uint8
    assert got["train_labels"].shape == (35,) and got["train_labels"].dtype == np.int64
    np.testing.assert_array_equal(got["train_images"], np.concatenate([im for im, _ in train]))
    np.testing.assert_array_equal(got["train_labels"], np.concatenate([lab for _, lab in train]))
    assert set(got["train_labels"].tolist()) == set(range(10))
    np.testing.assert_array_equal(got["test_images"], test[0])
    np.testing.assert_array_equal(got["test_labels"], [9, 0, 5, 2])


def test_record_layout_is_label_then_rgb_planes_row_major():
    rec = bytearray(RECORD)
    rec[0] = 7
    rec[1 + 0 * 1024 + 2 * 32 + 5] = 11   # red, row 2, col 5
    rec[1 + 1 * 1024 + 31 * 32 + 0] = 22  # green, row 31, col 0
    rec[1 + 2 * 1024 + 0 * 32 + 31] = 33  # blue, row 0, col 31
    images, labels = read_batch(bytes(rec), "one.bin")
    assert labels.tolist() == [7]
    assert images[0, 0, 2, 5] == 11 and images[0, 1, 31, 0] == 22 and images[0, 2, 0, 31] == 33
    assert int(images.sum()) == 66


def test_grayscale_matches_bt601_by_hand(synthetic):
    train, _, _ = synthetic
    images = train[0][0]
    gray = to_grayscale(images)
    assert gray.shape == (7, 1, 32, 32) and gray.dtype == np.uint8
    for n, i, j in [(0, 0, 0), (3, 17, 5), (6, 31, 31)]:
        r, g, b = (float(images[n, c, i, j]) for c in range(3))
        assert gray[n, 0, i, j] == round(0.299 * r + 0.587 * g + 0.114 * b)
    pure = np.zeros((4, 3, 1, 1), dtype=np.uint8)
    pure[0, 0] = 255  # red   -> 76.245 -> 76
    pure[1, 1] = 255  # green -> 149.685 -> 150
    pure[2, 2] = 255  # blue  -> 29.07 -> 29
    pure[3] = 255     # white -> 255 (weights sum to 1)
    assert to_grayscale(pure).ravel().tolist() == [76, 150, 29, 255]
    with pytest.raises(ValueError, match=r"\(n, 3, H, W\)"):
        to_grayscale(images[:, :1])


def test_batch_not_whole_records_names_member_and_offset(synthetic):
    train, test, _ = synthetic
    short = batch_bytes(*train[2])[:-100]  # record 6 of 7 loses 100 bytes
    raw = write_cifar10_archive(None, train, test, extra={MEMBERS_TRAIN[2]: short})
    with pytest.raises(DataError) as err:
        read_cifar10(raw, "c.tar.gz")
    msg = str(err.value)
    assert msg.startswith(f"c.tar.gz:{MEMBERS_TRAIN[2]}: byte {6 * RECORD}: record 6 is incomplete")
    assert f"{RECORD - 100} of {RECORD} bytes" in msg


def test_label_out_of_range_names_record(synthetic):
    train, test, _ = synthetic
    labels = np.array(test[1])
    labels[2] = 10
    raw = write_cifar10_archive(None, train, (test[0], labels))
    with pytest.raises(DataError, match=rf"^c\.tar\.gz:{MEMBER_TEST}: byte {2 * RECORD}: record 2: "
                                        r"label 10 is not in 0\.\.9"):
        read_cifar10(raw, "c.tar.gz")


def test_empty_batch_is_an_error():
    with pytest.raises(DataError, match=r"^e\.bin: byte 0: empty batch"):
        read_batch(b"", "e.bin")


def test_missing_member_is_named(synthetic):
    train, test, _ = synthetic
    raw = write_cifar10_archive(None, train, test, skip=(MEMBERS_TRAIN[3],))
    with pytest.raises(DataError, match=rf"^m\.tar\.gz: missing member {MEMBERS_TRAIN[3]}$"):
        read_cifar10(raw, "m.tar.gz")


def test_member_must_be_a_regular_file(synthetic):
    train, test, _ = synthetic
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for name in MEMBERS_TRAIN:
            data = batch_bytes(*train[0])
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo(MEMBER_TEST)
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tf.addfile(link)
    with pytest.raises(DataError, match=rf"^s\.tar\.gz: member {MEMBER_TEST} is not a regular file"):
        read_cifar10(gzip.compress(buf.getvalue()), "s.tar.gz")


@pytest.mark.parametrize("damage", ["garbage", "plain_tar", "truncated", "trailer_cut", "bad_crc"])
def test_corrupt_archive_is_a_data_error_naming_it(synthetic, damage):
    _, _, raw = synthetic
    if damage == "garbage":
        bad = b"this is not a gzip'd tar archive" * 10
    elif damage == "plain_tar":
        bad = gzip.decompress(raw)  # an uncompressed tar is not the published .tar.gz
    elif damage == "truncated":
        bad = raw[: len(raw) // 2]
    elif damage == "trailer_cut":  # all tar blocks present, gzip trailer (CRC, size) cut short
        bad = raw[:-3]
    else:
        bad = bytearray(raw)
        bad[-8] ^= 0x01
        bad = bytes(bad)
    with pytest.raises(DataError, match=r"^/data/cifar-10-binary\.tar\.gz: ") as err:
        read_cifar10(bad, "/data/cifar-10-binary.tar.gz")
    assert "corrupt or truncated archive" in str(err.value)


def test_cifar10_is_a_params_change_once_a_mirror_holds_the_archive(tmp_path):
    """fetch through data.cifar10 (mirror, sha256 of this copy, grayscale), as a user pointing
    the mirror at a real archive would; only the registry's n differs for a synthetic one."""
    import hashlib
    from dataclasses import replace

    from holistic.data import registry
    from holistic.data.fetch import fetch, load_dataset
    from holistic.data.splits import make_splits

    train, test = make_batches()
    raw = write_cifar10_archive(tmp_path / "cifar-10-binary.tar.gz", train, test)
    n = sum(len(b[1]) for b in train) + len(test[1])
    info = replace(registry.get("cifar10"), n=n)  # the real archive: 60,000 (registry.csv)
    source = {"mirror": str(tmp_path), "sha256": hashlib.sha256(raw).hexdigest()}
    fetch(info, source, tmp_path / "rgb.npz")
    rgb = load_dataset(tmp_path / "rgb.npz")
    assert rgb.X.shape == (n, 3, 32, 32) and rgb.X.dtype == np.uint8 and rgb.test_start == n - len(test[1])
    assert np.array_equal(rgb.X[-len(test[1]):], test[0]) and np.array_equal(rgb.y[-len(test[1]):], test[1])
    fetch(info, {**source, "grayscale": True}, tmp_path / "gray.npz")
    assert load_dataset(tmp_path / "gray.npz").X.shape == (n, 1, 32, 32)  # p = 1024, as Table A1
    s = make_splits(rgb.y, 1, 0.2, 0.2, 0, test_start=rgb.test_start)
    assert np.array_equal(s["test"], np.arange(rgb.test_start, n))  # the official test batch
    # the registry's checksum is the Toronto archive's: another copy without `sha256` is refused
    with pytest.raises(DataError, match="sha256 mismatch"):
        fetch(info, {"mirror": str(tmp_path)}, tmp_path / "x.npz")
    assert not (tmp_path / "x.npz").exists()
