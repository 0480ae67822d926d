"""Arms and agents: a stable hash of the salt and the contact, never of who else is in.

The rule (docs/audiences.md), which anyone can recompute in any language:

    h = int.from_bytes(sha256(f"{salt}:{contact_id}".encode()).digest()[:8], "big")
    arm = the first i with h * W < (w1 + ... + wi) * 2**64

`contact_id` is text (integers in decimal). Since h is an integer,
`h * W < cum * 2**64` holds exactly when `h < ceil(cum * 2**64 / W)`: the
thresholds are computed here with Python's exact integers, and DuckDB compares
the unsigned 64-bit h with them, so no floating point is involved anywhere.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from sqlglot import exp

TWO_64 = 2**64


def thresholds(weights: Sequence[int]) -> list[int]:
    """ceil(cum_i * 2**64 / W) for each arm but the last (the last takes the rest)."""
    total = sum(weights)
    out, cum = [], 0
    for w in weights[:-1]:
        cum += w
        out.append(-((-cum * TWO_64) // total))
    return out


def pick(salt: str, contact_id: object, weighted: Sequence[tuple[str, int]]) -> str:
    """The arm (or agent) of one contact: the rule above, for a single id."""
    digest = hashlib.sha256(f"{salt}:{contact_id}".encode()).digest()
    h = int.from_bytes(digest[:8], "big")
    for (name, _), limit in zip(weighted, thresholds([w for _, w in weighted]), strict=False):
        if h < limit:
            return name
    return weighted[-1][0]


def hash_expr(salt: str, key: exp.Expr) -> exp.Expr:
    """h as UBIGINT: the first 8 bytes (16 hex digits) of sha256(salt:contact_id)."""
    text = exp.DPipe(
        this=exp.Literal.string(f"{salt}:"),
        expression=exp.cast(key, exp.DataType.Type.VARCHAR),
        safe=True,
    )
    digest = exp.func("sha256", text)
    first8 = exp.func("left", digest, exp.Literal.number(16))
    hexed = exp.DPipe(this=exp.Literal.string("0x"), expression=first8, safe=True)
    return exp.cast(hexed, exp.DataType.Type.UBIGINT)


def pick_expr(h: exp.Expr, weighted: Sequence[tuple[str, int]]) -> exp.Expr:
    """CASE WHEN h < t1 THEN name1 WHEN h < t2 THEN name2 ... ELSE name_k END, over a
    column `h` that holds `hash_expr` (computed once per row, not once per arm)."""
    names = [name for name, _ in weighted]
    limits = thresholds([w for _, w in weighted])
    if not limits:
        return exp.Literal.string(names[0])
    case = exp.Case()
    for name, limit in zip(names, limits, strict=False):
        case = case.when(h.copy() < exp.Literal.number(limit), exp.Literal.string(name))
    return case.else_(exp.Literal.string(names[-1]))
