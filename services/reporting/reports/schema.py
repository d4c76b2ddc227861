"""Reports GraphQL fragment (thin): types, inputs, and resolvers that check roles, parse input, call
``service`` / ``access`` and map rows to types. Merged into the service schema by ``../schema.py``."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import Enum
from typing import Any

import sqlalchemy as sa
import strawberry
from strawberry.types import Info

from ecosteward.clock import china_date, china_today
from ecosteward.db import utcnow
from ecosteward.fields import entity_field, guarded_mutation, list_field
from ecosteward.graphql import SortDirection, context_of, roles
from ecosteward.listing import Listing, read_in_scope
from ecosteward.mapping import from_row, perform
from ecosteward.references import Jurisdiction
from ecosteward.repository import parse_id
from services.reporting import access
from services.reporting.reports import domain, service
from services.reporting.reports.models import ReportRow

# ------------------------------------------------------------------------------------------ enums


@strawberry.enum(description="Kind of work report (报告类型).")
class ReportKind(Enum):
    QUARTERLY = strawberry.enum_value("QUARTERLY", description="Quarterly work report (季度工作报告).")
    ANNUAL = strawberry.enum_value("ANNUAL", description="Annual execution report (年度执行报告).")


@strawberry.enum(description="State of a report (报告状态).")
class ReportStatus(Enum):
    DRAFT = strawberry.enum_value("DRAFT", description="Being written (草稿).")
    SUBMITTED = strawberry.enum_value("SUBMITTED", description="Submitted to the bureau (已报送).")


@strawberry.enum(description="Sort keys for reports.")
class ReportSortField(Enum):
    PERIOD = strawberry.enum_value("PERIOD", description="Reporting period (a year before its quarters).")
    SUBMITTED_AT = strawberry.enum_value("SUBMITTED_AT", description="When the report was submitted.")


# ------------------------------------------------------------------------------------------ types


@strawberry.federation.type(
    keys=["id"],
    description="A jurisdiction's quarterly or annual work report to the bureau (环保管家工作报告).",
)
class Report:
    id: strawberry.ID = strawberry.field(description="Stable id.")
    kind: ReportKind = strawberry.field(description="Quarterly or annual.")
    year: int = strawberry.field(description="Year reported on.")
    quarter: int | None = strawberry.field(description="Quarter 1–4 for a quarterly report; null for annual.")
    period: str = strawberry.field(description="The period as text: 2026-Q3 or 2026.")
    status: ReportStatus = strawberry.field(description="Draft or submitted.")
    submitted_at: dt.datetime | None = strawberry.field(description="When it was submitted (UTC), if it was.")
    summary: str = strawberry.field(description="The report text: goals, work done, problems, next plans.")
    due_on: dt.date = strawberry.field(description="Due date: last day of the quarter, or 31 December.")
    jurisdiction_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="Submitted after the due date (China time); null while not submitted.")
    def submitted_late(self) -> bool | None:
        submitted_on = None if self.submitted_at is None else china_date(self.submitted_at)
        return domain.is_late(self.due_on, submitted_on)

    @strawberry.field(description="The reporting jurisdiction.")
    def jurisdiction(self) -> Jurisdiction:
        return Jurisdiction(id=strawberry.ID(str(self.jurisdiction_id)))

    @classmethod
    def from_row(cls, row: ReportRow) -> Report:
        return from_row(cls, row, due_on=domain.due_date(row.kind, row.year, row.quarter))

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Report:
        """Used by ``report(id)`` and ``_entities`` alike: one rule for both."""
        caller_scope = access.data_scope(context_of(info).user)  # a role that sees none: FORBIDDEN first
        return cls.from_row(await read_in_scope(info, ReportRow, id, "Report", caller_scope))


REPORTS = Listing(
    ReportRow, {"PERIOD": ReportRow.period, "SUBMITTED_AT": ReportRow.submitted_at}, Report.from_row
)


# ------------------------------------------------------------------------------------------ inputs


@strawberry.input(description="Filters for reports.")
class ReportFilter:
    jurisdiction_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only this jurisdiction."
    )
    kind: ReportKind | None = strawberry.field(default=None, description="Only this kind.")
    year: int | None = strawberry.field(default=None, description="Only this year.")
    quarter: int | None = strawberry.field(default=None, description="Only this quarter (quarterly reports).")
    status: ReportStatus | None = strawberry.field(default=None, description="Only this state.")

    def apply(self, stmt: sa.Select[Any]) -> sa.Select[Any]:
        if self.jurisdiction_id is not None:
            stmt = stmt.where(ReportRow.jurisdiction_id == parse_id(self.jurisdiction_id, "Jurisdiction"))
        if self.kind is not None:
            stmt = stmt.where(ReportRow.kind == self.kind.name)
        if self.year is not None:
            stmt = stmt.where(ReportRow.year == self.year)
        if self.quarter is not None:
            stmt = stmt.where(ReportRow.quarter == self.quarter)
        if self.status is not None:
            stmt = stmt.where(ReportRow.status == self.status.name)
        return stmt


@strawberry.input(description="A report to submit to the bureau.")
class SubmitReportInput:
    jurisdiction_id: strawberry.ID = strawberry.field(
        description="The reporting jurisdiction (a town: its own)."
    )
    kind: ReportKind = strawberry.field(description="Quarterly or annual.")
    year: int = strawberry.field(description="Year reported on (2000–2100).")
    quarter: int | None = strawberry.field(
        default=None, description="Quarter 1–4; only for quarterly reports."
    )
    summary: str = strawberry.field(description="The report text.")


# ------------------------------------------------------------------------------------------ root


@strawberry.type(description="Report queries (merged into the service's Query).")
class Query:
    report = entity_field(Report, description="One report by id (within your scope).")

    reports = list_field(
        Report,
        lambda info, request: REPORTS.answer(info, access.data_scope(context_of(info).user), request),
        filter=ReportFilter,
        sort=ReportSortField.PERIOD,
        direction=SortDirection.DESC,
        description="Reports in your scope: all for the bureau, your jurisdiction's for a town.",
        extensions=[roles(*access.READER_ROLES)],
    )


@strawberry.type(description="Report mutations (merged into the service's Mutation).")
class Mutation:
    @guarded_mutation(
        "Submit a quarterly or annual report; one per jurisdiction, kind and period.", *access.SUBMITTER_ROLES
    )
    async def submit_report(self, info: Info, input: SubmitReportInput) -> Report:
        jurisdiction_id = parse_id(input.jurisdiction_id, "Jurisdiction")
        row = await perform(
            info,
            service.submit_report,
            jurisdiction_id=jurisdiction_id,
            kind=input.kind.name,
            year=input.year,
            quarter=input.quarter,
            summary=input.summary,
            today=china_today(),
            submitted_at=utcnow(),
        )
        return Report.from_row(row)


TYPES: list[type] = [Report, Jurisdiction]
"""The entity types this area adds to the service schema (federation keys and references)."""
