"""IDX reader: the real MNIST / Fashion-MNIST mirrors, a synthetic round trip, corruption."""

from __future__ import annotations

import gzip
import hashlib
import struct
from pathlib import Path

import numpy as np
import pytest

from holistic.data.idx import FILES, IMAGES_MAGIC, LABELS_MAGIC, read_idx
from holistic.errors import DataError

MIRRORS = Path(__file__).resolve().parents[3] / "shared" / "data"

COUNTS = {
    "mnist": {
        "train": [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949],
        "test": [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009],
    },
    "fashion-mnist": {"train": [6000] * 10, "test": [1000] * 10},
}
# The canonical md5s published with the data sets (yann.lecun.com, zalandoresearch/fashion-mnist).
CANONICAL_MD5 = {
    "mnist": {
        "train_images": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train_labels": "d53e105ee54ea40749a09fcbcd1e9432",
        "test_images": "9fb629c4189551a2d022fa330f9573f3",
        "test_labels": "ec29112dd5afa0611ce80d1b7f02629c",
    },
    "fashion-mnist": {
        "train_images": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train_labels": "25c81989df183df01b3e8a0aad5dffbe",
        "test_images": "bef4ecab320f06d8554ea6380940ec79",
        "test_labels": "bb300cfdad3c16e7a12a480ee83cd310",
    },
}


def idx_bytes(arr: np.ndarray) -> bytes:
    """Uncompressed IDX ubyte file holding ``arr`` (1 or 3 dims)."""
    arr = np.ascontiguousarray(arr, dtype=np.uint8)
    return struct.pack(f">I{arr.ndim}I", 0x0800 | arr.ndim, *arr.shape) + arr.tobytes()


def synthetic_images(n: int = 5, rows: int = 4, cols: int = 3, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(n, rows, cols), dtype=np.uint8)


# ----------------------------------------------------------------------------- real mirrors

@pytest.fixture(scope="module", params=["mnist", "fashion-mnist"])
def mirror(request):
    """Raw bytes and parsed arrays of one mirror, each file read once per module."""
    folder = MIRRORS / request.param
    if not (folder / "SHA256SUMS").is_file():
        pytest.skip(f"mirror {folder} not present (the shared/data mirrors are optional)")
    raw = {key: (folder / name).read_bytes() for key, name in FILES.items()}
    arrays = {
        key: read_idx(raw[key], str(folder / FILES[key]),
                      IMAGES_MAGIC if key.endswith("images") else LABELS_MAGIC,
                      count=60000 if key.startswith("train") else 10000)
        for key in FILES
    }
    return request.param, folder, raw, arrays


def test_mirror_checksums_match_sha256sums_and_canonical_md5(mirror):
    name, folder, raw, _ = mirror
    sums = {}
    for line in (folder / "SHA256SUMS").read_text().splitlines():
        if line.strip():
            digest, fname = line.split()
            sums[fname.lstrip("*")] = digest
    assert sorted(sums) == sorted(FILES.values())
    for key, fname in FILES.items():
        assert hashlib.sha256(raw[key]).hexdigest() == sums[fname], fname
        assert hashlib.md5(raw[key]).hexdigest() == CANONICAL_MD5[name][key], fname


def test_mirror_shapes_dtypes_and_class_counts(mirror):
    name, _, _, a = mirror
    assert a["train_images"].shape == (60000, 28, 28)
    assert a["test_images"].shape == (10000, 28, 28)
    assert a["train_labels"].shape == (60000,)
    assert a["test_labels"].shape == (10000,)
    for arr in a.values():
        assert arr.dtype == np.uint8
    for split in ("train", "test"):
        labels = a[f"{split}_labels"]
        assert labels.max() <= 9
        assert np.bincount(labels, minlength=10).tolist() == COUNTS[name][split]
    # Images are not blank: every image has ink and the full 0..255 range is used.
    assert a["train_images"].max() == 255 and a["train_images"].min() == 0
    assert (a["test_images"].reshape(10000, -1).max(axis=1) > 0).all()


