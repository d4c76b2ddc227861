"""The appraisal service's one access policy (访问控制), built on :mod:`ecosteward.scope`.

Reads: the bureau and procurement officers see all appraisals (past results inform procurement), an
agency admin its own agency's, a town its jurisdiction's contracts'. Writes: only the bureau appraises
(the role check on the mutations; an appraiser sees every contract).
"""

from __future__ import annotations

import uuid

from ecosteward import scope
from ecosteward.identity import Principal, Role
from ecosteward.scope import Scope, ScopePolicy

READER_ROLES = (Role.BUREAU_OFFICER, Role.PROCUREMENT_OFFICER, Role.AGENCY_ADMIN, Role.TOWN_OFFICER)
APPRAISER_ROLES = (Role.BUREAU_OFFICER,)

SCOPE_POLICY: ScopePolicy = {
    Role.BUREAU_OFFICER: None,
    Role.PROCUREMENT_OFFICER: None,
    Role.AGENCY_ADMIN: "agency_id",
    Role.TOWN_OFFICER: "jurisdiction_id",
}
"""Who sees which appraisals: the bureau and procurement officers all (past results inform
procurement); an agency admin its own agency's; a town its jurisdiction's contracts'."""


def data_scope(user: Principal) -> Scope:
    """Which appraisals ``user`` may see (FORBIDDEN for roles that see none)."""
    return scope.data_scope(user, SCOPE_POLICY, "Appraisals", "无权查看考核结果")


def owners(agency_id: uuid.UUID, jurisdiction_id: uuid.UUID) -> dict[str, uuid.UUID]:
    """The scope owners of an appraisal: the contract's agency and jurisdiction."""
    return {"agency_id": agency_id, "jurisdiction_id": jurisdiction_id}
