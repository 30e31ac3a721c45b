#!/usr/bin/env python3
"""Checks that a Kiln model file (.kiln) is a valid safetensors file, from outside Kiln.

Prints every tensor's name, dtype and shape and the format/version of the Kiln metadata, and optionally
compares the tensors with an expectation file (--expect), a JSON object

    {"tensors": {"0.weight": {"dtype": "F32", "shape": [4, 3], "values": [...], "sha256": "..."}, ...},
     "kiln": {"format": "kiln-model", "version": 1}}

where every field is optional: "values" are the elements in row-major order (compared exactly), "sha256"
is the hex digest of the tensor's little-endian bytes.

Two readers:
  default    Python's `safetensors` package (with numpy), the reference implementation;
  --stdlib   an independent reader using only the standard library (struct, json, array), with the
             same structural checks as the reference: contiguous offsets covering the data exactly.

Exit status: 0 the file is valid (and matches --expect), 1 it is not, 2 `safetensors` is not installed
(without --stdlib) or the command line is wrong.
"""

import argparse
import array
import hashlib
import json
import struct
import sys

MAX_HEADER_BYTES = 100_000_000
# safetensors dtype -> (array typecode, bytes per element)
STDLIB_DTYPES = {"F64": ("d", 8), "F32": ("f", 4), "I32": ("i", 4), "I8": ("b", 1), "U8": ("B", 1)}


class InvalidFile(Exception):
    """The file is not a valid safetensors file."""


def read_stdlib(path):
    """Returns (tensors, metadata): tensors maps name -> (dtype, shape, values, raw bytes)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise InvalidFile(f"{len(data)} bytes, too short for the 8-byte header length")
    (header_length,) = struct.unpack("<Q", data[:8])
    if header_length > MAX_HEADER_BYTES:
        raise InvalidFile(f"header length {header_length} exceeds {MAX_HEADER_BYTES}")
    if 8 + header_length > len(data):
        raise InvalidFile(f"header of {header_length} bytes runs past the end of the {len(data)}-byte file")
    header_bytes = data[8 : 8 + header_length]
    if not header_bytes.startswith(b"{"):
        raise InvalidFile("the header does not start with '{'")
    try:
        header = json.loads(header_bytes.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise InvalidFile(f"the header is not UTF-8 JSON: {error}") from None
    if not isinstance(header, dict):
        raise InvalidFile("the header is not a JSON object")
    metadata = header.pop("__metadata__", {})
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise InvalidFile("__metadata__ must map names to strings")
    body = data[8 + header_length :]
    spans = []
    for name, entry in header.items():
        if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
            raise InvalidFile(f"tensor {name!r}: the entry must have exactly dtype, shape and data_offsets")
        dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
        if dtype not in STDLIB_DTYPES:
            raise InvalidFile(f"tensor {name!r}: dtype {dtype!r} is not one this reader knows")
        if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
            raise InvalidFile(f"tensor {name!r}: invalid shape {shape!r}")
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(isinstance(o, int) for o in offsets)):
            raise InvalidFile(f"tensor {name!r}: invalid data_offsets {offsets!r}")
        count = 1
        for d in shape:
            count *= d
        if offsets[1] - offsets[0] != count * STDLIB_DTYPES[dtype][1]:
            raise InvalidFile(f"tensor {name!r}: offsets {offsets} do not span {count} {dtype} values")
        spans.append((offsets[0], offsets[1], name))
    cursor = 0
    for begin, end, name in sorted(spans):
        if begin != cursor:
            raise InvalidFile(f"tensor {name!r} starts at {begin}, expected {cursor} (overlap or gap)")
        cursor = end
    if cursor != len(body):
        raise InvalidFile(f"the tensors cover {cursor} bytes of a {len(body)}-byte data section")
    tensors = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        raw = body[begin:end]
        values = array.array(STDLIB_DTYPES[entry["dtype"]][0])
        values.frombytes(raw)
        if sys.byteorder == "big":
            values.byteswap()
        tensors[name] = (entry["dtype"], list(entry["shape"]), values.tolist(), raw)
    return tensors, metadata


def read_reference(path):
    """Reads with Python's safetensors package; same result layout as read_stdlib."""
    from safetensors import safe_open  # noqa: PLC0415 (imported here so --stdlib works without it)

    tensors = {}
    try:
        with safe_open(path, framework="numpy") as f:
            metadata = f.metadata() or {}
            for name in f.keys():
                piece = f.get_slice(name)
                value = f.get_tensor(name)
                raw = value.astype(value.dtype.newbyteorder("<")).tobytes()
                tensors[name] = (piece.get_dtype(), list(piece.get_shape()), value.ravel().tolist(), raw)
    except Exception as error:  # the reference raises its own error types for invalid files
        raise InvalidFile(f"{type(error).__name__}: {error}") from None
    return tensors, metadata


