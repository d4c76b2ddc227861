"""``python -m bench [gateway|workdays|filings]`` — run the benchmarks and print figures."""

from __future__ import annotations

import sys

from bench.filings import main as filings_main
from bench.gateway import main as gateway_main
from bench.workdays import main as workdays_main

BENCHMARKS = {"gateway": gateway_main, "workdays": workdays_main, "filings": filings_main}


def main(argv: list[str]) -> int:
    names = argv or list(BENCHMARKS)
    for name in names:
        if name not in BENCHMARKS:
            print(f"unknown benchmark {name!r}; choose from {', '.join(BENCHMARKS)}")
            return 2
        BENCHMARKS[name]()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
