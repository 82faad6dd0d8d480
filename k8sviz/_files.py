"""File helpers: atomic writes that leave the permissions a plain ``open()`` would, and input
lists with each file once."""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

__all__ = ["atomic_open", "atomic_write", "each_once", "missing_directories", "output_problem"]


def each_once(files: list[Path]) -> list[Path]:
    """``files`` in order, each real file once: a file given twice (by another path, a
    symlink, or with its directory) is one input, or its content would count twice."""
    seen: set[str] = set()
    once: list[Path] = []
    for f in files:
        real = os.path.realpath(f)
        if real not in seen:
            seen.add(real)
            once.append(f)
    return once


def output_problem(path: str) -> str:
    """Why the file ``path`` (an ``-o`` value, not ``-``) cannot be written, or "": the rules of
    every ``-o`` (the ``k8sviz`` commands' and ``python -m k8sviz.synth``'s), said in one line
    before the inputs are read, as a report or a large cluster can take minutes to build.

    Missing directories are created when the file is written, as the library's writers
    (``k8sviz.report(output=...)``, ``Snapshot.save``...) create them; here they are created
    and removed again, so that one that cannot be made (no permission, a read-only file system)
    is said now rather than after the work, and a run that stops before writing leaves no
    empty directory (the command says which directory it created, see :func:`missing_directories`).
    A file where a directory belongs (``-o notes.txt/r.html``) is named: the write's own error
    said only "File exists" (of the directory it would have created).
    """
    if not path:  # an unset shell variable: "" would be read as the current directory
        return "-o: give a file name, or - for standard output"
    if os.path.isdir(path):
        return f"cannot write {path}: it is a directory (give a file name, or - for standard output)"
    parent = os.path.dirname(path)
    if not parent:
        return ""
    chain = missing_directories(path)
    ancestor = os.path.dirname(chain[0]) if chain else parent
    # The nearest of its directories that exists: a file there (or a link to none) is what stops
    # the write, however many directories below it are missing.
    if ancestor and os.path.lexists(ancestor) and not os.path.isdir(ancestor):
        return f"cannot write {path}: {ancestor} is not a directory"
    made: list[str] = []
    try:
        for d in chain:
            try:
                os.mkdir(d)
            except FileExistsError:
                if not os.path.isdir(d):  # made meanwhile by another process: used as made
                    raise
            else:
                made.append(d)
    except OSError as e:
        return f"cannot write {path}: cannot create the directory {d}: {e.strerror or e}"
    finally:
        for d in reversed(made):  # one another process filled meanwhile stays
            with contextlib.suppress(OSError):
                os.rmdir(d)
    return ""


def missing_directories(path: str | os.PathLike[str]) -> list[str]:
    """The directories of the file ``path`` that do not exist, outermost first (those writing
    it creates): the commands name them on stderr once they have written the file, so a
    mistyped directory (``-o reprots/r.html``) is seen, not made silently."""
    chain: list[str] = []
    d = os.path.dirname(os.fspath(path))
    while d and not os.path.lexists(d):
        if os.path.basename(d) not in (os.curdir, os.pardir):  # "new/..": new, once made
            chain.insert(0, d)
        if os.path.dirname(d) == d:
            break
        d = os.path.dirname(d)
    return chain


def atomic_write(target: Path, data: bytes, *, fsync: bool = False) -> None:
    """Write ``data`` to ``target`` through a temporary file in the same directory, renamed over it.

    Readers see the old file or the new one, never half of one; a failure leaves no temporary
    file behind.  Through a symlink, the file it points to is replaced (atomically); a
    non-regular file (a FIFO, a device) is written into, as ``open()`` would; a directory is an
    error naming it.  The new file gets the mode ``open(target, "w")`` would give it: an existing
    file's own mode, else 0666 less the umask (``tempfile.mkstemp`` would make it 0600, and an
    auditor's report or snapshot is meant to be shared).
    """
    with atomic_open(target, fsync=fsync) as f:
        f.write(data)


@contextlib.contextmanager
def atomic_open(target: Path, *, fsync: bool = False) -> Iterator[BinaryIO]:
    """A binary file to write ``target``'s new content into, as :func:`atomic_write` writes it:
    for content written piece by piece (``synth``'s YAML, line by line), which ``atomic_write``
    would need whole in memory first.  ``target`` is replaced only when the block ends without
    an exception; an exception leaves it as it was and no temporary file behind."""
    if target.is_dir():
        raise IsADirectoryError(f"{target} is a directory")
    if target.exists() and not target.is_file():
        # A FIFO, /dev/stdout: write into it as open() would; a rename would replace the
        # device with a regular file.  Asked before resolving links: /dev/stdout onto a pipe
        # resolves to "/proc/<pid>/fd/pipe:[...]", no path a file can be created next to.
        with open(target, "wb") as f:
            yield f
        return
    if target.is_symlink():
        # Renaming over a link would replace the link: replace the file it points to instead,
        # as atomically.
        target = Path(os.path.realpath(target))
    made = missing_directories(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd, tmp = _create_temporary(target)
    except BaseException:
        _remove_empty(made)
        raise
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            if fsync:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException as e:
        Path(tmp).unlink(missing_ok=True)
        # A write that fails leaves the file system as it found it: no empty directory that
        # looks as if the evidence went there.
        _remove_empty(made)
        if isinstance(e, OSError) and e.filename is None:
            # A failed write (a full disk, a file size limit) names no file; name the one asked
            # for, not the temporary one, which is gone.
            e.filename = str(target)
        raise


def _remove_empty(directories: list[str]) -> None:
    """Remove the directories this write created, innermost first; one that another process
    filled meanwhile is not empty, and stays."""
    for d in reversed(directories):
        with contextlib.suppress(OSError):
            os.rmdir(d)


def _create_temporary(target: Path) -> tuple[int, str]:
    existing: int | None = None
    with contextlib.suppress(OSError):
        st = os.stat(target)
        if stat.S_ISREG(st.st_mode):
            existing = stat.S_IMODE(st.st_mode)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        # A unique name: two writers of one target never mix their halves.
        tmp = str(target.parent / f".{target.name}.{secrets.token_hex(6)}.tmp")
        try:
            # The kernel applies the umask to 0o666, as it does for open().
            fd = os.open(tmp, flags, 0o666 if existing is None else existing)
        except FileExistsError:
            continue
        if existing is not None and hasattr(os, "fchmod"):
            with contextlib.suppress(OSError):  # the mode is a courtesy, not worth failing for
                os.fchmod(fd, existing)  # the umask narrowed it; open() keeps an existing file's mode
        return fd, tmp
    raise FileExistsError(f"no free temporary name next to {target}")
