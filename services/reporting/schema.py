"""Reporting GraphQL schema (thin: scope checks, then models and domain rules)."""

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
from ecosteward.errors import BadUserInput, Conflict, NotFound
from ecosteward.graphql import Connection, SortDirection, connection, context_of, paginate, roles
from ecosteward.references import Jurisdiction
from ecosteward.repository import live, order_by, parse_id
from ecosteward.schema import build_schema
from ecosteward.scope import in_scope, restrict
from ecosteward.uniqueness import add_unique
from services.reporting import domain
from services.reporting.events import emit_report_submitted
from services.reporting.models import KnownJurisdictionRow, ReportRow

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
        return cls(
            id=strawberry.ID(str(row.id)),
            kind=ReportKind[row.kind],
            year=row.year,
            quarter=row.quarter,
            period=row.period,
            status=ReportStatus[row.status],
            submitted_at=row.submitted_at,
            summary=row.summary,
            due_on=domain.due_date(row.kind, row.year, row.quarter),
            jurisdiction_id=row.jurisdiction_id,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Report:
        """Used by ``report(id)`` and ``_entities`` alike: one rule for both."""
        ctx = context_of(info)
        caller_scope = domain.data_scope(ctx.user)  # a role that sees none: FORBIDDEN before any look-up
        report_id = parse_id(id, "Report")
        async with ctx.runtime.sessions() as session:
            row = await session.get(ReportRow, report_id)
        if (
            row is None
            or row.deleted_at is not None
            or not in_scope(caller_scope, domain.owners(row.jurisdiction_id))
        ):
            # "Not yours" answers like "not there", so ids cannot be probed.
            raise NotFound(f"Report {report_id} does not exist (不存在).", id=str(report_id))
        return cls.from_row(row)


_SCOPE_COLUMNS = {"jurisdiction_id": ReportRow.jurisdiction_id}


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


@strawberry.type(description="Reporting queries.")
class Query:
    @strawberry.field(description="One report by id (within your scope).")
    async def report(self, info: Info, id: strawberry.ID) -> Report:
        return await Report.resolve_reference(info, id)

    @strawberry.field(
        description="Reports in your scope: all for the bureau, your jurisdiction's for a town.",
        extensions=[roles(*domain.READER_ROLES)],
    )
    async def reports(
        self,
        info: Info,
        filter: ReportFilter | None = None,
        sort: ReportSortField = ReportSortField.PERIOD,
        direction: SortDirection = SortDirection.DESC,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Report]:
        ctx = context_of(info)
        stmt = restrict(live(ReportRow), domain.data_scope(ctx.user), _SCOPE_COLUMNS)
        if filter is not None:
            stmt = filter.apply(stmt)
        columns = {"PERIOD": ReportRow.period, "SUBMITTED_AT": ReportRow.submitted_at}
        stmt = order_by(stmt, columns, sort.name, direction, ReportRow.id)
        async with ctx.runtime.sessions() as session:
            rows, page, total = await paginate(session, stmt, first, after)
        return connection([Report.from_row(r) for r in rows], page, total)


@strawberry.type(description="Reporting mutations.")
class Mutation:
    @strawberry.mutation(
        description="Submit a quarterly or annual report; one per jurisdiction, kind and period.",
        extensions=[roles(*domain.SUBMITTER_ROLES)],
    )
    async def submit_report(self, info: Info, input: SubmitReportInput) -> Report:
        ctx = context_of(info)
        jurisdiction_id = parse_id(input.jurisdiction_id, "Jurisdiction")
        domain.check_may_submit(ctx.user, jurisdiction_id)
        kind = input.kind.name
        domain.check_submission(kind, input.year, input.quarter, input.summary, china_today())
        period = domain.period_label(kind, input.year, input.quarter)
        already = Conflict(
            f"A {kind.lower()} report for {period} was already submitted (重复报送).", field="year"
        )
        async with ctx.runtime.unit_of_work() as uow:
            if await uow.session.get(KnownJurisdictionRow, jurisdiction_id) is None:
                raise BadUserInput(
                    "Unknown jurisdiction: the registry has not announced it (辖区不存在).",
                    code="UNKNOWN_JURISDICTION",
                    field="jurisdictionId",
                )
            row = ReportRow(
                jurisdiction_id=jurisdiction_id,
                kind=kind,
                year=input.year,
                quarter=input.quarter,
                period=period,
                status=ReportStatus.SUBMITTED.name,
                submitted_at=utcnow(),
                summary=input.summary.strip(),
            )
            twin = sa.select(ReportRow.id).where(
                ReportRow.jurisdiction_id == jurisdiction_id,
                ReportRow.kind == kind,
                ReportRow.period == period,
            )
            await add_unique(uow.session, row, twin, already)
            emit_report_submitted(uow, row)
        return Report.from_row(row)


schema = build_schema(Query, Mutation, types=[Report, Jurisdiction])
