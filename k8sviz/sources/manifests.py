"""Read Kubernetes objects from what users have on disk.

``kubectl get -A -o yaml|json`` output (``v1 List`` or typed lists such as ``PodList`` whose
items carry no ``kind``), multi-document YAML (GitOps repos, ``helm template`` output), single
objects, directories (recursive), gzip-compressed files, and k8sviz snapshot files.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import _yaml
from .._checks import is_input_dir
from .._text import as_written, kind_of
from ..errors import InputError
from ..model import LoadWarning

__all__ = ["MANIFEST_SUFFIXES", "Document", "InputFile", "expand_list", "read_path"]

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json", ".yaml.gz", ".yml.gz", ".json.gz")
_QUIET_SUFFIXES = (".md", ".txt", ".rst")

try:  # orjson parses large dumps several times faster than json.
    import orjson

    _json_loads: Callable[[bytes], Any] = orjson.loads
    _JSONError: tuple[type[Exception], ...] = (orjson.JSONDecodeError, ValueError)
except ImportError:  # pragma: no cover - orjson is a dependency
    _json_loads = json.loads
    _JSONError = (ValueError,)


@dataclass(frozen=True, slots=True)
class InputFile:
    path: str
    sha256: str


@dataclass(frozen=True, slots=True)
class Document:
    """One raw Kubernetes object and where it came from (``file#doc`` or ``file#doc.items[i]``)."""

    obj: dict[str, Any]
    where: str


def _read_bytes(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise InputError(f"cannot read file: {e.strerror}", source=str(path)) from None
    if path.name.endswith(".gz"):
        try:
            data = gzip.decompress(data)
        except EOFError:
            msg = "the gzip stream ends early: the file was cut short (a copy or download that stopped?)"
            raise InputError(msg, source=str(path)) from None
        except (OSError, zlib.error) as e:  # gzip.BadGzipFile is an OSError
            if not data.startswith(b"\x1f\x8b"):
                # Python's words were "Not a gzipped file (b'no')"
                msg = "not a gzip file, though named .gz (it does not start with gzip's bytes 1f 8b)"
                raise InputError(msg, source=str(path)) from None
            # zlib.error (a damaged deflate stream) was a traceback
            detail = str(e).rpartition("while decompressing data: ")[2]
            raise InputError(f"damaged gzip file ({detail})", source=str(path)) from None
    return data


def _parse(data: bytes, source: str) -> list[Any]:
    # Windows writes what kubectl prints with a byte-order mark: PowerShell 5's `>` as UTF-16,
    # `Out-File -Encoding utf8` as UTF-8 with a BOM, which PyYAML skips and JSON parsers refuse.
    if data.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")):
        wide = "UTF-32" if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")) else "UTF-16"
        msg = f"{wide} text, not UTF-8; convert it (iconv -f {wide} -t UTF-8) or write it as UTF-8"
        raise InputError(msg, source=source)
    data = data.removeprefix(b"\xef\xbb\xbf")
    head = data.lstrip()[:1]
    is_json_name = source.endswith((".json", ".json.gz"))
    if head in (b"{", b"["):
        try:
            obj = _json_loads(data)
        except _JSONError as e:
            if is_json_name:
                # orjson says a byte that is not UTF-8 is "surrogates not allowed" at line 1,
                # column 1, wherever it is: name the byte and its line, as for YAML.
                text = _decode(data, source)
                pos, line, column = (getattr(e, a, None) for a in ("pos", "lineno", "colno"))
                if isinstance(pos, int) and pos >= len(text.rstrip()):
                    # "unexpected end of data: line 1 column 61 (char 60)" of a dump cut short
                    # (a `kubectl get > x.json` stopped, a disk that filled) did not say so.
                    msg = (f"malformed JSON: the file ends before its document does (at line {line}, "
                           f"column {column}): was it cut short while written?")
                    raise InputError(msg, source=source) from None
                raise InputError(f"malformed JSON: {e}{_more_documents(data)}", source=source) from None
            # YAML is a superset of JSON in practice; let the YAML parser report the position.
        else:
            _refuse_a_key_given_twice(data, obj, source)
            return [obj]
    elif is_json_name and head:
        raise InputError("malformed JSON: the file does not start with '{' or '['", source=source)
    text = _decode(data, source)
    try:
        return list(_yaml.load_all(text))
    except _yaml.MarkedYAMLError as e:
        mark = e.problem_mark
        pos = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise InputError(f"malformed YAML{pos}: {e.problem or e}", source=source) from None
    except _yaml.YAMLError as e:
        raise InputError(f"malformed YAML: {e}", source=source) from None
    except (ValueError, TypeError, OverflowError) as e:  # from PyYAML's constructors, e.g. `!!int x`
        raise InputError(f"malformed YAML: a tagged value cannot be built ({e})", source=source) from None


def _refuse_a_key_given_twice(data: bytes, obj: Any, source: str) -> None:
    """An InputError naming a key that ``data`` (JSON, read as ``obj``) gives twice in one
    object: the JSON reader keeps the last value silently, where a YAML file's is refused
    (k8sviz._yaml) and the API server's strict field validation refuses it ("duplicate field")."""
    from .._repeated import document_repeated_key

    key = document_repeated_key(data, obj)
    if key is not None:
        msg = (f"malformed JSON: key {as_written(key)} is given twice in one object; which value "
               "holds cannot be told")
        raise InputError(msg, source=source)


def _more_documents(data: bytes) -> str:
    """What to do when ``data`` is one JSON document after another (its first line one whole
    document): JSON lines, as Hubble, Calico and Goldmane write flow logs, which a user gave as
    a cluster dump (``k8sviz info data/demo`` reads the demo's flow logs too), or dumps appended
    to one file. Empty when the first line is not a document by itself (a plain error)."""
    first, sep, _rest = data.lstrip().partition(b"\n")
    if not sep:
        return ""
    try:
        doc = _json_loads(first)
    except _JSONError:
        return ""
    if not isinstance(doc, dict | list):
        return ""
    return ("; it holds one JSON document a line (JSON lines), as flow logs do: give flow logs as flows "
            "(--flows, k8sviz flows, k8sviz.load_flows), and a cluster dump as one document (kubectl get "
            "... -o json writes one List)")


def _decode(data: bytes, source: str) -> str:
    """``data`` as UTF-8 text, or an InputError naming the first byte that is not and its line."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        msg = f"not UTF-8 text (byte 0x{data[e.start]:02x} at line {line}); save the file as UTF-8"
        raise InputError(msg, source=source) from None


def expand_list(
    doc: Any, where: str, warn: Callable[[LoadWarning], None]
) -> Iterator[Document]:
    """Yield the objects of one parsed document, expanding ``List`` and typed ``*List`` kinds."""
    if doc is None:  # empty document (Helm renders many)
        return
    if not isinstance(doc, dict):
        warn(LoadWarning("not-an-object",
                         f"document is {kind_of(doc)}, not a Kubernetes object; skipped", where))
        return
    kind = doc.get("kind")
    if isinstance(kind, str) and kind.endswith("List") and "items" in doc and not isinstance(
        doc["items"], list):
        items = doc["items"]
        if items is not None:  # null is how Go writes an empty list
            # Read as no items, it would pass for a successful read of none.
            raise InputError(f"malformed {kind}: items is {kind_of(items)}, not a list", source=where)
        return
    if isinstance(kind, str) and kind.endswith("List") and isinstance(doc.get("items"), list):
        item_kind = None if kind == "List" else kind[: -len("List")]
        api_version = doc.get("apiVersion")
        for i, item in enumerate(doc["items"]):
            if isinstance(item, dict) and item_kind and "kind" not in item:
                # Typed lists from the API server omit kind/apiVersion on their items.
                item = {"kind": item_kind, "apiVersion": item.get("apiVersion", api_version), **item}
            iw = f"{where}.items[{i}]"
            if _is_object(item):
                yield Document(item, iw)
            else:
                yield from expand_list(item, iw, warn)
        return
    if _is_object(doc):
        yield Document(doc, where)
    elif not isinstance(kind, str) or not isinstance(doc.get("apiVersion"), str):
        # A zones file given as a PATH (`k8sviz gaps snap.json zones.yaml`) was only "skipped":
        # the run went on without zones, their findings unchecked.
        hint = ("; it reads as a k8sviz zones file: give it with --zones (k8sviz.load_zones)"
                if isinstance(doc, dict) and isinstance(doc.get("zones"), dict) else "")
        warn(LoadWarning("not-kubernetes",
                         f"document has no kind/apiVersion; not a Kubernetes object, skipped{hint}", where))
    else:
        warn(LoadWarning("no-name", f"{kind} without metadata.name; skipped", where))


def _is_object(doc: Any) -> bool:
    """A single Kubernetes object: kind, apiVersion and a metadata.name (not a list)."""
    if not isinstance(doc, dict):
        return False
    kind, meta = doc.get("kind"), doc.get("metadata")
    return (
        isinstance(kind, str)
        and isinstance(doc.get("apiVersion"), str)
        and isinstance(meta, dict)
        and meta.get("name") not in (None, "")  # a name of another type is refused by the builder
        and not (kind.endswith("List") and isinstance(doc.get("items"), list))
    )


def _iter_files(root: Path, warn: Callable[[LoadWarning], None]) -> Iterator[Path]:
    """The files below ``root`` in ``os.walk`` order (a directory's files, then its
    subdirectories), names sorted, hidden ones left out.

    Symbolic links to directories are followed (a dump may be assembled from linked folders),
    except a link to a directory that holds it (a loop, or an ancestor of the link): that one is
    skipped with a ``symlink-loop`` warning.  A directory reached twice (two links to it) is
    read the first time only, as a file given twice is.
    """
    visited: set[str] = set()
    stack: list[tuple[Path, tuple[str, ...]]] = [(root, ())]
    while stack:
        d, chain = stack.pop()
        real = os.path.realpath(d)
        if chain and (real in chain or os.path.commonpath([real, chain[-1]]) == real):
            warn(LoadWarning("symlink-loop", f"a link to {real}, a directory that holds it: not followed "
                             "(it would loop)", str(d)))
            continue
        if real in visited:
            continue
        visited.add(real)
        try:
            with os.scandir(d) as it:
                entries = sorted((e.name, _is_dir(e)) for e in it if not e.name.startswith("."))
        except OSError as e:
            raise InputError(f"cannot read directory: {e.strerror}", source=str(d)) from None
        for name, is_dir in entries:
            if is_dir:
                continue
            p = d / name
            if name.endswith(MANIFEST_SUFFIXES):
                yield p
            elif not name.endswith(_QUIET_SUFFIXES):
                warn(LoadWarning("skipped-file", "not a .yaml/.yml/.json file; skipped", str(p)))
        subdirs = [d / name for name, is_dir in entries if is_dir]
        stack.extend((sub, (*chain, real)) for sub in reversed(subdirs))


def _is_dir(entry: os.DirEntry[str]) -> bool:
    """Whether ``entry`` is a directory or a link to one (as os.walk decides: an error says no,
    and reading it as a file then names the problem)."""
    try:
        return entry.is_dir()
    except OSError:
        return False


def read_path(
    path: str | os.PathLike[str], warn: Callable[[LoadWarning], None], *, skip: set[str] | None = None
) -> Iterator[tuple[InputFile, list[Any]]]:
    """Yield ``(file, parsed documents)`` for a file or every manifest below a directory.

    ``skip`` holds the real paths of files already read, and gets those read here: a file
    given twice (``a.yaml a.yaml``, or a directory and a file in it) is read once, or every
    object in it would be reported as its own duplicate.
    """
    p = Path(path)
    # A directory's files are found as they are read, so a warning about one of them (a file
    # skipped, a link not followed) comes between those of the files read before and after it.
    files: Iterator[Path] = _iter_files(p, warn) if is_input_dir(p) else iter([p])
    found = False
    for f in files:
        found = True
        if skip is not None:
            real = os.path.realpath(f)
            if real in skip:
                continue
            skip.add(real)
        data = _read_bytes(f)
        docs = _parse(data, str(f))
        if all(d is None for d in docs):
            # `kubectl get ... > pods.yaml` that failed (expired credentials, a typo) leaves an
            # empty file: read as nothing, its kind was "not in input" with nothing naming the file.
            warn(LoadWarning("empty-file", "no object in this file (it is empty, or holds only comments "
                             "and empty YAML documents): nothing read", str(f)))
        yield InputFile(str(f), hashlib.sha256(data).hexdigest()), docs
    if not found:  # a mistyped or empty dump directory would otherwise be an empty cluster
        warn(LoadWarning("no-input", "no .yaml, .yml or .json file (nor their .gz) in this directory "
                         "or below it: nothing read", str(p)))
