"""``jupyter lab notebooks/``, as the README tells a user, serves the notebooks.

nbval runs the notebooks' cells; this starts the JupyterLab server itself (a real one, on a
free loopback port) and asks it for what a browser would: the Lab page, each notebook through
the contents API (the server validates it against nbformat), and the kernel the notebooks ask
for. Run at the versions the environment has, and in .ci/run at the floors of .ci/floors.txt.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("jupyterlab")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Lab:
    def __init__(self, url: str, token: str):
        self.url, self.token = url, token

    def get(self, path: str) -> tuple[int, bytes]:
        req = urllib.request.Request(self.url + path, headers={"Authorization": f"token {self.token}"})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    port, token = _free_port(), secrets.token_hex(16)
    home = tmp_path_factory.mktemp("jupyter-home")
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTER_RUNTIME_DIR": str(home / "run"),
           "JUPYTER_DATA_DIR": str(home / "data"), "HOME": str(home)}
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ip=127.0.0.1",
           f"--port={port}", "--port-retries=0", f"--ServerApp.token={token}",
           f"--ServerApp.root_dir={ROOT / 'notebooks'}"]
    log = home / "lab.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
    server = Lab(f"http://127.0.0.1:{port}", token)
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(f"jupyter lab exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
            try:
                if server.get("/api/status")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"jupyter lab did not answer in 120 s:\n{log.read_text()[-3000:]}")
            time.sleep(0.25)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_the_lab_page_is_served(lab: Lab) -> None:
    status, body = lab.get("/lab")
    assert status == 200 and b"JupyterLab" in body


def test_a_request_without_the_token_is_refused(lab: Lab) -> None:
    try:
        with urllib.request.urlopen(lab.url + "/api/contents", timeout=30) as r:
            status = r.status
    except urllib.error.HTTPError as e:
        status = e.code
    assert status == 403


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_notebook_opens_in_the_lab(lab: Lab, path: Path) -> None:
    status, body = lab.get(f"/api/contents/{path.name}?content=1&type=notebook")
    assert status == 200, body[:500]
    model = json.loads(body)
    assert model["type"] == "notebook" and model["format"] == "json"
    nb = model["content"]
    assert nb["nbformat"] == 4
    # The server marks a notebook that fails nbformat's schema; a valid one has no message.
    assert not model.get("message"), model.get("message")
    assert [c["source"] for c in nb["cells"]] == [
        "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
        for c in json.loads(path.read_text(encoding="utf-8"))["cells"]
    ]


def test_the_kernel_the_notebooks_ask_for_is_there(lab: Lab) -> None:
    status, body = lab.get("/api/kernelspecs")
    assert status == 200
    specs = json.loads(body)["kernelspecs"]
    wanted = {json.loads(p.read_text(encoding="utf-8"))["metadata"]["kernelspec"]["name"] for p in NOTEBOOKS}
    assert wanted and wanted <= set(specs), (wanted, sorted(specs))
