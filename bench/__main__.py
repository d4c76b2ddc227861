"""``python -m bench [gateway|workdays|filings]`` — run the benchmarks and print figures."""

from __future__ import annotations

import sys

from bench.archive_import import main as archive_import_main
from bench.archive_queries import main as archive_queries_main
from bench.archive_zip import main as archive_zip_main
from bench.filings import main as filings_main
from bench.gateway import main as gateway_main
from bench.workdays import main as workdays_main

BENCHMARKS = {
    "gateway": gateway_main,
    "workdays": workdays_main,
    "filings": filings_main,
    "archive_queries": archive_queries_main,
    "archive_import": archive_import_main,
    "archive_zip": archive_zip_main,
}


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
