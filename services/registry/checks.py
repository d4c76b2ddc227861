"""Consistency checks on the registry's stored data: ``python -m services.registry.checks <check>``.

``contract-scopes``: every live contract whose scope reaches outside its managing department's
jurisdiction (a town's is itself, the district bureau's the whole district), with the offending
jurisdiction and enterprise ids — contracts stored before the rule was enforced on write. Exit
status 1 when there are any, 0 when there are none. The database is the registry's, from the usual
settings (``ECOSTEWARD_REGISTRY_DATABASE_URL``, ``ECOSTEWARD_DATABASE_URL_TEMPLATE`` or the embedded
default). Enterprises are placed by the registry's local copy of the archive's; one it has not heard
of counts as outside.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from typing import TextIO

from sqlalchemy.ext.asyncio import async_sessionmaker

from ecosteward.config import load_settings
from ecosteward.db import create_engine
from services.registry.contracts.service import contracts_outside_their_jurisdiction
from services.registry.jurisdictions.models import JurisdictionRow

CHECKS = ("contract-scopes",)


async def contract_scopes(database_url: str, out: TextIO) -> int:
    """Print each violating contract and its offending ids; the number of violating contracts."""
    engine = create_engine(database_url)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            found = await contracts_outside_their_jurisdiction(session)
            names: dict[uuid.UUID, str] = {}
            for contract, _ in found:
                managing = await session.get(JurisdictionRow, contract.jurisdiction_id)
                names[contract.id] = managing.name if managing is not None else "?"
    finally:
        await engine.dispose()
    for contract, offence in found:
        print(
            f"contract {contract.id} ({contract.status}, {contract.title!r}) managed by "
            f"{names[contract.id]} ({contract.jurisdiction_id}) reaches outside its jurisdiction:",
            file=out,
        )
        for jurisdiction_id in offence.jurisdiction_ids:
            print(f"  scope jurisdiction {jurisdiction_id}", file=out)
        for enterprise_id in offence.enterprise_ids:
            print(f"  scope enterprise {enterprise_id}", file=out)
    if found:
        print(
            f"{len(found)} contract(s) outside their managing jurisdiction (服务范围超出管辖范围).", file=out
        )
    else:
        print("Every contract's scope lies inside its managing jurisdiction.", file=out)
    return len(found)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.registry.checks", description=__doc__)
    parser.add_argument("check", choices=CHECKS, help="which check to run")
    args = parser.parse_args(argv)
    assert args.check == "contract-scopes"
    violating = asyncio.run(contract_scopes(load_settings("registry").database_url, sys.stdout))
    return 1 if violating else 0


if __name__ == "__main__":
    sys.exit(main())
