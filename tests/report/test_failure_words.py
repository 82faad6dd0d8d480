"""A failed analysis is a limitation said in words, not by a Python exception's name."""

from __future__ import annotations

import errno
import html
import re

import pytest

import k8sviz
from k8sviz.report._failure import failure_text

_PYTHON_NAMES = re.compile(r"\b[A-Z][A-Za-z]*(?:Error|Exception)\b")


@pytest.mark.parametrize(("error", "said"), [
    (KeyError("pci"), "an entry it looks up is missing ('pci'); an error in k8sviz, not in the inputs"),
    (ValueError("bad port"), "a value it cannot use (bad port); an error in k8sviz"),
    (TypeError("'int' object is not iterable"), "a value of the wrong kind ('int' object is not iterable)"),
    (FileNotFoundError(errno.ENOENT, "No such file or directory", "/x/zones.yaml"),
     "a file it needs does not exist (/x/zones.yaml)"),
    (PermissionError(errno.EACCES, "Permission denied", "/x/f"), "permission denied (/x/f)"),
    (OSError(errno.EIO, "Input/output error"), "a file could not be read or written: Input/output error"),
    (MemoryError(), "the machine ran out of memory"),
    (RecursionError("maximum recursion depth exceeded"), "the input nests too deeply"),
    (ZeroDivisionError("division by zero"), "a number is out of range (division by zero)"),
    (RuntimeError(), "an unexpected failure; an error in k8sviz"),
    (k8sviz.InputError("zones.yaml: zone 'pci' has no selector"), "zones.yaml: zone 'pci' has no selector"),
])
def test_a_failure_is_said_in_words(error, said):
    text = failure_text(error)
    assert said in text
    assert not _PYTHON_NAMES.search(text), text


def _problems(page: str) -> list[str]:
    section = page.split('id="problems"', 1)[1].split("</section>", 1)[0]
    return [html.unescape(re.sub(r"<[^>]+>", "", li)) for li in re.findall(r"<li>(.*?)</li>", section, re.S)]


@pytest.mark.parametrize(("error", "said"), [
    (KeyError("pci"), "reachability: an entry it looks up is missing ('pci')"),
    (OSError(errno.ENOSPC, "No space left on device"), "reachability: a file could not be read or written: "
                                                       "No space left on device"),
])
def test_a_failed_analysis_is_a_limitation_in_words(monkeypatch, hostile_dump, capsys, error, said):
    def fail(*a, **k):
        raise error

    monkeypatch.setattr(k8sviz, "reachability", fail, raising=False)
    problems = _problems(k8sviz.report(hostile_dump, generated_at="x"))
    assert any(p.startswith(said) for p in problems), problems
    assert not any(_PYTHON_NAMES.search(p) for p in problems), problems
    assert "Error" not in capsys.readouterr().err  # the warning on standard error says it alike
