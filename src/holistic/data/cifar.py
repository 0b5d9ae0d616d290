"""Read the CIFAR-10 binary distribution ``cifar-10-binary.tar.gz`` (numpy only, no pickle).

Format (https://www.cs.toronto.edu/~kriz/cifar.html): a gzip'd tar whose members
``cifar-10-batches-bin/data_batch_1.bin`` .. ``data_batch_5.bin`` (training, 10000
records each) and ``cifar-10-batches-bin/test_batch.bin`` (test) are sequences of
3073-byte records: one label byte (0..9), then 3072 pixel bytes, the 1024 red,
1024 green and 1024 blue values of a 32x32 image, each plane row-major.

The archive is read in memory (never extracted to disk) in one sequential pass;
only regular-file members with exactly those names are read. Checked: the archive
is an intact gzip'd tar (the gzip CRC-32 and length are verified), each wanted member is present once and is a regular
file, each batch is a non-empty whole number of records and every label is in
0..9. Every error is a :class:`~holistic.errors.DataError` naming the archive
(and member) and, inside a batch, the record and its byte offset.
"""

from __future__ import annotations

import io
import tarfile
import zlib

import numpy as np

from ..errors import DataError

MEMBERS_TRAIN = tuple(f"cifar-10-batches-bin/data_batch_{i}.bin" for i in range(1, 6))
MEMBER_TEST = "cifar-10-batches-bin/test_batch.bin"
RECORD = 3073
SIDE = 32
N_CLASSES = 10
LUMA_BT601 = (0.299, 0.587, 0.114)
_GRAY_CHUNK = 4096  # images per chunk in to_grayscale (bounds the float64 temporaries)


def read_batch(raw: bytes, where: str) -> tuple[np.ndarray, np.ndarray]:
    """Parse one batch file: ``(images uint8 (n, 3, 32, 32), labels int64 (n,))``."""
    n, rest = divmod(len(raw), RECORD)
    if rest:
        raise DataError(f"{where}: byte {n * RECORD}: record {n} is incomplete: "
                        f"{rest} of {RECORD} bytes (file length {len(raw)} is not a multiple of {RECORD})")
    if n == 0:
        raise DataError(f"{where}: byte 0: empty batch (no records)")
    records = np.frombuffer(raw, dtype=np.uint8).reshape(n, RECORD)
    labels = records[:, 0]
    bad = np.flatnonzero(labels >= N_CLASSES)
    if bad.size:
        i = int(bad[0])
        more = f" ({bad.size} records with a bad label in all)" if bad.size > 1 else ""
        raise DataError(f"{where}: byte {i * RECORD}: record {i}: label {labels[i]} "
                        f"is not in 0..{N_CLASSES - 1}{more}")
    images = np.ascontiguousarray(records[:, 1:]).reshape(n, 3, SIDE, SIDE)
    return images, labels.astype(np.int64)


def _read_members(raw_archive: bytes, where: str, names: tuple[str, ...]) -> dict[str, bytes]:
    """Bytes of the regular-file members ``names``, read in one pass over the archive."""
    wanted = set(names)
    found: dict[str, bytes] = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(raw_archive), mode="r:gz") as tf:
            for member in tf:
                if member.name not in wanted:
                    continue
                if member.name in found:
                    raise DataError(f"{where}: member {member.name} occurs more than once")
                if not member.isreg():
                    raise DataError(f"{where}: member {member.name} is not a regular file")
                f = tf.extractfile(member)
                data = f.read() if f is not None else b""
                if len(data) != member.size:
                    raise DataError(f"{where}: member {member.name}: read {len(data)} bytes, "
                                    f"its header says {member.size} (archive truncated)")
                found[member.name] = data
            # Read to the end of the gzip stream: tar iteration stops at the end-of-archive
            # blocks, before the gzip trailer, whose CRC-32 and length would go unchecked.
            while tf.fileobj.read(1 << 20):
                pass
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        # gzip.BadGzipFile is an OSError; truncation surfaces as EOFError or ReadError.
        raise DataError(f"{where}: corrupt or truncated archive, not an intact gzip'd tar "
                        f"(archive of {len(raw_archive)} bytes): {type(exc).__name__}: {exc}") from None
    missing = [name for name in names if name not in found]
    if missing:
        raise DataError(f"{where}: missing member {missing[0]}"
                        + (f" (and {len(missing) - 1} more: {', '.join(missing[1:])})" if len(missing) > 1 else ""))
    return found


def read_cifar10(raw_archive: bytes, where: str) -> dict[str, np.ndarray]:
    """Read ``cifar-10-binary.tar.gz`` from its bytes.

    Returns ``train_images`` uint8 (n, 3, 32, 32) and ``train_labels`` int64 (n,)
    (the five data batches concatenated in order 1..5), ``test_images`` and
    ``test_labels`` (the test batch). ``where`` names the archive in error messages.
    """
    members = _read_members(raw_archive, where, MEMBERS_TRAIN + (MEMBER_TEST,))
    train = [read_batch(members[name], f"{where}:{name}") for name in MEMBERS_TRAIN]
    test_images, test_labels = read_batch(members[MEMBER_TEST], f"{where}:{MEMBER_TEST}")
    return {
        "train_images": np.concatenate([im for im, _ in train]),
        "train_labels": np.concatenate([lab for _, lab in train]),
        "test_images": test_images,
        "test_labels": test_labels,
    }


def to_grayscale(images: np.ndarray) -> np.ndarray:
    """RGB ``uint8 (n, 3, H, W)`` to luma ``uint8 (n, 1, H, W)``.

    ITU-R BT.601 luma ``0.299 R + 0.587 G + 0.114 B``, evaluated in float64 in
    that order, rounded half to even (``np.rint``) and clipped to [0, 255].

    Why: Table A1 of the HDL paper lists CIFAR10 with p = 1024 input features
    (one 32x32 channel), while the published code loads the RGB images
    (p = 3072). Grayscale is the option that matches the table.
    """
    images = np.asarray(images)
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[1] != 3:
        raise ValueError(f"expected uint8 images of shape (n, 3, H, W), got {images.dtype} {images.shape}")
    r, g, b = LUMA_BT601
    out = np.empty((images.shape[0], 1) + images.shape[2:], dtype=np.uint8)
    for s in range(0, images.shape[0], _GRAY_CHUNK):
        x = images[s:s + _GRAY_CHUNK].astype(np.float64)
        y = r * x[:, 0] + g * x[:, 1] + b * x[:, 2]
        out[s:s + _GRAY_CHUNK, 0] = np.clip(np.rint(y), 0, 255)
    return out
