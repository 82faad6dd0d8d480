from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

import k8sviz

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def demo_snap():
    return k8sviz.demo()


@pytest.fixture(scope="session")
def demo_flows(demo_snap):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        df = k8sviz.load_flows(k8sviz.demo_path("flows"), snapshot=demo_snap)
    # The demo data loads cleanly but for the ring-buffer overflows it plants (data/demo/README.md).
    said = [str(w.message) for w in caught if issubclass(w.category, k8sviz.FlowWarning)]
    assert len(said) == 1 and "hubble.json.gz: Hubble lost 66 events between 2024-03-10" in said[0], said
    return df


def load(name: str, **kw):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        df = k8sviz.load_flows(DATA / name, **kw)
    return df, [str(w.message) for w in caught if issubclass(w.category, k8sviz.FlowWarning)]


def write_jsonl(tmp_path: Path, objs, name: str = "flows.jsonl") -> Path:
    """``objs`` as JSON lines in a new file under ``tmp_path``."""
    p = tmp_path / name
    p.write_text("".join(json.dumps(o) + "\n" for o in objs))
    return p
