"""The bundled demo cluster (Online Boutique with a PCI zone), shipped inside the wheel."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .._checks import type_name
from ..errors import InputError

if TYPE_CHECKING:
    from ..snapshot import Snapshot

__all__ = ["demo", "demo_path"]


def demo_path(*parts: str) -> Path:
    """Path of the demo data (``cluster/``, ``flows/``, ``zones.yaml``...).

    In an installed wheel the data lives in ``k8sviz/_demo``; in a source checkout it is
    ``data/demo`` at the top of the repository.
    """
    wrong = [p for p in parts if not isinstance(p, str)]
    if wrong:
        msg = ("demo_path: each part must be a str such as 'cluster' or 'zones.yaml', "
               f"got {type_name(wrong[0])}")
        raise InputError(msg)
    here = Path(__file__).resolve().parent.parent
    for root in (here / "_demo", here.parent / "data" / "demo"):
        if (root / "cluster").is_dir():
            return root.joinpath(*parts)
    msg = "the demo data is missing from this installation (expected k8sviz/_demo or data/demo)"
    raise InputError(msg)


def demo() -> Snapshot:
    """Load the demo cluster snapshot."""
    from ..snapshot import load

    return load(demo_path("cluster"), cluster="demo-boutique")
