"""A plain-Python reading of campaign audiences (SPEC section 11), one contact at a time.

Segments are evaluated by the reference evaluator (``tests.reference.evaluator``),
traits by its ``trait_values``; nothing here comes from the ``duckseg`` package.
Covered: ``include``, ``exclude`` and ``limit`` (by an attribute or a trait), and
the arm and agent rule. ``consent``, ``exclude_audiences`` and ``frequency_cap``
read workspace state (the consent rule, other snapshots, sends) and are left to
the workspace tests, so an audience here says ``consent: false`` and has none of
the others.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from hashlib import sha256

from tests.reference.evaluator import ContactId, World, evaluate, trait_types, trait_values
from tests.reference.timevalues import InvalidDefinition, landed_time

# Numbers, dates and timestamps: SPEC 11 orders by a value, and only these have an order
# that 6.2's gt / lt already define for attributes and traits alike.
ORDERABLE = frozenset({"integer", "float", "date", "timestamp"})
_COVERED = frozenset({"name", "description", "owner", "include", "exclude", "consent"})
_COVERED |= {"limit", "split", "assign"}


def audience_members(
    audience: Mapping[str, object],
    world: World,
    as_of: datetime,
    segments: Mapping[str, Mapping[str, object]],
) -> dict[ContactId, tuple[str, str | None]]:
    """Each member's (arm, agent) at ``as_of``.

    SPEC 11: "members = union of include − union of exclude − ...; then limit
    keeps the first max by order_by (missing values last, ties by contact_id
    ascending); then arms and agents are assigned."
    """
    if set(audience) - _COVERED or audience.get("consent") is not False:
        raise ValueError("the reference covers include, exclude, limit, split, assign only")
    name = str(audience.get("name", "audience"))
    chosen: set[ContactId] = set()
    for segment in _names(audience.get("include")):
        chosen |= evaluate(segments[segment], world, as_of, segments)
    for segment in _names(audience.get("exclude")):
        chosen -= evaluate(segments[segment], world, as_of, segments)
    limit = audience.get("limit")
    if limit is not None:
        assert isinstance(limit, Mapping)
        most, name = limit["max"], limit.get("order_by")
        assert isinstance(most, int)
        values = order_values(str(name), world, as_of)[1] if name is not None else None
        chosen = set(limited(chosen, most, values, limit.get("descending") is True))
    split = audience.get("split")
    salt = name
    arms: Sequence[tuple[str, int]] = [("all", 1)]
    if isinstance(split, Mapping):
        salt = str(split.get("salt", name))
        arms = _weights(split["arms"])
    assign = audience.get("assign")
    agents = _weights(assign["agents"]) if isinstance(assign, Mapping) else None
    return {
        cid: (
            pick(salt, cid, arms),
            pick(f"{salt}:agent", cid, agents) if agents is not None else None,
        )
        for cid in chosen
    }


def order_values(name: str, world: World, as_of: datetime) -> tuple[str, dict[ContactId, object]]:
    """The type and every contact's value of what ``order_by`` names.

    SPEC 11 says "optional: attribute or trait"; an attribute is the contact's
    value (attributes are not point-in-time), a trait its value at the build's
    as_of, "evaluated at the build's as_of (events after it never count)" (6.10).
    """
    if name in world.attr_types:
        typ = world.attr_types[name]
        values = {cid: attrs.get(name) for cid, attrs in world.contacts.items()}
    elif name in world.traits:
        typ = trait_types(world)[name]
        values = trait_values(world, as_of)[name]
    else:
        raise InvalidDefinition(f"unknown attribute or trait {name}")
    if typ not in ORDERABLE:
        raise InvalidDefinition(f"{name} is {typ}: not a number, date or timestamp")
    if typ in ("date", "timestamp"):  # compared as stored: a date, or an instant
        values = {cid: None if v is None else landed_time(v, typ) for cid, v in values.items()}
    return typ, values


def limited(
    members: set[ContactId],
    most: int,
    values: Mapping[ContactId, object] | None = None,
    descending: bool = False,
) -> list[ContactId]:
    """The first ``most`` members in limit order, given each one's ``order_by`` value.

    "the first max by order_by (missing values last, ties by contact_id
    ascending)", descending when ``descending: true``. NaN is no value to order
    by: it is missing here as it is for a percentile's population (6.11).
    Without order_by (``values`` None) the order is contact_id ascending.
    """
    by_id = sorted(members)  # type: ignore[type-var]  # one kind of id per world
    if values is None:
        return by_id[:most]
    present = [cid for cid in by_id if not _missing(values.get(cid))]
    missing = [cid for cid in by_id if _missing(values.get(cid))]
    # A stable sort, also with reverse=True: equal values keep the contact_id order.
    present.sort(key=lambda cid: values[cid], reverse=descending)  # type: ignore[arg-type,return-value]
    return (present + missing)[:most]


def pick(salt: str, contact_id: ContactId, weights: Sequence[tuple[str, int]]) -> str:
    """SPEC 11: the first i with h * W < (w1 + ... + wi) * 2**64."""
    h = int.from_bytes(sha256(f"{salt}:{contact_id}".encode()).digest()[:8], "big")
    total = sum(w for _, w in weights)
    cum = 0
    for name, w in weights:
        cum += w
        if h * total < cum * 2**64:
            return name
    raise AssertionError("unreachable: the last weight always holds")


def _names(raw: object) -> list[str]:
    if raw is None:
        return []
    items = [raw] if isinstance(raw, str) else raw
    assert isinstance(items, list)
    return [str(item) for item in items]


def _weights(raw: object) -> list[tuple[str, int]]:
    assert isinstance(raw, Mapping)
    return [(str(k), int(v)) for k, v in raw.items()]


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))