def test_truncated_real_gzip_names_file_and_byte(mirror):
    _, folder, raw, _ = mirror
    path = str(folder / FILES["train_labels"])
    data = raw["train_labels"]
    cut = data[: len(data) // 2]
    with pytest.raises(DataError, match=r"byte \d+") as err:
        read_idx(cut, path, LABELS_MAGIC)
    assert path in str(err.value)
    assert f"byte {len(cut)}" in str(err.value) and "truncated" in str(err.value)


# ----------------------------------------------------------------------------- synthetic

def test_round_trip_gzip_and_raw():
    images = synthetic_images()
    labels = np.arange(5, dtype=np.uint8) % 10
    gz = gzip.compress(idx_bytes(images), mtime=0)
    got = read_idx(gz, "imgs.gz", IMAGES_MAGIC, count=5)
    assert got.dtype == np.uint8 and got.shape == (5, 4, 3)
    np.testing.assert_array_equal(got, images)
    np.testing.assert_array_equal(read_idx(idx_bytes(images), "imgs", IMAGES_MAGIC), images)
    np.testing.assert_array_equal(read_idx(gzip.compress(idx_bytes(labels)), "l.gz", LABELS_MAGIC), labels)
    got[0, 0, 0] ^= 1  # the result is an ordinary writable array
    assert got[0, 0, 0] != images[0, 0, 0]


def test_multi_member_gzip_is_concatenated():
    # Small and large (over 64 KiB compressed, several zlib feeds) first and second members.
    for images in (synthetic_images(), synthetic_images(n=300, rows=28, cols=28)):
        data = idx_bytes(images)
        for cut in (30, len(data) - 30):
            gz = gzip.compress(data[:cut], mtime=0) + gzip.compress(data[cut:], mtime=0)
            np.testing.assert_array_equal(read_idx(gz, "x.gz", IMAGES_MAGIC), images)


def test_wrong_magic_names_byte_0_and_both_magics():
    labels_file = gzip.compress(idx_bytes(np.zeros(3, dtype=np.uint8)))
    with pytest.raises(DataError, match=r"^lab\.gz: byte 0: bad magic 2049 .*expected 2051"):
        read_idx(labels_file, "lab.gz", IMAGES_MAGIC)


def test_non_ubyte_type_is_rejected():
    raw = struct.pack(">II", 0x0D01, 2) + b"\0" * 8  # float32 labels
    with pytest.raises(DataError, match=r"byte 0: bad magic 3329 .*expected 2049.*only ubyte"):
        read_idx(raw, "f.idx", LABELS_MAGIC)


def test_short_header_names_offset():
    with pytest.raises(DataError, match=r"h\.idx: byte 0: truncated header.*found 2 bytes"):
        read_idx(b"\0\0", "h.idx", LABELS_MAGIC)
    with pytest.raises(DataError, match=r"h\.idx: byte 4: truncated header: expected 3 dimension sizes "
                                        r"\(12 bytes\), found 5 bytes"):
        read_idx(idx_bytes(synthetic_images())[:9], "h.idx", IMAGES_MAGIC)


def test_truncated_payload_names_offset_16_and_lengths():
    raw = idx_bytes(synthetic_images())[:-7]  # 5*4*3 = 60 bytes expected, 53 present
    with pytest.raises(DataError) as err:
        read_idx(raw, "p/train-images-idx3-ubyte", IMAGES_MAGIC)
    msg = str(err.value)
    assert msg.startswith("p/train-images-idx3-ubyte: byte 16: truncated data")
    assert "expected 60 bytes" in msg and "found 53" in msg
    # Same in a gzip'd file: the offset is in the decompressed stream.
    with pytest.raises(DataError, match=r"byte 16: truncated data: expected 60 bytes .*found 53 "
                                        r"\(offset in the decompressed stream\)"):
        read_idx(gzip.compress(raw), "x.gz", IMAGES_MAGIC)


def test_trailing_bytes_are_an_error():
    raw = idx_bytes(synthetic_images()) + b"\x00\x01\x02"
    with pytest.raises(DataError, match=r"t\.idx: byte 76: 3 trailing bytes after the 60 bytes"):
        read_idx(raw, "t.idx", IMAGES_MAGIC)
    gz = gzip.compress(idx_bytes(synthetic_images())) + b"junk"
    with pytest.raises(DataError, match=r"t\.gz: byte \d+: 4 trailing bytes after the gzip stream"):
        read_idx(gz, "t.gz", IMAGES_MAGIC)


def test_count_mismatch_names_offset_4():
    with pytest.raises(DataError, match=r"c\.idx: byte 4: 5 items, expected 6"):
        read_idx(idx_bytes(synthetic_images()), "c.idx", IMAGES_MAGIC, count=6)


def test_truncated_synthetic_gzip_names_compressed_length():
    gz = gzip.compress(idx_bytes(synthetic_images(n=50)))
    for cut in (5, len(gz) // 2, len(gz) - 1):
        with pytest.raises(DataError, match=rf"^z\.gz: byte {cut}: truncated gzip stream"):
            read_idx(gz[:cut], "z.gz", IMAGES_MAGIC)


def test_corrupted_gzip_bytes_raise_data_error_with_offset():
    # Bytes flipped in the middle of the deflate data: caught (here by the CRC-32 check) as a
    # DataError, never as a raw zlib / gzip exception, at an offset at or after the damage.
    images = np.tile(np.arange(28, dtype=np.uint8), (400, 28, 1))
    gz = bytearray(gzip.compress(idx_bytes(images), mtime=0))
    mid = len(gz) // 2
    for i in range(mid, mid + 16):
        gz[i] ^= 0xFF
    with pytest.raises(DataError, match=r"^m\.gz: byte (\d+): corrupt gzip stream: .*"
                                        r"offset in the compressed file") as err:
        read_idx(bytes(gz), "m.gz", IMAGES_MAGIC)
    at = int(str(err.value).split("byte ")[1].split(":")[0])
    assert mid <= at < len(gz)


def test_corrupted_gzip_header_is_located():
    gz = bytearray(gzip.compress(idx_bytes(synthetic_images()), mtime=0))
    gz[2] = 0x07  # compression method: not deflate
    with pytest.raises(DataError, match=r"^h\.gz: byte [23]: corrupt gzip stream: .*unknown compression method"):
        read_idx(bytes(gz), "h.gz", IMAGES_MAGIC)


def test_corrupted_crc_is_detected():
    gz = bytearray(gzip.compress(idx_bytes(synthetic_images()), mtime=0))
    gz[-8] ^= 0x01  # first byte of the trailer's CRC-32; zlib checks it once all 4 are read
    with pytest.raises(DataError, match=rf"^c\.gz: byte {len(gz) - 5}: corrupt gzip stream: .*data check"):
        read_idx(bytes(gz), "c.gz", IMAGES_MAGIC)
