#!/usr/bin/env python3
"""Fails when any tracked file contains an emoji (the project's rule: none anywhere)."""
import re
import subprocess
import sys

PATTERN = re.compile(
    "[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\uFE0F\u200D\u2300-\u23FF]"
)


def main() -> int:
    files = subprocess.run(
        ["git", "ls-files", "-z"], check=True, capture_output=True
    ).stdout.split(b"\0")
    found = []
    for raw in files:
        if not raw:
            continue
        name = raw.decode("utf-8", "surrogateescape")
        try:
            with open(name, encoding="utf-8") as handle:
                text = handle.read()
        except (UnicodeDecodeError, IsADirectoryError, FileNotFoundError):
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if PATTERN.search(line):
                found.append(f"{name}:{number}")
    if found:
        print("emoji found (not allowed anywhere in the repository):")
        for place in found[:50]:
            print("  " + place)
        return 1
    print("no emoji in tracked files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
