"""The registry's GraphQL documents, shared by its e2e tests (and by other services' tests that
set up registry data: ``CREATE_JURISDICTION``, ``REGISTER_AGENCY``, ``ADD_STAFF``, …)."""

from __future__ import annotations

AGENCY_FIELDS = """
fragment AgencyFields on Agency {
  id name creditCode adminUsername status statusReason statusChangedAt rulesMet noncompliantSince
  admissionCheck { code message }
  statusHistory { fromStatus toStatus reason changedAt changedBy }
  creditListings { id source listedOn delistedOn active }
}"""
FILING_FIELDS = """
fragment FilingFields on Filing {
  id status standing signedOn dueOn dueProvisional workingDaysLeft firstFiledOn filedLate
  acknowledgedAt returnReason
  contract { id status }
  jurisdiction { id }
  history { action by reason }
}"""

CREATE_JURISDICTION = """
mutation($input: CreateJurisdictionInput!) { createJurisdiction(input: $input) { id code name } }"""
REGISTER_AGENCY = (
    "mutation($input: RegisterAgencyInput!) { registerAgency(input: $input) { ...AgencyFields } }"
    + AGENCY_FIELDS
)
CHANGE_STATUS = (
    "mutation($input: ChangeAgencyStatusInput!) { changeAgencyStatus(input: $input) { ...AgencyFields } }"
    + AGENCY_FIELDS
)
AGENCY = "query($id: ID!) { agency(id: $id) { ...AgencyFields } }" + AGENCY_FIELDS
ADD_STAFF = """
mutation($input: AddStaffInput!) {
  addStaff(input: $input) { id username title professional qualityManager joinedOn leftOn }
}"""
UPDATE_STAFF = """
mutation($id: ID!, $input: UpdateStaffInput!) { updateStaff(id: $id, input: $input) { id qualityManager } }"""
DEPART = """
mutation($id: ID!, $leftOn: Date!) { recordStaffDeparture(id: $id, leftOn: $leftOn) { id leftOn qualityManager } }"""
LIST_CREDIT = """
mutation($agencyId: ID!, $listedOn: Date!) {
  recordCreditListing(agencyId: $agencyId, source: "信用中国", listedOn: $listedOn, note: "test listing") {
    id source listedOn delistedOn active
  }
}"""
END_CREDIT = """
mutation($id: ID!, $on: Date!) { endCreditListing(listingId: $id, delistedOn: $on) { id delistedOn active } }"""
STAFF_OF = """
query($agencyId: ID!) { staff(filter: {agencyId: $agencyId}, first: 100) { totalCount edges { node { id username } } } }"""
ISSUE_PERMIT = """
mutation($input: IssuePermitInput!) {
  issueWorkPermit(input: $input) { id number validFrom validTo state revokedAt issuedBy { id } staff { id } }
}"""
REVOKE_PERMIT = """
mutation($id: ID!, $reason: String!) { revokeWorkPermit(id: $id, reason: $reason) { id state revokedAt revokedReason } }"""
HAS_PERMIT = """
query($staffId: ID!, $on: Date) { hasValidWorkPermit(staffId: $staffId, on: $on) { valid on permit { id } } }"""
PERMITS_OF = """
query($staffId: ID!) { workPermits(filter: {staffId: $staffId}) { totalCount edges { node { id state } } } }"""
CREATE_CONTRACT = """
mutation($input: CreateContractInput!) {
  createServiceContract(input: $input) { id status price title signedOn filing { id } }
}"""
SIGN = (
    "mutation($id: ID!, $on: Date!) { signServiceContract(id: $id, signedOn: $on) "
    "{ id status signedOn filing { ...FilingFields } } }" + FILING_FIELDS
)
FILE = "mutation($id: ID!) { fileServiceContract(id: $id) { ...FilingFields } }" + FILING_FIELDS
RETURN = (
    "mutation($id: ID!, $reason: String!) { returnFiling(contractId: $id, reason: $reason) { ...FilingFields } }"
    + FILING_FIELDS
)
ACKNOWLEDGE = "mutation($id: ID!) { acknowledgeFiling(contractId: $id) { ...FilingFields } }" + FILING_FIELDS
END_CONTRACT = """
mutation($id: ID!, $on: Date!) { endServiceContract(id: $id, endedOn: $on) { id status closedOn } }"""
CONTRACT = (
    "query($id: ID!) { serviceContract(id: $id) { id status signedOn closedOn filing { ...FilingFields } } }"
    + FILING_FIELDS
)
CONTRACTS_IN = """
query($j: ID!) { serviceContracts(filter: {jurisdictionId: $j}) { totalCount edges { node { id } } } }"""
FILINGS = (
    """
query($filter: FilingFilter, $first: Int, $after: String) {
  filings(filter: $filter, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { ...FilingFields } }
  }
}"""
    + FILING_FIELDS
)
FILING_COUNTS = """
query($filter: FilingFilter) { filingCounts(filter: $filter) { total awaiting dueSoon overdue filedOnTime filedLate } }"""
CALENDAR_YEAR = "query($y: Int!) { calendarYear(year: $y) { year confirmed entries { day kind name } } }"
SET_ENTRY = """
mutation($day: Date!, $kind: String!, $name: String!) {
  setCalendarEntry(day: $day, kind: $kind, name: $name) { year confirmed entries { day kind name } }
}"""
REMOVE_ENTRY = "mutation($day: Date!) { removeCalendarEntry(day: $day) { year } }"
CONFIRM_YEAR = "mutation($y: Int!) { confirmCalendarYear(year: $y) { year confirmed entries { day kind } } }"
ADD_WORKING_DAYS = (
    "query($start: Date!, $n: Int!) { addWorkingDays(start: $start, days: $n) { dueOn provisional } }"
)
RESET_PASSWORD = "mutation($u: String!) { resetAccountPassword(username: $u) }"

# Smaller selections, for tests that only need ids and states.
CREATE_CONTRACT_ID = (
    "mutation($input: CreateContractInput!) { createServiceContract(input: $input) { id status } }"
)
SIGN_STATUS = "mutation($id: ID!, $on: Date!) { signServiceContract(id: $id, signedOn: $on) { id status } }"
REGISTER_ENTERPRISE = (
    "mutation($input: RegisterEnterpriseInput!) { registerEnterprise(input: $input) { id } }"
)
REGISTER_AGENCY_ID = "mutation($input: RegisterAgencyInput!) { registerAgency(input: $input) { id } }"
ADD_STAFF_ID = "mutation($input: AddStaffInput!) { addStaff(input: $input) { id } }"
JURISDICTIONS_OF_KIND = (
    "query($kind: JurisdictionKind) { jurisdictions(filter: {kind: $kind}) { edges { node { id } } } }"
)
CONFIRM_WITH_REASON = """
mutation($y: Int!, $reason: String) {
  confirmCalendarYear(year: $y, overrideReason: $reason) { year confirmed overrideReason entries { day kind } }
}"""
CALENDAR_YEAR_OVERRIDE = "query($y: Int!) { calendarYear(year: $y) { year confirmed overrideReason } }"
SET_TEST_HOLIDAY = """
mutation($day: Date!) { setCalendarEntry(day: $day, kind: "HOLIDAY", name: "测试节") { year } }"""
