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


@pytest.fixture(scope="session")
def client_cert(tls_files: tuple[str, str, str]) -> tuple[str, str]:
    """A client certificate and key of the ``tls_files`` CA, for the user ``auditor``."""
    cert, key = Path(tls_files[0]).parent / "client.crt", Path(tls_files[0]).parent / "client.key"
    if not cert.exists():
        pytest.skip("client certificates are made with cryptography")
    return str(cert), str(key)
