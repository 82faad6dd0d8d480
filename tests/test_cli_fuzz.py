"""A seeded fuzz of the command line: hostile edits of a small cut of the demo cluster never
end in a traceback, an exit status other than 0, 1 or 2, an error in Python's words rather than
the input's, or a silent empty answer.

It guards the defects a longer fuzz of every subcommand found: errors that named no field
("malformed object (AttributeError: 'str' object has no attribute 'get')"), a byte that is not
UTF-8 placed at line 1 of a JSON file, a txt table printed as nothing, and flow CSV records a
quote left open swallowed unsaid.  The cases are fixed (one seed each), so a failure names a
case that fails again.
"""

from __future__ import annotations

import copy
import json
import random
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from k8sviz._yaml import Dumper as KUBECTL_YAML
from k8sviz.cli import main
from k8sviz.sources.demo import demo_path

FLOWS_CSV = Path(__file__).parent / "flows" / "data" / "flows.csv"
#: Cells put in a flow CSV: quotes left open or closed mid-field, other types, extremes.
HOSTILE_CELLS = ['"', '",', '"a""b', 'x"y', "", "-1", "99999999999999999999", "nan", "1e400", "\x00",
                 "</script>", "=1+1", "2024-99-99", "65536", "::1", "0x50", "\ufeff", "a\rb", "TCP,UDP"]

#: Values put where the input had another: other types, extremes, hostile text.
HOSTILE: list[Any] = [
    None, True, 0, -1, 2**64, 1e308, "", [], {}, "x" * 3000, "\x00\x07\x1b[2J", "a\nb",
    "</script><script>alert(1)</script>", "\u202egnp", "=HYPERLINK(\"x\")", "10.0.0.0/33", "999.1.1.1",
    "::ffff:1.2.3.4/200", "65536", "In", "*", "\U0001f642", {"matchLabels": None}, [1, "x", None],
    {"matchExpressions": [{"key": "a", "operator": "In"}]}, [{"port": "x"}],
]
KINDS = ["Pod", "Service", "NetworkPolicy", "Namespace", "Node", "Deployment", "Ingress", "List", "Widget",
         ""]
CASES = 160
_DUMPER = KUBECTL_YAML  # libyaml's where present: ten times faster
#: Python's own exception names, and orjson's word for a byte that is not UTF-8: an error saying
#: one has not said what in the input is wrong, nor where.
PYTHON_WORDS = re.compile(r"\b(AttributeError|TypeError|KeyError|IndexError|Traceback|surrogates)\b")


def _small_demo() -> list[dict[str, Any]]:
    """The pci namespace of the demo and what reaches it from shop/frontend: every kind the
    loader reads, about forty objects."""
    objs: list[dict[str, Any]] = []
    for f in sorted(Path(demo_path("cluster")).iterdir()):
        text = f.read_text()
        docs = [json.loads(text)] if f.suffix == ".json" else list(yaml.safe_load_all(text))
        for d in docs:
            if "items" not in d:
                objs.append(d)
                continue
            typed = {"kind": d["kind"].removesuffix("List"), "apiVersion": d["apiVersion"]}  # PodList
            objs.extend({**typed, **item} for item in d["items"])
    keep = []
    for o in objs:
        meta = o["metadata"]
        ns, name = meta.get("namespace"), meta["name"]
        meta.pop("managedFields", None)  # bulk the loader drops unread: edits there test nothing
        if (o["kind"] in ("Namespace", "Ingress") or ns == "pci" or name.startswith("frontend")
                or (o["kind"] == "Node" and not any(k["kind"] == "Node" for k in keep))):
            keep.append(o)
    return keep


def _nodes(obj: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, Any]]:
    """Every (container, key) below ``obj``."""
    out: list[tuple[Any, Any]] = []
    items = obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, list) else ()
    for k, v in items:
        out.append((obj, k))
        out.extend(_nodes(v, (*path, k)))
    return out


