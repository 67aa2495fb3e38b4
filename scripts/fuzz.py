"""Run the randomised property tests with many examples and fresh random seeds.

    python scripts/fuzz.py                 # 2000 examples per property
    python scripts/fuzz.py 10000 -k simplify -x
    TG_PROPERTY_DEPTH=4 python scripts/fuzz.py 500   # deeper expressions (default 3)
    TG_PROPERTY_DEADLINE_MS=5000 python scripts/fuzz.py 1000 -x   # report examples slower than 5 s

Extra arguments go to pytest. Failures print a minimal falsifying example (a
`tg....` expression that rebuilds it); add it to tests/test_regressions.py once fixed.
"""

from __future__ import annotations

import os
import pathlib
import sys

import pytest


def main(argv: list[str]) -> int:
    n = 2000
    if argv and argv[0].isdigit():
        n, argv = int(argv[0]), argv[1:]
    os.environ["TG_PROPERTY_EXAMPLES"] = str(n)
    os.environ["TG_FUZZ"] = "1"  # fresh seeds instead of CI's derandomised run
    tests = pathlib.Path(__file__).resolve().parent.parent / "tests" / "test_properties.py"
    return pytest.main([str(tests), "-q", "-p", "no:cacheprovider", "--hypothesis-show-statistics", *argv])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
