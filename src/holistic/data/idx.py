"""Read the IDX files of MNIST and Fashion-MNIST (numpy only: no torchvision, no pickle).

Format (http://yann.lecun.com/exdb/mnist/): a big-endian ``uint32`` magic number
``0x0000TTDD`` (``TT`` the data type, ``0x08`` = unsigned byte, the only type
accepted here; ``DD`` the number of dimensions), then one big-endian ``uint32``
per dimension, then the values in C order. Images have magic 2051
(``0x00000803``: ubyte, 3 dims ``n, rows, cols``), labels 2049 (``0x00000801``:
ubyte, 1 dim ``n``). The published files are gzip'd; raw (already decompressed)
bytes are read as well, the gzip magic ``1f 8b`` telling which is which.

Checked: the gzip stream is complete and intact (CRC-32 and length of every
member), the magic equals the expected one, the header is complete, the item
count equals the expected one (when given) and the payload is exactly the
product of the dimensions: no missing and no trailing bytes. Every error is a
:class:`~holistic.errors.DataError` naming the file and the byte offset of the
problem: in the compressed file for gzip errors, else in the decompressed stream.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

from ..errors import DataError

FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}
IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049

GZIP_MAGIC = b"\x1f\x8b"
UBYTE = 0x08
_CHUNK = 1 << 16  # compressed bytes fed to zlib per call


def _gunzip(raw: bytes, where: str) -> bytearray:
    """Decompress every gzip member of ``raw``; errors name the compressed byte offset."""
    out: list[bytes] = []
    pos = 0  # start of the current member
    while True:
        d = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # gzip wrapper: header, CRC-32, ISIZE
        start = pos
        while not d.eof and pos < len(raw):
            chunk = raw[pos:pos + _CHUNK]
            saved = d.copy()
            try:
                out.append(d.decompress(chunk))
            except zlib.error as exc:
                at = _locate_zlib_error(saved, chunk, pos)
                member = f", in the gzip member starting at byte {start}" if start else ""
                raise DataError(
                    f"{where}: byte {at}: corrupt gzip stream: {exc} (offset in the compressed "
                    f"file where zlib detected it; the damage may start earlier{member})") from None
            pos += len(chunk)
        if not d.eof:
            raise DataError(
                f"{where}: byte {len(raw)}: truncated gzip stream: the compressed file ends "
                f"after {len(raw)} bytes, before the end of the gzip member starting at byte {start} "
                "(compressed stream)")
        out.append(d.flush())
        pos -= len(d.unused_data)  # the end of this member (its last chunk may run past it)
        if pos == len(raw):
            return bytearray().join(out)
        if raw[pos:pos + 2] != GZIP_MAGIC:
            raise DataError(
                f"{where}: byte {pos}: {len(raw) - pos} trailing bytes after the gzip stream "
                "(offset in the compressed file)")


def _locate_zlib_error(d, chunk: bytes, base: int) -> int:
    """Offset of the compressed byte at which ``d`` (state before ``chunk``) fails."""
    for i in range(len(chunk)):
        try:
            d.decompress(chunk[i:i + 1])
        except zlib.error:
            return base + i
    return base + len(chunk)  # not reproduced byte-wise: report the end of the chunk


def read_idx(raw: bytes, where: str, magic: int, count: int | None = None) -> np.ndarray:
    """Parse one IDX file (gzip'd or raw bytes) into a ``uint8`` array.

    ``where`` names the file in error messages; ``magic`` is the expected magic
    number (:data:`IMAGES_MAGIC` or :data:`LABELS_MAGIC`); ``count``, when given,
    the expected number of items (first dimension). Returns shape ``(n, rows, cols)``
    for images, ``(n,)`` for labels.
    """
    if not 0 <= magic <= 0xFFFF or (magic >> 8) != UBYTE:
        raise ValueError(f"expected magic {magic:#010x} is not an IDX ubyte magic (0x000008DD)")
    gzipped = raw[:2] == GZIP_MAGIC
    data = _gunzip(raw, where) if gzipped else bytearray(raw)
    loc = " (offset in the decompressed stream)" if gzipped else ""

    if len(data) < 4:
        raise DataError(f"{where}: byte 0: truncated header: expected a 4-byte magic number, "
                        f"found {len(data)} bytes{loc}")
    (got,) = struct.unpack_from(">I", data, 0)
    if got != magic:
        hint = ""
        if got >> 16 == 0 and (got >> 8) & 0xFF != UBYTE:
            hint = f" (data type {(got >> 8) & 0xFF:#04x}, only ubyte {UBYTE:#04x} is accepted)"
        raise DataError(f"{where}: byte 0: bad magic {got} ({got:#010x}), expected {magic} "
                        f"({magic:#010x}){hint}")
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"{where}: byte 4: truncated header: expected {ndim} dimension sizes "
                        f"({4 * ndim} bytes), found {len(data) - 4} bytes{loc}")
    dims = struct.unpack_from(f">{ndim}I", data, 4)
    if count is not None and ndim and dims[0] != count:
        raise DataError(f"{where}: byte 4: {dims[0]} items, expected {count}")
    expected = 1
    for size in dims:
        expected *= size
    found = len(data) - header
    if found < expected:
        shape = " x ".join(map(str, dims))
        raise DataError(f"{where}: byte {header}: truncated data: expected {expected} bytes "
                        f"({shape}), found {found}{loc}")
    if found > expected:
        raise DataError(f"{where}: byte {header + expected}: {found - expected} trailing bytes "
                        f"after the {expected} bytes of data{loc}")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims)  # writable: bytearray
