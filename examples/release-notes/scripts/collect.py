"""Print the commit subjects between two git refs, one per line."""

import subprocess
import sys


def main() -> None:
    start, end = sys.argv[1], sys.argv[2]
    log = subprocess.run(["git", "log", "--format=%s", f"{start}..{end}"], capture_output=True, text=True, check=True)
    print(log.stdout, end="")


if __name__ == "__main__":
    main()
