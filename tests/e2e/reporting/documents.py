"""GraphQL documents the reporting e2e tests send (one copy each)."""

from __future__ import annotations

SUBMIT_REPORT = "mutation($input: SubmitReportInput!) { submitReport(input: $input) { id } }"
