"""Shared fixtures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from k8sviz._yaml import Dumper as KUBECTL_YAML  # strings kubectl would read as others are quoted


@pytest.fixture
def write(tmp_path: Path):
    """write(name, obj_or_list, fmt) -> Path: YAML (multi-doc for lists) or JSON.  The YAML
    quotes what kubectl would read as no string (``n``, ``y``, ``1e3``), as Go's writer does."""

    def _write(name: str, data: Any, fmt: str | None = None) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        fmt = fmt or ("json" if name.endswith(".json") else "yaml")
        if fmt == "json":
            path.write_text(json.dumps(data, indent=1))
        elif isinstance(data, list):
            path.write_text(yaml.dump_all(data, Dumper=KUBECTL_YAML, sort_keys=False))
        else:
            path.write_text(yaml.dump(data, Dumper=KUBECTL_YAML, sort_keys=False))
        return path

    return _write


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium (tests/report/conftest.py's CHROMIUM and ARGS), launched once per test
    module that uses it (the report's and the figures'); each test opens its page in a context of
    its own.  Not one for the session: while a sync Playwright runs, asyncio takes its loop for
    the thread's running loop, so a second Playwright, and asyncio.run() of a later test (a
    notebook kernel's client), would fail until it is closed."""
    sync_api = pytest.importorskip("playwright.sync_api")
    from tests.report.conftest import ARGS, CHROMIUM

    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


# Every message k8sviz writes while the tests run is read for Python's words ([True, None]
# where the user wrote [true, null]): see tests/message_net.py.

from tests.message_net import _message_constructors, pytest_runtest_setup, pytest_runtest_teardown  # noqa: E402

__all__ = ["_message_constructors", "pytest_runtest_setup", "pytest_runtest_teardown", "write"]
