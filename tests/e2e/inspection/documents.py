"""GraphQL documents the inspection e2e tests send (one copy each), and the other services' mutations
they set their scene up with."""

from __future__ import annotations

RECORD_INSPECTION = """
mutation($input: RecordInspectionInput!) {
  recordInspection(input: $input) { id visitedOn inspectorUsername enterprise { id } }
}"""
RECORD_FINDING = """
mutation($input: RecordFindingInput!) { recordFinding(input: $input) { id category } }"""

# Registry and archive mutations the scenes need.
REGISTER_AGENCY = "mutation($input: RegisterAgencyInput!) { registerAgency(input: $input) { id } }"
ADD_STAFF = "mutation($input: AddStaffInput!) { addStaff(input: $input) { id username } }"
CHANGE_AGENCY_STATUS = (
    "mutation($input: ChangeAgencyStatusInput!) { changeAgencyStatus(input: $input) { status } }"
)
ISSUE_PERMIT = "mutation($input: IssuePermitInput!) { issueWorkPermit(input: $input) { id state } }"
REVOKE_PERMIT = (
    "mutation($id: ID!, $reason: String!) { revokeWorkPermit(id: $id, reason: $reason) { id state } }"
)
CREATE_CONTRACT = "mutation($input: CreateContractInput!) { createServiceContract(input: $input) { id } }"
SIGN = "mutation($id: ID!, $on: Date!) { signServiceContract(id: $id, signedOn: $on) { id status } }"
REGISTER_ENTERPRISE = (
    "mutation($input: RegisterEnterpriseInput!) { registerEnterprise(input: $input) { id creditCode } }"
)
JURISDICTIONS = "{ jurisdictions(first: 100) { edges { node { id kind } } } }"
