"""Fail when a module under the given folders is longer than the project's limit.

Usage: python tools/check_module_size.py [--max-lines N] FOLDER...

The limit (400 lines, docs/extending.md) keeps one module to one responsibility; run by
`tox -e lint`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def oversized(folders: list[Path], max_lines: int) -> list[tuple[Path, int]]:
    found = []
    for folder in folders:
        for module in sorted(folder.rglob("*.py")):
            lines = len(module.read_text(encoding="utf-8").splitlines())
            if lines > max_lines:
                found.append((module, lines))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-lines", type=int, default=400)
    parser.add_argument("folders", nargs="+", type=Path)
    args = parser.parse_args(argv)
    found = oversized(args.folders, args.max_lines)
    for module, lines in found:
        print(f"{module}: {lines} lines (limit {args.max_lines}): split it by responsibility")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
