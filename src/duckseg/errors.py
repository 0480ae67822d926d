"""One root error for everything duckseg reports to a user.

`DefinitionError` and `InputError` are the "bad input" family (exit code 2):
they carry every problem found, each with the file, the place inside it and,
where one fits, a hint ("did you mean city?").
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any


class DucksegError(Exception):
    """Root of every error duckseg raises on purpose."""

    exit_code = 1


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where it is and what to do about it."""

    source: str  # file name (or "<string>") the problem is in
    path: str  # place inside it: "where.all[1].value", a row number, a TOML key
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        where = f"{self.source}: {self.path}: " if self.path else f"{self.source}: "
        text = where + self.message
        return f"{text} ({self.hint})" if self.hint else text


class BadInputError(DucksegError):
    """Input the user can fix: every problem is listed, nothing was changed."""

    exit_code = 2

    def __init__(self, problems: Sequence[Problem]) -> None:
        if not problems:
            raise ValueError("BadInputError needs at least one problem")
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class DefinitionError(BadInputError):
    """A segment definition is invalid (syntax, types, unknown names, cycles)."""


class InputError(BadInputError):
    """A data file, config file or command-line value is invalid."""

    @classmethod
    def single(
        cls, source: str, message: str, path: str = "", hint: str | None = None
    ) -> InputError:
        return cls([Problem(source, path, message, hint)])


class WorkspaceBusyError(DucksegError):
    """Another duckseg process holds the workspace lock."""

    exit_code = 1


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """A 'did you mean X?' hint for a misspelt name, or None if nothing is close."""
    matches = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f"did you mean {matches[0]}?" if matches else None


def shown(value: Any) -> str:
    """A value as an error message quotes it: text in quotes, long values cut short."""
    if value is None:
        return "nothing"
    text = repr(value) if not isinstance(value, str) else f'"{value}"'
    return text if len(text) <= 60 else text[:57] + "..."


def unknown_segment(name: str, known: Iterable[str], source: str = "segments") -> Problem:
    """The one 'unknown segment' problem of every verb that takes a segment name."""
    names = sorted(set(known))
    hint = did_you_mean(name, names) or (
        f"segments: {', '.join(names[:20])}" + (" ..." if len(names) > 20 else "")
        if names
        else "no segments are defined yet"
    )
    return Problem(source, "", f"unknown segment {name}", hint)


def relocated(
    problem: Problem, source: str, moves: Sequence[tuple[str, str]], fallback: str
) -> Problem:
    """A problem found in a condition that a config file holds (consent, report metrics),
    placed where that file has it: the first of `moves` (old path prefix, new prefix) that
    fits, else `fallback`."""
    path = problem.path
    for old, new in moves:
        if path == old or path.startswith((old + ".", old + "[")):
            return Problem(source, new + path[len(old) :], problem.message, problem.hint)
    return Problem(source, fallback, problem.message, problem.hint)


def validation_problem(
    source: str, path: str, error: Mapping[str, object], known: Callable[[], Iterable[str]]
) -> Problem:
    """One pydantic validation error of a config file as a problem: an unknown key with a
    did-you-mean over the `known` keys of its place, or pydantic's message."""
    if error["type"] == "extra_forbidden":
        loc = error["loc"]
        name = str(loc[-1]) if isinstance(loc, tuple) and loc else path
        return Problem(source, path, f"unknown key {name!r}", did_you_mean(name, known()))
    return Problem(source, path, str(error["msg"]).removeprefix("Value error, "))
