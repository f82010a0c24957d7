"""Compare the installed packages with constraints.txt, or rewrite constraints.txt from them.

``python .ci/compare_pins.py constraints.txt`` prints every pinned package whose
installed version differs (what ``make test-newest`` moved) and exits 0.
``python .ci/compare_pins.py --write constraints.txt`` pins the packages of the
running environment (``make pins``), without kaiming-lab itself, pip and
setuptools, and without local version labels (``2.13.0+cpu`` becomes
``2.13.0``, which pip matches with any build of that release).
"""

from __future__ import annotations

import argparse
import re
import sys
from importlib import metadata
from pathlib import Path

HEADER = """\
# The versions the committed notebook outputs were made with (Python 3.11, Linux).
# `make lab`, `make test` and CI install with `pip install -c constraints.txt`,
# so a new upstream release cannot change a notebook's output unnoticed.
# `make test-newest` runs the suite against the newest versions instead and
# lists what moved; `make pins` rewrites this file from .venv. Generated: do
# not edit by hand.
"""
SKIP = {"kaiming-lab", "pip", "setuptools", "wheel"}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def installed() -> dict[str, str]:
    found = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name and canonical(name) not in SKIP:
            found[canonical(name)] = dist.version.split("+")[0]
    return found


def read_pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[canonical(name)] = version.strip()
    return pins


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("constraints", type=Path)
    parser.add_argument("--write", action="store_true", help="rewrite the file from this env")
    args = parser.parse_args()
    now = installed()
    if args.write:
        lines = [f"{name}=={now[name]}" for name in sorted(now)]
        args.constraints.write_text(HEADER + "\n".join(lines) + "\n")
        print(f"pinned {len(lines)} packages in {args.constraints}")
        return 0
    pins = read_pins(args.constraints)
    moved = [(n, v, now[n]) for n, v in sorted(pins.items()) if n in now and now[n] != v]
    missing = sorted(set(pins) - set(now))
    print(f"newest versions against {args.constraints}: {len(moved)} of {len(pins)} moved")
    for name, pinned, newest in moved:
        print(f"  {name}: {pinned} -> {newest}")
    if missing:
        print(f"  not installed here: {', '.join(missing)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
