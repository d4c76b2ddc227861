"""Agency accounts in GraphQL: the bureau resets an agency account's password."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from ecosteward.fields import guarded_mutation
from ecosteward.graphql import context_of
from ecosteward.identity import Role
from services.registry.accounts import service


@strawberry.type
class Mutation:
    @guarded_mutation(
        "Set a new temporary password for an agency account and return it once, to hand over in person (bureau).",
        Role.BUREAU_OFFICER,
    )
    async def reset_account_password(self, info: Info, username: str) -> str:
        return await service.reset_password(context_of(info).runtime.sessions, username)
