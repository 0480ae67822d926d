"""The export shop (tests/exportshop.py) with what audiences need on top.

    gold     tier is Gold: c01..c08
    buyers   performed purchase in the last 30 days ({c01, c02, c03} as of 2026-06-30)
    vips     a static list: c09, c11
    spend    c04 40, c05 missing, c06 80, c08 80, c09 NaN, c11 110, the rest n * 10

c03 and c07 are opted out (the default [consent] rule applies: opted_out is boolean).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from hashlib import sha256
from pathlib import Path

import pyarrow as pa

from duckseg import Workspace
from tests.exportshop import IDS, land_contacts, make_shop

SPEND = {"c04": 40.0, "c05": None, "c06": 80.0, "c08": 80.0, "c09": math.nan, "c11": 110.0}


def spend_of(cid: str) -> float | None:
    return SPEND[cid] if cid in SPEND else float(int(cid[1:]) * 10)


def make_audience_shop(root: Path) -> Workspace:
    ws = make_shop(root)
    land_contacts(
        ws,
        pa.table({"contact_id": IDS, "spend": pa.array([spend_of(c) for c in IDS], pa.float64())}),
    )
    csv = root.parent / "vips.csv"
    csv.write_text("contact_id\nc09\nc11\n", encoding="utf-8")
    ws.static_change("vips", "create", csv)
    (root / "audiences").mkdir(exist_ok=True)
    return ws


def write_audience(ws: Workspace, name: str, text: str) -> Path:
    path = ws.root / "audiences" / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def expected_pick(salt: str, contact_id: object, weights: Sequence[tuple[str, int]]) -> str:
    """The assignment rule written out as it reads in docs/audiences.md, one id at a time."""
    h = int.from_bytes(sha256(f"{salt}:{contact_id}".encode()).digest()[:8], "big")
    total = sum(w for _, w in weights)
    cum = 0
    for name, w in weights:
        cum += w
        if h * total < cum * 2**64:
            return name
    raise AssertionError("unreachable: the last arm always holds")
