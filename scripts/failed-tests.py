#!/usr/bin/env python3
"""Prints the failed tests of a `dotnet test` console log (verbosity normal) again, each with
its error message and the first lines of its stack trace, and a count. Used by scripts/test.sh
so that the end of a long log names what failed."""
import re
import sys

FAILED = re.compile(r"^\s+Failed \S")
# What ends a failure's block: the next test's result line, an xunit progress line, a run summary.
NEXT = re.compile(r"^\s+(Passed|Failed|Skipped) |^\[xUnit\.net |^Test Run |^Results File|^Total tests")
MAX_LINES = 40


def main(path: str) -> int:
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = f.read().splitlines()
    blocks = []
    i = 0
    while i < len(lines):
        if FAILED.match(lines[i]):
            block = [lines[i].strip()]
            i += 1
            while i < len(lines) and not NEXT.match(lines[i]):
                if len(block) < MAX_LINES:
                    block.append(lines[i])
                i += 1
            blocks.append(block)
        else:
            i += 1
    print()
    print(f"==== {len(blocks)} failed test(s) ====")
    for block in blocks:
        print("\n".join(block))
        print("----")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
