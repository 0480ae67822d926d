"""Files that ship inside the package: hand-written SQL, the sample data, the example segments,
traits and audiences.

They live in the top-level `sql/` and `data/` folders of the source tree and are
mapped into the wheel as `duckseg.sql`, `duckseg.sample`, `duckseg.examples`,
`duckseg.example_traits` and `duckseg.example_audiences` (see pyproject.toml), so an
installed wheel reads them the same way a checkout does.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from functools import cache
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path


@cache
def read_sql_file(name: str) -> str:
    return resources.files("duckseg.sql").joinpath(name).read_text(encoding="utf-8")


def sample_file(name: str) -> Traversable:
    return resources.files("duckseg.sample").joinpath(name)


def example_segments() -> list[Traversable]:
    """The example segment definitions, by file name."""
    found = resources.files("duckseg.examples").iterdir()
    return sorted((f for f in found if f.name.endswith(".yaml")), key=lambda f: f.name)


def example_traits() -> list[Traversable]:
    """The example trait definitions, by file name."""
    found = resources.files("duckseg.example_traits").iterdir()
    return sorted((f for f in found if f.name.endswith(".yaml")), key=lambda f: f.name)


def example_audiences() -> list[Traversable]:
    """The example audience definitions, by file name."""
    found = resources.files("duckseg.example_audiences").iterdir()
    return sorted((f for f in found if f.name.endswith(".yaml")), key=lambda f: f.name)


def as_path(item: Traversable) -> AbstractContextManager[Path]:
    """A real file path for a packaged file (extracted for the length of the block if zipped)."""
    return resources.as_file(item)
