"""``python -m ecosteward.edge --uds PATH`` (or ``--port N``): serve the router's coprocessor."""

from __future__ import annotations

import argparse

import uvicorn


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--uds", help="listen on this unix socket")
    where.add_argument("--port", type=int, help="listen on HOST:PORT")
    parser.add_argument("--host", default="127.0.0.1", help="with --port: the address (127.0.0.1)")
    args = parser.parse_args()
    uvicorn.run(
        "ecosteward.edge.server:app",
        uds=args.uds,
        host=args.host,
        port=args.port or 0,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
