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


def calico_doc(src: dict, dst: dict, port: int, *, action: str = "allow", t: int = 1710496800,
               nbytes: int = 100) -> dict:
    """One Calico flow-log document from ``src`` and ``dst``: the ``type``, ``namespace``,
    ``name``, ``name_aggr`` and ``ip`` of each end as felix writes them (``-`` for none)."""
    doc = {"start_time": t, "end_time": t + 300, "action": action, "proto": "tcp", "reporter": "src",
           "dest_port": port, "num_flows": 1, "bytes_in": nbytes, "bytes_out": 0}
    for prefix, ep in (("source", src), ("dest", dst)):
        for field in ("type", "namespace", "name", "name_aggr", "ip"):
            doc[f"{prefix}_{field}"] = ep.get(field, "-")
    return doc
