from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("kubernetes")

sys.path.insert(0, str(Path(__file__).parent))
from apiserver import FakeAPIServer, make_tls

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def apiserver() -> Iterator[Any]:
    """A factory: ``apiserver(objects, tls=..., **kw)`` starts a loopback test API server."""
    started: list[FakeAPIServer] = []

    def make(objects: Any = (), *, tls: tuple[str, str] | None = None, **kw: Any) -> FakeAPIServer:
        srv = FakeAPIServer(objects, tls=tls, **kw).start()
        started.append(srv)
        return srv

    yield make
    for srv in started:
        srv.stop()


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, str]:
    return make_tls(tmp_path_factory.mktemp("tls"))
