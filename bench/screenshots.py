"""Write the TUI's deterministic scenes as SVG files into ``screenshots/``.

    python bench/screenshots.py [--out screenshots] [--scene NAME ...]

The same scenes (zigzag sim, seed 0, paused and stepped) as tests/test_tui_snapshots.py.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from damon_tui.tui.scenes import SCENES, scene

SIZES = [(80, 24), (200, 60)]


async def shoot(name: str, size: tuple[int, int], out: Path) -> Path:
    app, run_before = scene(name)
    path = out / f"tui-{name}-{size[0]}x{size[1]}.svg"
    async with app.run_test(size=size) as pilot:
        await run_before(pilot)
        app.save_screenshot(filename=path.name, path=str(out))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(__file__).resolve().parent.parent / "screenshots"
    parser.add_argument("--out", default=str(default))
    parser.add_argument("--scene", action="append", choices=SCENES,
                        help="only this scene (repeatable; default: every scene)")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name in args.scene or SCENES:
        for size in SIZES:
            print(asyncio.run(shoot(name, size, out)))


if __name__ == "__main__":
    main()
