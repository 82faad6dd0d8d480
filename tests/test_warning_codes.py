"""docs/warnings.md lists every code k8sviz emits, and nothing else.

The codes are read from the package's source with ``ast``: the first argument of each
``LoadWarning(...)`` call (load warnings and the policy engine's caveats) and of each
``problem(...)`` call (flow load problems: ``Report.problem`` and the helpers that pass a kind
on), resolved where it is no string constant: a module constant (``UNVALIDATED``), a local
assigned from constants (``code = "a" if ... else "b"``), or a parameter of a helper, taken from
the helper's callers in the same module (``calico_objects._warn(code, ...)``). What cannot be
resolved so copies a code from elsewhere (a stored snapshot's warnings, another report's
problems) and must be one of :data:`RELAYS`. Unmapped endpoint reasons are what
``Mapper._resolve`` and its helpers return beside an endpoint.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import k8sviz
from k8sviz.flows.mapping import known_reasons

PACKAGE = Path(k8sviz.__file__).resolve().parent
DOC = PACKAGE.parent / "docs" / "warnings.md"

#: Codes passed on, not made: (module, enclosing function, the argument as written).
RELAYS = {
    ("snapshot.py", "add_snapshot_file", "w['code']"),  # a snapshot file's stored warnings
    ("flows/__init__.py", "_detect", "p['kind']"),  # a probe report's problems, copied
    ("flows/__init__.py", "_read_all", "p['kind']"),
    ("flows/archive.py", "_locate", "p['kind']"),
    ("flows/_table.py", "iter_sse", "kind"),  # the lambda handed to _sse_events, which names them
}


@dataclass(frozen=True)
class Module:
    name: str  # relative to the package
    tree: ast.Module
    parents: dict[ast.AST, ast.AST]

    def scope(self, node: ast.AST) -> ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | None:
        while node in self.parents:
            node = self.parents[node]
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                return node
        return None

    def constants(self) -> dict[str, ast.expr]:
        return {t.id: n.value for n in self.tree.body if isinstance(n, ast.Assign)
                for t in n.targets if isinstance(t, ast.Name)}


def modules() -> list[Module]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text())
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        out.append(Module(path.relative_to(PACKAGE).as_posix(), tree, parents))
    return out


def _callee(call: ast.Call) -> str | None:
    f = call.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None


def _first(call: ast.Call, keyword: str) -> ast.expr | None:
    if call.args:
        return call.args[0]
    return next((k.value for k in call.keywords if k.arg == keyword), None)


def _resolve(mod: Module, expr: ast.expr, at: ast.AST, relayed: set[tuple[str, str, str]],
             depth: int = 0) -> set[str]:
    """The string constants ``expr``, written in ``at``'s scope, can be."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return {expr.value}
    if isinstance(expr, ast.Constant) and expr.value is None:  # no reason: an endpoint mapped
        return set()
    if isinstance(expr, ast.IfExp):
        return _resolve(mod, expr.body, at, relayed, depth) | _resolve(mod, expr.orelse, at, relayed, depth)
    scope = mod.scope(at)
    name = scope.name if isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef) else "<lambda>"
    outer = mod.scope(scope) if isinstance(scope, ast.Lambda) else None
    where = outer.name if isinstance(outer, ast.FunctionDef | ast.AsyncFunctionDef) else name
    key = (mod.name, where, ast.unparse(expr))
    if key in RELAYS:
        relayed.add(key)
        return set()
    assert depth < 5, f"{key}: cannot resolve"
    if isinstance(expr, ast.Name):
        if scope is not None:
            # The assignments written before the use (a later one, in a loop, gives another value).
            local = [n.value for n in ast.walk(scope) if isinstance(n, ast.Assign) and n.lineno <= expr.lineno
                     and any(isinstance(t, ast.Name) and t.id == expr.id for t in n.targets)]
            if local:
                return set().union(*(_resolve(mod, v, v, relayed, depth + 1) for v in local))
            params = [a.arg for a in scope.args.args]
            if expr.id in params and not isinstance(scope, ast.Lambda):
                i = params.index(expr.id)
                # A method is called as obj.name(...), a function by its name.
                kind = ast.Attribute if isinstance(mod.parents.get(scope), ast.ClassDef) else ast.Name
                callers = [c for c in ast.walk(mod.tree) if isinstance(c, ast.Call)
                           and isinstance(c.func, kind) and _callee(c) == scope.name]
                assert callers, f"{key}: no caller of {scope.name} in {mod.name}"
                found: set[str] = set()
                for c in callers:
                    arg = c.args[i] if i < len(c.args) else next(
                        (k.value for k in c.keywords if k.arg == expr.id), None)
                    if arg is not None:
                        found |= _resolve(mod, arg, c, relayed, depth + 1)
                return found
        value = mod.constants().get(expr.id)
        if value is not None:
            return _resolve(mod, value, value, relayed, depth + 1)
    raise AssertionError(f"{mod.name}: {ast.unparse(expr)} in {where}: not a code this test can read; "
                         "add it to RELAYS if it passes on a code made elsewhere")


def _calls(mod: Module, name: str) -> Iterator[ast.Call]:
    for node in ast.walk(mod.tree):
        if isinstance(node, ast.Call) and _callee(node) == name:
            yield node


