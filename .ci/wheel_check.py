"""Build the wheel, install it (not editable) in a fresh venv, and run the main job from a
folder outside the repository: init --demo, build, export and report.

Prints the install time and the venv's size, the figures quoted in the README.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str | Path, cwd: Path | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        sys.exit(f"failed ({done.returncode}): {' '.join(map(str, args))}\n{done.stderr}")
    return done.stdout


def size_mb(folder: Path) -> float:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 1e6


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="duckseg-wheel-") as tmp:
        base = Path(tmp)
        run(sys.executable, "-m", "build", "--wheel", "--outdir", base / "dist", ROOT)
        (wheel,) = (base / "dist").glob("duckseg-*.whl")
        started = time.perf_counter()
        run(sys.executable, "-m", "venv", base / "venv")
        run(base / "venv/bin/pip", "install", "--quiet", wheel)
        seconds = time.perf_counter() - started
        duckseg = base / "venv/bin/duckseg"
        work = base / "elsewhere"
        work.mkdir()
        run(duckseg, "init", "shop", "--demo", cwd=work)
        as_of = run(
            base / "venv/bin/python",
            "-c",
            "from duckseg.api.sample import sample_as_of; print(sample_as_of().isoformat())",
            cwd=work,
        ).strip()
        built = json.loads(
            run(duckseg, "build", "--all", "--as-of", as_of, "-w", "shop", "--json", cwd=work)
        )
        counts = {row["segment"]: row["count"] for row in built}
        assert counts and all(n > 0 for n in counts.values()), counts
        run(duckseg, "export", "vip", "--format", "csv", "-w", "shop", "--out", "out", cwd=work)
        manifest = json.loads((work / "out/manifest.json").read_text(encoding="utf-8"))
        assert manifest["rows"] == counts["vip"], (manifest["rows"], counts["vip"])
        run(duckseg, "report", "vip", "at_risk", "-w", "shop", "--out", "report", cwd=work)
        assert (work / "report/report.html").is_file()
        print(f"wheel {wheel.name}: {len(counts)} segments built, export and report written")
        print(
            f"install of the wheel and its dependencies: {seconds:.0f} s, venv {size_mb(base / 'venv'):.0f} MB"
        )
        shutil.rmtree(base / "venv")


if __name__ == "__main__":
    main()
