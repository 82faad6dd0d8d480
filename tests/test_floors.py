"""The dependency floors that .ci/run tests (.ci/floors.txt) are pyproject.toml's floors.

A floor raised in pyproject.toml without its pin, or a pin left behind, would have CI test
versions that pip never installs for a user, and leave the real floor untested.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
#: Not installed by .ci/run's floors step: k8sviz itself, and ``build`` (a maintainer's tool for
#: the sdist, which no test uses).
NOT_PINNED = {"k8sviz", "build"}


def _floors() -> dict[str, Version]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = [*project["dependencies"], *(r for extra in project["optional-dependencies"].values() for r in extra)]
    out: dict[str, Version] = {}
    for text in reqs:
        req = Requirement(text)
        name = canonicalize_name(req.name)
        if name in NOT_PINNED:
            continue
        lows = [Version(s.version) for s in req.specifier if s.operator == ">="]
        assert len(lows) == 1, f"{text}: a dependency .ci/run tests needs one '>=' floor"
        out[name] = lows[0]
    return out


def _pins() -> dict[str, Version]:
    out: dict[str, Version] = {}
    for line in (ROOT / ".ci" / "floors.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            m = re.fullmatch(r"([A-Za-z0-9._-]+)==([0-9][0-9A-Za-z.]*)", line)
            assert m, f".ci/floors.txt: {line!r} is no 'name==version' pin"
            out[canonicalize_name(m[1])] = Version(m[2])
    return out


def test_every_floor_is_pinned_as_it_is_declared():
    assert _pins() == _floors()


def test_the_ci_script_installs_the_pins():
    run = (ROOT / ".ci" / "run").read_text()
    assert "-r .ci/floors.txt" in run
