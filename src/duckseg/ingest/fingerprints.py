"""File fingerprints: the same content never lands twice by accident (docs/operations.md).

Events without an `event_id` cannot be told apart from a second copy of
themselves, so a landing records the SHA-256 of each input file, and a file
whose bytes have already landed is refused unless repeats are allowed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from duckseg.errors import InputError, Problem
from duckseg.state.store import Store


def fingerprint(path: Path) -> str:
    """The SHA-256 (lower hex) of a file's bytes, read in chunks."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def fingerprints(paths: Sequence[Path]) -> list[str | None]:
    """One fingerprint per input; None for what is not a readable file (the reader says why)."""
    found: list[str | None] = []
    for path in paths:
        try:
            found.append(fingerprint(path) if path.is_file() else None)
        except OSError:
            found.append(None)
    return found


def refuse_repeats(store: Store, paths: Sequence[Path], hashes: Sequence[str | None]) -> None:
    """Raise `InputError` naming every input whose content landed before (or is given twice)."""
    known = store.landings_of([h for h in hashes if h is not None])
    problems: list[Problem] = []
    first: dict[str, Path] = {}
    for path, digest in zip(paths, hashes, strict=True):
        if digest is None:
            continue
        if digest in known:
            landing_id, source, landed_at = known[digest]
            problems.append(
                Problem(
                    str(path),
                    "",
                    f"this content already landed in landing {landing_id} "
                    f"(from {source}, {landed_at:%Y-%m-%d %H:%M:%S} UTC); nothing was landed",
                    "pass --allow-repeat to land it again",
                )
            )
        elif digest in first:
            problems.append(
                Problem(
                    str(path),
                    "",
                    f"same content as {first[digest]}, given earlier in this landing; "
                    "nothing was landed",
                    "pass --allow-repeat to land it twice",
                )
            )
        else:
            first[digest] = path
    if problems:
        raise InputError(problems)
