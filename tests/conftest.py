"""Shared fixtures: a fixed clock, workspaces on the bundled sample, the golden-file switch."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from duckseg import FixedClock, Workspace
from duckseg.api.sample import sample_as_of


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite golden SQL files instead of comparing",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return (
        bool(request.config.getoption("--update-golden"))
        or os.environ.get("DUCKSEG_UPDATE_GOLDEN") == "1"
    )


@pytest.fixture(scope="session")
def sample_clock() -> FixedClock:
    return FixedClock(sample_as_of())


@pytest.fixture(scope="session")
def sample_workspace_dir(
    tmp_path_factory: pytest.TempPathFactory, sample_clock: FixedClock
) -> Path:
    """The sample landed once per session; tests copy it when they write."""
    root = tmp_path_factory.mktemp("sample") / "ws"
    Workspace.init(root, demo=True, clock=sample_clock)
    return root


@pytest.fixture
def sample_ws(
    sample_workspace_dir: Path, tmp_path: Path, sample_clock: FixedClock
) -> Iterator[Workspace]:
    """A private copy of the sample workspace, with the clock at the sample's as_of."""
    import shutil

    root = tmp_path / "ws"
    shutil.copytree(sample_workspace_dir, root)
    yield Workspace.open(root, clock=sample_clock)
