"""Output folders written all or nothing (docs/operations.md).

A report or an export is written into a hidden sibling of its folder and swapped
in by rename when complete. A reader sees the earlier folder or the new one,
never a mix; a command that fails leaves the earlier folder as it was. The
earlier folder is set aside beside the new one until the caller `finish`es (an
export first records itself in the catalog), so it can be put back.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

# The hidden folders a write in progress uses: `.NAME.tmp-xxxxxxxx`, `.NAME.old-xxxxxxxx`.
HIDDEN = re.compile(r"\..+\.(tmp|old)-[0-9a-f]{8}")


def _sibling(target: Path, what: str) -> Path:
    return target.parent / f".{target.name}.{what}-{secrets.token_hex(4)}"


def make_parents(folder: Path) -> list[Path]:
    """mkdir -p, returning the folders it created (outermost first)."""
    missing = []
    current = folder
    while not current.exists():
        missing.append(current)
        current = current.parent
    folder.mkdir(parents=True, exist_ok=True)
    return list(reversed(missing))


def remove_empty(folders: Sequence[Path]) -> None:
    for folder in reversed(folders):  # innermost first; a folder still in use stays
        try:
            folder.rmdir()
        except OSError:
            continue


def sweep_hidden(folder: Path) -> None:
    """Remove the hidden folders that a write killed half-way left in `folder`."""
    if folder.is_dir():
        for path in folder.iterdir():
            if path.is_dir() and HIDDEN.fullmatch(path.name):
                shutil.rmtree(path, ignore_errors=True)


class StagedFolder:
    """A folder written beside `target` and swapped in by rename when complete."""

    def __init__(self, target: Path) -> None:
        self.target = target
        self.created = make_parents(target.parent)
        self.dir = _sibling(target, "tmp")
        self.dir.mkdir()
        self.old: Path | None = None  # the earlier folder, set aside until finish()

    def publish(self) -> None:
        """Swap the staged folder in; the earlier one is kept aside until finish()."""
        if self.target.exists():
            self.old = _sibling(self.target, "old")
            os.replace(self.target, self.old)
            try:
                os.replace(self.dir, self.target)
            except BaseException:
                os.replace(self.old, self.target)
                self.old = None
                raise
        else:
            os.replace(self.dir, self.target)

    def finish(self) -> None:
        if self.old is not None:
            shutil.rmtree(self.old, ignore_errors=True)
            self.old = None

    def discard(self) -> None:
        """Before publish: remove what was staged."""
        shutil.rmtree(self.dir, ignore_errors=True)
        remove_empty(self.created)

    def unpublish(self) -> None:
        """After publish, before finish: take the new folder out and put the earlier one back."""
        shutil.rmtree(self.target, ignore_errors=True)
        if self.old is not None:
            os.replace(self.old, self.target)
            self.old = None
        remove_empty(self.created)


def write_folder(target: Path, write: Callable[[Path], None]) -> None:
    """Write a folder all or nothing: `write(folder)` fills a staged folder, which then
    replaces `target`."""
    staged = StagedFolder(target)
    try:
        write(staged.dir)
        staged.publish()
    except BaseException:
        staged.discard()
        raise
    staged.finish()
