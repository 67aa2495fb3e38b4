"""`python -m tensorgrad ...` runs the command-line tool (see tensorgrad.cli)."""

import sys

from .cli import main

if __name__ == "__main__":  # pragma: no cover - exercised through a subprocess in tests
    sys.exit(main())