def emitted_codes() -> dict[str, set[str]]:
    """``{"load": LoadWarning codes, "flow": flow problem kinds, "unmapped": reasons}``."""
    relayed: set[tuple[str, str, str]] = set()
    load: set[str] = set()
    flow: set[str] = set()
    unmapped: set[str] = set()
    for mod in modules():
        for call in _calls(mod, "LoadWarning"):
            arg = _first(call, "code")
            assert arg is not None, f"{mod.name}:{call.lineno}: LoadWarning without a code"
            load |= _resolve(mod, arg, call, relayed)
        if mod.name.startswith("flows/"):
            for call in _calls(mod, "problem"):
                arg = _first(call, "kind")
                if arg is not None:
                    flow |= _resolve(mod, arg, call, relayed)
        if mod.name == "flows/mapping.py":
            for node in ast.walk(mod.tree):
                if isinstance(node, ast.Return) and isinstance(node.value, ast.Tuple) and len(
                        node.value.elts) == 2 and isinstance(node.value.elts[0], ast.Tuple | ast.Call):
                    unmapped |= _resolve(mod, node.value.elts[1], node, relayed)
    assert relayed == RELAYS, f"RELAYS names sites that are gone: {RELAYS - relayed}"
    return {"load": load, "flow": flow, "unmapped": unmapped}


@pytest.fixture(scope="module")
def emitted() -> dict[str, set[str]]:
    return emitted_codes()


def documented() -> dict[str, list[str]]:
    """The entries of docs/warnings.md (``- `code`: ...`` lines), by what they are: the flow
    problems and unmapped reasons in their subsections of "Loading flows", load warnings and
    caveats everywhere else."""
    out: dict[str, list[str]] = {"load": [], "flow": [], "unmapped": []}
    h2 = h3 = ""
    for line in DOC.read_text().splitlines():
        if line.startswith("## "):
            h2, h3 = line[3:], ""
        elif line.startswith("### "):
            h3 = line[4:]
        elif m := re.match(r"- `([^`]+)`:", line):
            if h2 == "Loading flows":
                out[{"Problems": "flow", "Unmapped endpoints": "unmapped"}[h3]].append(m.group(1))
            else:
                out["load"].append(m.group(1))
    return out


@pytest.mark.parametrize("what", ["load", "flow", "unmapped"])
def test_every_code_emitted_is_documented(emitted, what):
    missing = emitted[what] - set(documented()[what])
    assert not missing, f"codes with no entry in docs/warnings.md: {sorted(missing)}"


@pytest.mark.parametrize("what", ["load", "flow", "unmapped"])
def test_every_documented_code_is_emitted(emitted, what):
    stale = set(documented()[what]) - emitted[what]
    assert not stale, f"docs/warnings.md has entries for codes k8sviz no longer emits: {sorted(stale)}"


def test_each_code_has_one_entry():
    for what, codes in documented().items():
        assert len(codes) == len(set(codes)), (what, sorted(c for c in codes if codes.count(c) > 1))


def test_the_reasons_read_are_the_mappers_list(emitted):
    """known_reasons() is what a caller can rely on; the AST reading sees the same."""
    assert emitted["unmapped"] == set(known_reasons())


def test_the_reading_finds_codes_of_each_kind_of_site(emitted):
    """A check on this test: a constant, a module constant through a helper's parameter, a local
    chosen between constants, and a flow helper's kind are all read."""
    assert {"secret-skipped", "calico-unvalidated", "calico-notnets-catch-all", "cidr-host-bits",
            "cidr-notation", "ipblock-covers-pods"} <= emitted["load"]
    assert {"stream-error", "truncated", "ignored-columns", "bad-end-time"} <= emitted["flow"]


def test_the_report_refers_to_caveats_that_exist(emitted):
    """The report's limitations name caveats by code ("caveat nodes-not-read") and test for them
    (``"namespace-labels-unknown" in caveats``); a code renamed in the engine would leave the
    limitation said twice and its link gone, with nothing failing."""
    from k8sviz.report._render import _CAVEAT_REFERENCE

    (build,) = [m for m in modules() if m.name == "report/_build.py"]
    named: set[str] = set()
    for node in ast.walk(build.tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            # Prose matches too ("the caveats of the policy verdicts"): every code has a hyphen.
            for m in _CAVEAT_REFERENCE.finditer(node.value):
                named.update(c for c in m.group(1).split(", ") if "-" in c)
        elif isinstance(node, ast.comprehension):  # [c for c in ("a", "b") if c in caveats]
            tests = [t for i in node.ifs for t in ast.walk(i) if isinstance(t, ast.Compare)
                     and "caveat" in ast.unparse(t.comparators[0])]
            if tests and isinstance(node.iter, ast.Tuple):
                named.update(e.value for e in node.iter.elts if isinstance(e, ast.Constant))
        elif isinstance(node, ast.Compare) and isinstance(node.left, ast.Constant) and isinstance(
                node.ops[0], ast.In) and "caveat" in ast.unparse(node.comparators[0]):
            named.add(node.left.value)  # "namespace-labels-unknown" in caveats
    assert {"nodes-not-read", "cilium-fqdn", "namespace-labels-unknown"} <= named  # the reading works
    assert named <= emitted["load"], named - emitted["load"]