def compare(tensors, kiln, expected):
    """Returns the list of differences between what was read and the expectation."""
    problems = []
    want_tensors = expected.get("tensors", {})
    if set(want_tensors) and set(want_tensors) != set(tensors):
        problems.append(f"tensor names differ: expected {sorted(want_tensors)}, found {sorted(tensors)}")
    for name, want in want_tensors.items():
        if name not in tensors:
            continue
        dtype, shape, values, raw = tensors[name]
        if "dtype" in want and want["dtype"] != dtype:
            problems.append(f"{name}: dtype {dtype}, expected {want['dtype']}")
        if "shape" in want and want["shape"] != shape:
            problems.append(f"{name}: shape {shape}, expected {want['shape']}")
        if "values" in want and want["values"] != values:
            wrong = next((i for i, (a, b) in enumerate(zip(values, want["values"])) if a != b), min(len(values), len(want["values"])))
            problems.append(f"{name}: values differ first at element {wrong}")
        if "sha256" in want and want["sha256"] != hashlib.sha256(raw).hexdigest():
            problems.append(f"{name}: sha256 differs")
    for key, want in expected.get("kiln", {}).items():
        if kiln.get(key) != want:
            problems.append(f"kiln metadata {key}: {kiln.get(key)!r}, expected {want!r}")
    return problems


def main():
    parser = argparse.ArgumentParser(description="Check a Kiln model file with an independent safetensors reader.")
    parser.add_argument("file")
    parser.add_argument("--stdlib", action="store_true", help="use the standard-library reader instead of the safetensors package")
    parser.add_argument("--expect", metavar="JSON", help="a JSON file of expected tensors and Kiln metadata fields")
    args = parser.parse_args()

    if args.stdlib:
        reader, name = read_stdlib, "stdlib reader"
    else:
        try:
            import safetensors  # noqa: F401, PLC0415
        except ImportError:
            print("the Python package 'safetensors' is not installed (pip install safetensors numpy); use --stdlib for the standard-library reader", file=sys.stderr)
            return 2
        reader, name = read_reference, f"safetensors {safetensors.__version__}"

    try:
        tensors, metadata = reader(args.file)
    except (InvalidFile, OSError) as error:
        print(f"{args.file}: invalid ({name}): {error}", file=sys.stderr)
        return 1
    print(f"{args.file}: {len(tensors)} tensors ({name})")
    for tensor_name in sorted(tensors):
        dtype, shape, _, _ = tensors[tensor_name]
        print(f"  {tensor_name}  {dtype}  {shape}")
    try:
        kiln = json.loads(metadata["kiln"])
        print(f"kiln metadata: format={kiln['format']} version={kiln['version']}")
    except (KeyError, TypeError, ValueError) as error:
        print(f"{args.file}: no valid Kiln metadata ({type(error).__name__}: {error})", file=sys.stderr)
        return 1

    if args.expect:
        with open(args.expect, encoding="utf-8") as f:
            expected = json.load(f)
        problems = compare(tensors, kiln, expected)
        for problem in problems:
            print(f"MISMATCH {problem}", file=sys.stderr)
        if problems:
            return 1
        print("matches the expectation")
    return 0


if __name__ == "__main__":
    sys.exit(main())
