"""GraphQL documents the appraisal e2e tests send (one copy each)."""

from __future__ import annotations

CREATE_APPRAISAL = "mutation($input: CreateAppraisalInput!) { createAppraisal(input: $input) { id } }"
APPRAISALS_OF_AGENCY = (
    'query($a: ID!) { appraisals(filter: {agencyId: $a, period: "2026-Q1"}) { edges { node { id } } } }'
)
