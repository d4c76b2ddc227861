"""``python -m bench [NAME …]`` — run the benchmarks and print figures (all of them without a name).

``python -m bench load [--db sqlite|postgres|both] [--duration S] …`` takes its own options
(``python -m bench load --help``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from bench.archive_import import main as archive_import_main
from bench.archive_queries import main as archive_queries_main
from bench.archive_zip import main as archive_zip_main
from bench.filings import main as filings_main
from bench.load import main as load_main
from bench.workdays import main as workdays_main

BENCHMARKS: dict[str, Callable[[], object]] = {
    "load": load_main,
    "workdays": workdays_main,
    "filings": filings_main,
    "archive_queries": archive_queries_main,
    "archive_import": archive_import_main,
    "archive_zip": archive_zip_main,
}


def main(argv: list[str]) -> int:
    if argv and argv[0] == "load":
        return load_main(argv[1:])
    if argv and argv[0] == "gateway":
        print("'bench gateway' measured the gateway's de-duplication of identical requests; use 'bench load'")
        return 2
    names = argv or list(BENCHMARKS)
    for name in names:
        if name not in BENCHMARKS:
            print(f"unknown benchmark {name!r}; choose from {', '.join(BENCHMARKS)}")
            return 2
        status = BENCHMARKS[name]()
        if isinstance(status, int) and status != 0:
            return status
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