def _mutate(rng: random.Random, objs: list[dict[str, Any]]) -> bytes:
    """One file of ``objs`` with one to three hostile edits, sometimes damaged as text too."""
    objs = copy.deepcopy(objs)
    for _ in range(rng.randint(1, 3)):
        obj = rng.choice(objs)
        op = rng.random()
        if op < 0.1:
            obj["kind" if rng.random() < 0.7 else "apiVersion"] = rng.choice(KINDS)
            continue
        container, key = rng.choice(_nodes(obj))
        if op < 0.65:
            container[key] = copy.deepcopy(rng.choice(HOSTILE))
        elif op < 0.8:
            del container[key]
        elif op < 0.9:
            container[key] = [container[key]]
        elif isinstance(container, dict):
            container[rng.choice(["", "a b", "</script>", "kind", "spec"])] = container.pop(key)
    if rng.random() < 0.5:
        data = yaml.dump_all(objs, Dumper=_DUMPER, allow_unicode=True).encode()
    else:
        data = json.dumps({"apiVersion": "v1", "kind": "List", "items": objs}).encode()
    damage = rng.random()
    if damage < 0.1:
        data = data[: rng.randrange(len(data))]
    elif damage < 0.2:
        flipped = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            flipped[rng.randrange(len(flipped))] = rng.randrange(256)
        data = bytes(flipped)
    return data


def _commands(path: str, out: str) -> list[list[str]]:
    zones = str(demo_path("zones.yaml"))
    return [
        ["info", path], ["snapshot", path, "-o", out], ["policies", path],
        ["connectivity", path], ["connectivity", path, "--format", "json", "--level", "pod"],
        ["isolation", path], ["explain", path, "--from", "shop/frontend", "--to", "pci/paymentservice",
                              "--port", "50051"],
        ["blast", path, "--from", "shop/frontend"], ["paths", path, "--to", "pci", "--zones", zones],
        ["segmentation", path, "--zones", zones], ["gaps", path, "--zones", zones],
    ]


def test_hostile_edits_of_the_demo_give_a_clear_answer_or_a_clear_error(tmp_path, capsys):
    rng = random.Random(20261128)
    base = _small_demo()
    assert 20 < len(base) < 80
    seen = set()
    for case in range(CASES):
        name = rng.choice(["cluster.yaml", "cluster.json"])
        path, out = tmp_path / f"{case}-{name}", tmp_path / f"{case}.k8sviz.json"
        path.write_bytes(_mutate(rng, base))
        argv = rng.choice(_commands(str(path), str(out)))
        try:
            code = main(argv)
        except SystemExit as e:  # argparse
            code = e.code
        said = capsys.readouterr()
        where = f"case {case}: k8sviz {' '.join(argv)}"  # pytest keeps tmp_path: the file can be read
        assert code in (0, 1, 2), (where, code, said.err)
        assert not PYTHON_WORDS.search(said.err), (where, said.err)
        errors = [line for line in said.err.splitlines() if line.startswith("k8sviz: error: ")]
        if code == 2:
            assert len(errors) == 1 and str(path) in errors[0], (where, said.err)
        else:
            assert not errors, (where, said.err)
        if code == 0:
            assert said.out.strip() or (out.exists() and out.stat().st_size), (where, said.err)
        seen.add((argv[0], code))
    # the cases reach past the loader: answers as well as errors, for most commands
    assert {c for c, code in seen if code == 0} >= {"info", "connectivity", "isolation", "gaps"}
    assert {c for c, code in seen if code == 2} >= {"info", "connectivity"}


def test_hostile_cells_of_a_flow_csv_lose_no_record_unsaid(tmp_path, capsys):
    """Every line of the file is a record or a counted problem: a quote left open swallowed the
    lines after it, as one 'truncated' record or (in an ignored column) as none."""
    rng = random.Random(1128)
    lines = FLOWS_CSV.read_text().splitlines()
    header, rows = lines[0], [line.split(",") for line in lines[1:]] * 2
    for case in range(40):
        edited = copy.deepcopy(rows)
        for _ in range(rng.randint(1, 3)):
            row = rng.choice(edited)
            row[rng.randrange(len(row))] = rng.choice(HOSTILE_CELLS)
        path = tmp_path / f"{case}.csv"
        path.write_text(header + "\n" + "\n".join(",".join(r) for r in edited) + "\n")
        assert main(["flows", str(path), "--format", "json"]) == 0, case
        said = capsys.readouterr()
        src = json.loads(said.out)["summary"]["sources"]["csv"]
        told = sum(src[k] for k in ("records", "malformed", "truncated", "bad_time", "non_flow"))
        assert told >= len(edited) and src["lines"] >= len(edited), (case, path.read_text(), src)


@pytest.mark.parametrize("command", ["info", "connectivity"])
def test_the_small_demo_itself_is_read_without_warnings(tmp_path, capsys, command):
    """The base of the fuzz is a clean cut: what the cases report comes from their edits."""
    path = tmp_path / "cluster.yaml"
    path.write_text(yaml.dump_all(Dumper=KUBECTL_YAML, documents=_small_demo()))
    assert main([command, str(path)]) == 0
    assert "load warning" not in capsys.readouterr().err
