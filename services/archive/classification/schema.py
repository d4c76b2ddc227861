"""Classification GraphQL: key/general source with reasons, dated facts, standing attributes, risk labels.

Reads: anyone who can see the enterprise (the archive's data scope: the bureau all, a town its
jurisdiction's, an enterprise itself). Writes: ``bureau_officer`` and ``town_officer`` (own
jurisdiction). ``agency_staff`` will be allowed once the enterprise core adds contract scope to the
archive's data scope.

For the ``Enterprise`` type the enterprise core adds fields that call :func:`classification_of` and
:func:`risk_labels_of`. This module never imports ``services.archive.enterprises.schema`` (which uses it).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Annotated, Any

import sqlalchemy as sa
import strawberry
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from ecosteward.clock import china_today
from ecosteward.fields import guarded_mutation
from ecosteward.graphql import Connection, context_of
from ecosteward.identity import Principal
from ecosteward.listing import page_of
from ecosteward.mapping import copy_into, from_row, perform
from ecosteward.outbox import UnitOfWork
from ecosteward.repository import parse_id
from services.archive.access import check_visible, enterprise_not_found, load_visible_enterprise
from services.archive.classification import domain, service
from services.archive.classification.models import (
    ClassificationChangeRow,
    EnterpriseFactRow,
    RiskLabelChangeRow,
    RiskLabelsRow,
    StandingAttributesRow,
)
from services.archive.classification.service import ClassificationView
from services.archive.enterprises.models import EnterpriseRow

WRITERS = ("bureau_officer", "town_officer")

EnterpriseIdArg = Annotated[strawberry.ID, strawberry.argument(description="The enterprise.")]
FirstArg = Annotated[int | None, strawberry.argument(description="Page size (default 50, at most 200).")]
AfterArg = Annotated[str | None, strawberry.argument(description="Cursor to continue after (`endCursor`).")]


def _name(member: Enum | None) -> str | None:
    """The wire value of a GraphQL enum member (None stays None)."""
    return None if member is None else str(member.value)


def _value(member: Enum) -> str:
    return str(member.value)


# ------------------------------------------------------------------------------------------ enums


@strawberry.enum(description="Key source (重点污染源) or general source (一般污染源).")
class SourceClass(Enum):
    KEY = strawberry.enum_value("KEY", description="Key source (重点污染源).")
    GENERAL = strawberry.enum_value("GENERAL", description="General source (一般污染源).")


@strawberry.enum(description="Why a source is a key source (seed 000 §三(一)).")
class ClassificationReasonCode(Enum):
    KEY_DISCHARGE_UNIT = strawberry.enum_value(
        "KEY_DISCHARGE_UNIT", description="Designated a key discharge unit (重点排污单位)."
    )
    PERMIT_KEY = strawberry.enum_value("PERMIT_KEY", description="Under key permit management (重点管理).")
    PERMIT_SIMPLIFIED = strawberry.enum_value(
        "PERMIT_SIMPLIFIED", description="Under simplified permit management (简化管理)."
    )
    CLASS_I_POLLUTANT_UNIT = strawberry.enum_value(
        "CLASS_I_POLLUTANT_UNIT", description="Discharges class-I pollutants (涉一类污染物)."
    )
    KEY_SOLID_WASTE_PRODUCER = strawberry.enum_value(
        "KEY_SOLID_WASTE_PRODUCER", description="Designated a key solid-waste producer (重点固废产生单位)."
    )
    PENALTY = strawberry.enum_value("PENALTY", description="Penalised in the past three years (行政处罚).")
    NAMED_OR_VIOLATION = strawberry.enum_value(
        "NAMED_OR_VIOLATION", description="Named or a violation record in the past three years (通报/违法)."
    )
    VERIFIED_COMPLAINT = strawberry.enum_value(
        "VERIFIED_COMPLAINT", description="A verified complaint in the past three years (属实投诉)."
    )
    EXCEEDANCES = strawberry.enum_value(
        "EXCEEDANCES", description="Three or more exceedances in normal production in the past three years."
    )
    HIGH_RISK_ASSESSMENT = strawberry.enum_value(
        "HIGH_RISK_ASSESSMENT", description="Assessed as high risk in the past three years (高风险)."
    )


@strawberry.enum(description="What caused a re-evaluation of the classification.")
class ClassificationTrigger(Enum):
    FACT_RECORDED = strawberry.enum_value("FACT_RECORDED", description="A fact was recorded.")
    FACT_WITHDRAWN = strawberry.enum_value("FACT_WITHDRAWN", description="A fact was withdrawn.")
    STANDING_CHANGED = strawberry.enum_value(
        "STANDING_CHANGED", description="Standing attributes were changed."
    )
    PERIODIC_REVIEW = strawberry.enum_value(
        "PERIODIC_REVIEW",
        description="The daily review: a fact aged out of three years, or first evaluation.",
    )
    ENTERPRISE_CHANGED = strawberry.enum_value(
        "ENTERPRISE_CHANGED", description="The enterprise was registered or its permit category changed."
    )


@strawberry.enum(description="Kind of a dated fact about an enterprise.")
class EnterpriseFactKind(Enum):
    PENALTY = strawberry.enum_value("PENALTY", description="Administrative penalty (行政处罚).")
    NAMED_OR_VIOLATION = strawberry.enum_value(
        "NAMED_OR_VIOLATION", description="Publicly named or a violation record (通报/违法记录)."
    )
    COMPLAINT = strawberry.enum_value(
        "COMPLAINT", description="A complaint (信访投诉); counts only when verified."
    )
    EXCEEDANCE = strawberry.enum_value(
        "EXCEEDANCE", description="An exceedance (超标); counts only in normal production, from the third."
    )
    RISK_ASSESSMENT = strawberry.enum_value(
        "RISK_ASSESSMENT", description="A risk assessment (风险评估); counts only with a HIGH result."
    )


@strawberry.enum(description="High, medium or low (高/中/低).")
class RiskLevel(Enum):
    HIGH = strawberry.enum_value("HIGH", description="High (高).")
    MEDIUM = strawberry.enum_value("MEDIUM", description="Medium (中).")
    LOW = strawberry.enum_value("LOW", description="Low (低).")


@strawberry.enum(description="Overall environmental risk grade (环保综合风险, seed 003).")
class OverallRisk(Enum):
    MAJOR = strawberry.enum_value("MAJOR", description="Major (重大): at least 2 routine inspections a year.")
    SIGNIFICANT = strawberry.enum_value(
        "SIGNIFICANT", description="Significant (较大): at least 2 routine inspections a year."
    )
    GENERAL = strawberry.enum_value(
        "GENERAL", description="General (一般): at least 1 routine inspection a year."
    )
    MINOR = strawberry.enum_value("MINOR", description="Minor (轻微): at least 1 routine inspection a year.")


@strawberry.enum(description="Medium of a special risk label (环保专项风险).")
class PollutionMedium(Enum):
    WATER = strawberry.enum_value("WATER", description="Water (水).")
    AIR = strawberry.enum_value("AIR", description="Air (气).")
    NOISE = strawberry.enum_value("NOISE", description="Noise (噪声).")
    HAZARDOUS_WASTE = strawberry.enum_value("HAZARDOUS_WASTE", description="Hazardous waste (危废).")


@strawberry.enum(description="Environmental management grade (环保管理等级).")
class ManagementGrade(Enum):
    A = strawberry.enum_value("A", description="Grade A (best managed).")
    B = strawberry.enum_value("B", description="Grade B.")
    C = strawberry.enum_value("C", description="Grade C (needs most help).")


@strawberry.enum(description="Social risk class (社会风险等级).")
class SocialRisk(Enum):
    I = strawberry.enum_value("I", description="Class I (I类).")  # noqa: E741 - the class is called I
    II = strawberry.enum_value("II", description="Class II (II类).")
    III = strawberry.enum_value("III", description="Class III (III类).")


@strawberry.enum(description="Environmental risk colour (环境风险等级).")
class EnvironmentalRisk(Enum):
    RED = strawberry.enum_value("RED", description="Red (红).")
    YELLOW = strawberry.enum_value("YELLOW", description="Yellow (黄).")
    GREEN = strawberry.enum_value("GREEN", description="Green (绿).")


@strawberry.enum(description="One of the risk labels of a source.")
class RiskLabelName(Enum):
    OVERALL_RISK = strawberry.enum_value("OVERALL_RISK", description="Overall risk grade.")
    WATER_RISK = strawberry.enum_value("WATER_RISK", description="Water risk.")
    AIR_RISK = strawberry.enum_value("AIR_RISK", description="Air risk.")
    NOISE_RISK = strawberry.enum_value("NOISE_RISK", description="Noise risk.")
    HAZARDOUS_WASTE_RISK = strawberry.enum_value("HAZARDOUS_WASTE_RISK", description="Hazardous-waste risk.")
    MANAGEMENT_GRADE = strawberry.enum_value("MANAGEMENT_GRADE", description="Management grade.")
    SOCIAL_RISK = strawberry.enum_value("SOCIAL_RISK", description="Social risk class.")
    ENVIRONMENTAL_RISK = strawberry.enum_value("ENVIRONMENTAL_RISK", description="Environmental risk colour.")


# ------------------------------------------------------------------------------------------ types


@strawberry.type(description="One reason a source is a key source.")
class ClassificationReason:
    code: ClassificationReasonCode = strawberry.field(description="Stable reason code.")
    message: str = strawberry.field(description="Human-readable explanation.")
    since: dt.date | None = strawberry.field(
        description="The reason has held at least since this day (a designation's date; for facts the "
        "earliest supporting fact still counting, for exceedances the third one). Null for the permit."
    )
    until: dt.date | None = strawberry.field(
        description="Last day a fact-based reason holds unless new facts arrive (fact date + 3 years); "
        "null for standing attributes."
    )
    fact_ids: list[strawberry.ID] = strawberry.field(description="The facts supporting this reason.")

    @classmethod
    def from_domain(cls, reason: domain.Reason) -> ClassificationReason:
        return from_row(
            cls,
            reason,
            code=ClassificationReasonCode(reason.code.value),
            fact_ids=[strawberry.ID(i) for i in reason.fact_ids],
        )

    @classmethod
    def from_stored(cls, raw: dict[str, Any]) -> ClassificationReason:
        return cls.from_domain(service.reason_from_dict(raw))


@strawberry.type(description="Standing designations of a source (the permit category is on the enterprise).")
class StandingAttributes:
    key_discharge_unit: bool = strawberry.field(description="Key discharge unit (重点排污单位).")
    key_discharge_unit_since: dt.date | None = strawberry.field(description="Designated on.")
    class_i_pollutant_unit: bool = strawberry.field(description="Class-I pollutant unit (涉一类污染物).")
    class_i_pollutant_unit_since: dt.date | None = strawberry.field(description="Designated on.")
    key_solid_waste_producer: bool = strawberry.field(
        description="Key solid-waste producer (重点固废产生单位)."
    )
    key_solid_waste_producer_since: dt.date | None = strawberry.field(description="Designated on.")
    updated_at: dt.datetime | None = strawberry.field(description="Last changed (null: never set).")
    updated_by: str | None = strawberry.field(description="Who changed them last.")
    note: str = strawberry.field(description="Note given with the last change.")

    @classmethod
    def from_row(cls, row: StandingAttributesRow | None) -> StandingAttributes:
        if row is None:
            return cls(
                key_discharge_unit=False,
                key_discharge_unit_since=None,
                class_i_pollutant_unit=False,
                class_i_pollutant_unit_since=None,
                key_solid_waste_producer=False,
                key_solid_waste_producer_since=None,
                updated_at=None,
                updated_by=None,
                note="",
            )
        return from_row(
            cls,
            row,
            key_discharge_unit=row.key_discharge_unit_since is not None,
            class_i_pollutant_unit=row.class_i_pollutant_unit_since is not None,
            key_solid_waste_producer=row.key_solid_waste_producer_since is not None,
        )


@strawberry.type(
    name="EnterpriseClassification",
    description="Whether a source is a key source (重点污染源) today, and why; computed from its current facts.",
)
class Classification:
    enterprise_id: strawberry.ID = strawberry.field(description="The enterprise.")
    key: bool = strawberry.field(description="True for a key source, false for a general source.")
    source_class: SourceClass = strawberry.field(description="KEY or GENERAL.")
    reasons: list[ClassificationReason] = strawberry.field(
        description="Every reason that applies (empty exactly when the source is general)."
    )
    as_of: dt.date = strawberry.field(description="The day (China time) this classification is for.")
    next_review_on: dt.date | None = strawberry.field(
        description="The next day a fact enters or leaves the three-year window and the result may change."
    )
    recorded: bool = strawberry.field(
        description="Whether this result is the one recorded in the history (false only until the "
        "periodic review records a change that aging facts made)."
    )
    recorded_at: dt.datetime | None = strawberry.field(
        description="When the recorded result took effect (null when not yet recorded)."
    )
    standing: StandingAttributes = strawberry.field(description="The standing designations.")

    @classmethod
    def from_view(cls, view: ClassificationView) -> Classification:
        return cls(
            enterprise_id=strawberry.ID(str(view.enterprise.id)),
            key=view.result.key,
            source_class=SourceClass.KEY if view.result.key else SourceClass.GENERAL,
            reasons=[ClassificationReason.from_domain(r) for r in view.result.reasons],
            as_of=view.as_of,
            next_review_on=view.next_review_on,
            recorded=view.recorded,
            recorded_at=view.state.changed_at if view.recorded and view.state is not None else None,
            standing=StandingAttributes.from_row(view.standing),
        )


@strawberry.type(description="One change of a source's classification (key/general or its reasons).")
class ClassificationChange:
    id: strawberry.ID = strawberry.field(description="Stable id.")
    enterprise_id: strawberry.ID = strawberry.field(description="The enterprise.")
    key: bool = strawberry.field(description="Key source after the change.")
    source_class: SourceClass = strawberry.field(description="KEY or GENERAL after the change.")
    reasons: list[ClassificationReason] = strawberry.field(description="The reasons after the change.")
    previous_key: bool | None = strawberry.field(
        description="Before the change (null: first classification)."
    )
    previous_source_class: SourceClass | None = strawberry.field(
        description="Before the change (null: first classification)."
    )
    previous_reasons: list[ClassificationReason] | None = strawberry.field(
        description="The reasons before the change (null: first classification)."
    )
    evaluated_on: dt.date = strawberry.field(description="The day the change was evaluated for.")
    changed_at: dt.datetime = strawberry.field(description="When it was recorded.")
    trigger: ClassificationTrigger = strawberry.field(description="What caused the evaluation.")
    triggered_by: str = strawberry.field(description="Who (username) or `system` for the periodic review.")

    @classmethod
    def from_row(cls, row: ClassificationChangeRow) -> ClassificationChange:
        previous = row.previous_key
        return from_row(
            cls,
            row,
            source_class=SourceClass.KEY if row.key else SourceClass.GENERAL,
            reasons=[ClassificationReason.from_stored(r) for r in row.reasons],
            previous_source_class=None
            if previous is None
            else (SourceClass.KEY if previous else SourceClass.GENERAL),
            previous_reasons=None
            if row.previous_reasons is None
            else [ClassificationReason.from_stored(r) for r in row.previous_reasons],
        )


@strawberry.type(description="A dated fact about an enterprise; never deleted, only withdrawn with a reason.")
class EnterpriseFact:
    id: strawberry.ID = strawberry.field(description="Stable id.")
    enterprise_id: strawberry.ID = strawberry.field(description="The enterprise.")
    kind: EnterpriseFactKind = strawberry.field(description="Kind of fact.")
    occurred_on: dt.date = strawberry.field(
        description="Date of the fact (decision, complaint, measurement)."
    )
    verified: bool | None = strawberry.field(description="Complaints: verified (属实).")
    normal_production: bool | None = strawberry.field(
        description="Exceedances: during normal production (正常生产工况)."
    )
    assessment_result: RiskLevel | None = strawberry.field(description="Risk assessments: the result.")
    reference: str = strawberry.field(description="Document number (e.g. 处罚决定书文号).")
    description: str = strawberry.field(description="What happened.")
    qualifies: bool = strawberry.field(
        description="Whether this fact can make a key source at all (a verified complaint, an exceedance "
        "in normal production, a HIGH assessment; penalties and namings always)."
    )
    counts_until: dt.date = strawberry.field(
        description="Last day the fact counts: its date + 3 years (29 Feb → 28 Feb); it has aged out the day after."
    )
    counting: bool = strawberry.field(
        description="Whether the fact counts today: qualifies, not withdrawn, within its three years."
    )
    recorded_at: dt.datetime = strawberry.field(description="When it was recorded.")
    recorded_by: str = strawberry.field(description="Who recorded it.")
    withdrawn: bool = strawberry.field(description="Withdrawn (recorded in error); it no longer counts.")
    withdrawn_at: dt.datetime | None = strawberry.field(description="When it was withdrawn.")
    withdrawn_by: str | None = strawberry.field(description="Who withdrew it.")
    withdrawn_reason: str = strawberry.field(description="Why it was withdrawn.")

    @classmethod
    def from_row(cls, row: EnterpriseFactRow, today: dt.date) -> EnterpriseFact:
        fact = service.to_fact(row)
        withdrawn = row.withdrawn_at is not None
        return from_row(
            cls,
            row,
            qualifies=domain.qualifies(fact),
            counts_until=domain.last_day_counted(row.occurred_on),
            counting=not withdrawn and domain.counts(fact, today),
            withdrawn=withdrawn,
        )


@strawberry.type(description="The risk level of one medium (环保专项风险).")
class MediumRisk:
    medium: PollutionMedium = strawberry.field(description="Water, air, noise or hazardous waste.")
    level: RiskLevel = strawberry.field(description="High, medium or low.")


def _enum(kind: type[Enum], value: str | None) -> Any:
    return None if value is None else kind(value)


@strawberry.type(description="A source's risk labels (seed 003), set after re-inspection (复核).")
class RiskLabels:
    enterprise_id: strawberry.ID = strawberry.field(description="The enterprise.")
    overall_risk: OverallRisk | None = strawberry.field(description="Overall risk grade (null: unassessed).")
    required_inspections_per_year: int | None = strawberry.field(
        description="Routine inspections a year at least: 2 for MAJOR/SIGNIFICANT, 1 for GENERAL/MINOR "
        "(null while the overall grade is unassessed)."
    )
    medium_risks: list[MediumRisk] = strawberry.field(
        description="Per-medium risk (water, air, noise, hazardous waste), the assessed ones."
    )
    management_grade: ManagementGrade | None = strawberry.field(description="Management grade A/B/C.")
    social_risk: SocialRisk | None = strawberry.field(description="Social risk class I/II/III.")
    environmental_risk: EnvironmentalRisk | None = strawberry.field(description="Red / yellow / green.")
    reinspected_on: dt.date = strawberry.field(description="The re-inspection (复核) the labels come from.")
    reason: str = strawberry.field(description="Why they were set.")
    set_at: dt.datetime = strawberry.field(description="When they were set.")
    set_by: str = strawberry.field(description="Who set them.")

    @classmethod
    def build(
        cls,
        enterprise_id: uuid.UUID,
        labels: dict[str, str | None],
        reinspected_on: dt.date,
        reason: str,
        set_at: dt.datetime,
        set_by: str,
    ) -> RiskLabels:
        overall = labels.get("overall_risk")
        mediums = [
            MediumRisk(medium=PollutionMedium(medium.value), level=RiskLevel(level))
            for medium, name in domain.MEDIUM_LABELS.items()
            if (level := labels.get(name)) is not None
        ]
        return cls(
            enterprise_id=strawberry.ID(str(enterprise_id)),
            overall_risk=_enum(OverallRisk, overall),
            required_inspections_per_year=domain.required_inspections_per_year(
                domain.OverallRisk(overall) if overall else None
            ),
            medium_risks=mediums,
            management_grade=_enum(ManagementGrade, labels.get("management_grade")),
            social_risk=_enum(SocialRisk, labels.get("social_risk")),
            environmental_risk=_enum(EnvironmentalRisk, labels.get("environmental_risk")),
            reinspected_on=reinspected_on,
            reason=reason,
            set_at=set_at,
            set_by=set_by,
        )

    @classmethod
    def from_row(cls, row: RiskLabelsRow) -> RiskLabels:
        labels = service.labels_of(row) or {}
        return cls.build(row.enterprise_id, labels, row.reinspected_on, row.reason, row.set_at, row.set_by)


@strawberry.type(
    description="One setting of a source's risk labels after a re-inspection, with who, when, why."
)
class RiskLabelChange:
    id: strawberry.ID = strawberry.field(description="Stable id.")
    labels: RiskLabels = strawberry.field(description="All labels after this setting.")
    changed_labels: list[RiskLabelName] = strawberry.field(
        description="The labels whose value this setting changed (empty: the re-inspection confirmed them)."
    )
    changed_at: dt.datetime = strawberry.field(description="When.")
    changed_by: str = strawberry.field(description="Who.")
    reason: str = strawberry.field(description="Why.")

    @classmethod
    def from_row(cls, row: RiskLabelChangeRow) -> RiskLabelChange:
        return from_row(
            cls,
            row,
            labels=RiskLabels.build(
                row.enterprise_id, row.labels, row.reinspected_on, row.reason, row.changed_at, row.changed_by
            ),
            changed_labels=[RiskLabelName(name.upper()) for name in row.changed_labels],
        )


@strawberry.type(description="A fact recorded or withdrawn, and the classification after it.")
class EnterpriseFactPayload:
    fact: EnterpriseFact = strawberry.field(description="The fact.")
    classification: Classification = strawberry.field(description="The classification after the change.")
    classification_changed: bool = strawberry.field(
        description="Whether the classification changed (then it is in the history and announced)."
    )


# ------------------------------------------------------------------------------------------ inputs


@strawberry.input(description="A dated fact about an enterprise.")
class RecordEnterpriseFactInput:
    enterprise_id: strawberry.ID = strawberry.field(description="The enterprise.")
    kind: EnterpriseFactKind = strawberry.field(description="Kind of fact.")
    occurred_on: dt.date = strawberry.field(description="Date of the fact; not in the future.")
    verified: bool | None = strawberry.field(default=None, description="Complaints only, required: verified.")
    normal_production: bool | None = strawberry.field(
        default=None, description="Exceedances only, required: during normal production."
    )
    assessment_result: RiskLevel | None = strawberry.field(
        default=None, description="Risk assessments only, required: the result."
    )
    reference: str = strawberry.field(default="", description="Document number, at most 120 characters.")
    description: str = strawberry.field(default="", description="What happened.")


@strawberry.input(description="Changes to standing designations (unset ones stay).")
class SetEnterpriseStandingAttributesInput:
    enterprise_id: strawberry.ID = strawberry.field(description="The enterprise.")
    key_discharge_unit: bool | None = strawberry.field(default=None, description="Key discharge unit.")
    class_i_pollutant_unit: bool | None = strawberry.field(
        default=None, description="Class-I pollutant unit."
    )
    key_solid_waste_producer: bool | None = strawberry.field(
        default=None, description="Key solid-waste producer."
    )
    effective_on: dt.date | None = strawberry.field(
        default=None, description="When a new designation took effect (default today; not in the future)."
    )
    note: str = strawberry.field(default="", description="Why (e.g. the list it comes from, 名录).")


@strawberry.input(description="The risk level of one medium.")
class MediumRiskInput:
    medium: PollutionMedium = strawberry.field(description="The medium (each at most once).")
    level: RiskLevel = strawberry.field(description="Its level.")


@strawberry.input(
    description="Risk labels set after a re-inspection (复核); labels left out keep their value."
)
class SetRiskLabelsInput:
    enterprise_id: strawberry.ID = strawberry.field(description="The enterprise.")
    reason: str = strawberry.field(description="Why (required), e.g. the re-inspection's findings.")
    reinspected_on: dt.date | None = strawberry.field(
        default=None, description="Day of the re-inspection (default today; not in the future)."
    )
    overall_risk: OverallRisk | None = strawberry.field(default=None, description="Overall risk grade.")
    medium_risks: list[MediumRiskInput] | None = strawberry.field(
        default=None, description="Per-medium risk levels."
    )
    management_grade: ManagementGrade | None = strawberry.field(default=None, description="Management grade.")
    social_risk: SocialRisk | None = strawberry.field(default=None, description="Social risk class.")
    environmental_risk: EnvironmentalRisk | None = strawberry.field(
        default=None, description="Environmental risk colour."
    )


@strawberry.input(description="Filters for an enterprise's facts.")
class EnterpriseFactFilter:
    kinds: list[EnterpriseFactKind] | None = strawberry.field(default=None, description="Only these kinds.")
    include_withdrawn: bool = strawberry.field(default=False, description="Also withdrawn facts.")
    counting_only: bool = strawberry.field(
        default=False, description="Only facts that count today (qualifying, within three years)."
    )


# ------------------------------------------------------------------------------------------ resolvers


async def _visible_enterprise(info: Info, enterprise_id: strawberry.ID | str | uuid.UUID) -> EnterpriseRow:
    """The enterprise if it exists and the caller may see it (NOT_FOUND alike otherwise)."""
    return await load_visible_enterprise(info, parse_id(enterprise_id, "Enterprise"))


def _views_loader(info: Info) -> DataLoader[uuid.UUID, ClassificationView | None]:
    """Per request: classifications of many enterprises in a few queries (for the Enterprise list)."""
    ctx = context_of(info)
    key = "classification:views"
    loader = ctx.extras.get(key)
    if loader is None:

        async def load(ids: list[uuid.UUID]) -> list[ClassificationView | None]:
            async with ctx.runtime.sessions() as session:
                rows = (
                    await session.execute(
                        sa.select(EnterpriseRow).where(
                            EnterpriseRow.id.in_(ids), EnterpriseRow.deleted_at.is_(None)
                        )
                    )
                ).scalars()
                views = await service.classification_views(session, list(rows), china_today())
            by_id = {v.enterprise.id: v for v in views}
            return [by_id.get(i) for i in ids]

        loader = DataLoader(load_fn=load)
        ctx.extras[key] = loader
    return loader


async def classification_of(info: Info, enterprise_id: strawberry.ID | str | uuid.UUID) -> Classification:
    """Resolver for ``Enterprise.classification``: today's classification, batched per request."""
    entity = parse_id(enterprise_id, "Enterprise")
    view = await _views_loader(info).load(entity)
    if view is None:
        raise enterprise_not_found(entity)
    await check_visible(info, view.enterprise)
    return Classification.from_view(view)


def _labels_loader(info: Info) -> DataLoader[uuid.UUID, RiskLabelsRow | None]:
    ctx = context_of(info)
    key = "classification:labels"
    loader = ctx.extras.get(key)
    if loader is None:

        async def load(ids: list[uuid.UUID]) -> list[RiskLabelsRow | None]:
            async with ctx.runtime.sessions() as session:
                rows = await service.rows_by_enterprise(session, RiskLabelsRow, ids)
            return [rows.get(i) for i in ids]

        loader = DataLoader(load_fn=load)
        ctx.extras[key] = loader
    return loader


async def risk_labels_of(info: Info, enterprise_id: strawberry.ID | str | uuid.UUID) -> RiskLabels | None:
    """Resolver for ``Enterprise.riskLabels``: the current labels (null: never labelled), batched.

    The caller (the ``Enterprise`` type) has already checked the caller's scope on the enterprise.
    """
    row = await _labels_loader(info).load(parse_id(enterprise_id, "Enterprise"))
    return None if row is None else RiskLabels.from_row(row)


async def _classification_in(uow_session: Any, enterprise_id: uuid.UUID) -> Classification:
    """The classification of an enterprise a use case has just changed, read in its transaction."""
    enterprise = await uow_session.get(EnterpriseRow, enterprise_id)
    assert enterprise is not None  # the use case has just found it
    views = await service.classification_views(uow_session, [enterprise], china_today())
    return Classification.from_view(views[0])


async def _fact_change(
    info: Info, change: Callable[[UnitOfWork, Principal], Awaitable[tuple[EnterpriseFactRow, bool]]]
) -> EnterpriseFactPayload:
    """Record or withdraw a fact (``change``) and answer with it and the classification after it."""
    ctx = context_of(info)
    async with ctx.runtime.unit_of_work() as uow:
        row, changed = await change(uow, ctx.user)
        classification = await _classification_in(uow.session, row.enterprise_id)
    return EnterpriseFactPayload(
        fact=EnterpriseFact.from_row(row, china_today()),
        classification=classification,
        classification_changed=changed,
    )


def _labels_input(input: SetRiskLabelsInput) -> tuple[dict[str, str | None], list[dict[str, str]]]:
    labels: dict[str, str | None] = {
        "overall_risk": _name(input.overall_risk),
        "management_grade": _name(input.management_grade),
        "social_risk": _name(input.social_risk),
        "environmental_risk": _name(input.environmental_risk),
    }
    problems: list[dict[str, str]] = []
    seen: set[str] = set()
    for index, item in enumerate(input.medium_risks or []):
        medium = _value(item.medium)
        if medium in seen:
            problems.append(
                {"field": f"mediumRisks.{index}.medium", "message": f"{medium} is given twice (重复填写)."}
            )
        seen.add(medium)
        labels[domain.MEDIUM_LABELS[domain.PollutionMedium(medium)]] = _value(item.level)
    return labels, problems


@strawberry.type(description="Archive queries: classification and risk labels.")
class Query:
    @strawberry.field(description="Whether a source is a key source today, and why.")
    async def enterprise_classification(self, info: Info, enterprise_id: EnterpriseIdArg) -> Classification:
        row = await _visible_enterprise(info, enterprise_id)
        return await classification_of(info, row.id)

    @strawberry.field(description="Changes of a source's classification, newest first.")
    async def classification_history(
        self, info: Info, enterprise_id: EnterpriseIdArg, first: FirstArg = None, after: AfterArg = None
    ) -> Connection[ClassificationChange]:
        row = await _visible_enterprise(info, enterprise_id)
        stmt = (
            sa.select(ClassificationChangeRow)
            .where(ClassificationChangeRow.enterprise_id == row.id)
            .order_by(ClassificationChangeRow.changed_at.desc(), ClassificationChangeRow.id.asc())
        )
        return await page_of(info, stmt, first, after, ClassificationChange.from_row)

    @strawberry.field(description="A source's dated facts, newest first (withdrawn ones on request).")
    async def enterprise_facts(
        self,
        info: Info,
        enterprise_id: EnterpriseIdArg,
        filter: Annotated[
            EnterpriseFactFilter | None, strawberry.argument(description="Which facts.")
        ] = None,
        first: FirstArg = None,
        after: AfterArg = None,
    ) -> Connection[EnterpriseFact]:
        row = await _visible_enterprise(info, enterprise_id)
        today = china_today()
        chosen = filter or EnterpriseFactFilter()
        stmt = sa.select(EnterpriseFactRow).where(EnterpriseFactRow.enterprise_id == row.id)
        if not chosen.include_withdrawn or chosen.counting_only:
            stmt = stmt.where(EnterpriseFactRow.withdrawn_at.is_(None))
        if chosen.kinds:
            stmt = stmt.where(EnterpriseFactRow.kind.in_([_value(k) for k in chosen.kinds]))
        if chosen.counting_only:
            stmt = stmt.where(
                EnterpriseFactRow.occurred_on.between(domain.window_start(today), today),
                sa.or_(
                    EnterpriseFactRow.kind.in_(
                        [domain.FactKind.PENALTY.value, domain.FactKind.NAMED_OR_VIOLATION.value]
                    ),
                    (EnterpriseFactRow.kind == domain.FactKind.COMPLAINT.value)
                    & EnterpriseFactRow.verified.is_(True),
                    (EnterpriseFactRow.kind == domain.FactKind.EXCEEDANCE.value)
                    & EnterpriseFactRow.normal_production.is_(True),
                    (EnterpriseFactRow.kind == domain.FactKind.RISK_ASSESSMENT.value)
                    & (EnterpriseFactRow.assessment_result == domain.RiskLevel.HIGH.value),
                ),
            )
        stmt = stmt.order_by(
            EnterpriseFactRow.occurred_on.desc(), EnterpriseFactRow.recorded_at.desc(), EnterpriseFactRow.id
        )
        return await page_of(info, stmt, first, after, lambda r: EnterpriseFact.from_row(r, today))

    @strawberry.field(description="A source's current risk labels (null: never labelled).")
    async def risk_labels(self, info: Info, enterprise_id: EnterpriseIdArg) -> RiskLabels | None:
        row = await _visible_enterprise(info, enterprise_id)
        return await risk_labels_of(info, row.id)

    @strawberry.field(description="Every setting of a source's risk labels, newest first.")
    async def risk_label_history(
        self, info: Info, enterprise_id: EnterpriseIdArg, first: FirstArg = None, after: AfterArg = None
    ) -> Connection[RiskLabelChange]:
        row = await _visible_enterprise(info, enterprise_id)
        stmt = (
            sa.select(RiskLabelChangeRow)
            .where(RiskLabelChangeRow.enterprise_id == row.id)
            .order_by(RiskLabelChangeRow.changed_at.desc(), RiskLabelChangeRow.id.asc())
        )
        return await page_of(info, stmt, first, after, RiskLabelChange.from_row)


@strawberry.type(description="Archive mutations: classification facts and risk labels.")
class Mutation:
    @guarded_mutation(
        "Record a dated fact (penalty, naming, complaint, exceedance, risk assessment) and "
        "re-classify the source. Bureau, or a town for its own jurisdiction.",
        *WRITERS,
    )
    async def record_enterprise_fact(
        self,
        info: Info,
        input: Annotated[RecordEnterpriseFactInput, strawberry.argument(description="The fact.")],
    ) -> EnterpriseFactPayload:
        data = copy_into(
            service.FactInput,
            input,
            enterprise_id=parse_id(input.enterprise_id, "Enterprise"),
            kind=domain.FactKind(_value(input.kind)),
            assessment_result=domain.RiskLevel(_value(input.assessment_result))
            if input.assessment_result
            else None,
        )
        return await _fact_change(info, lambda uow, user: service.record_fact(uow, user, data))

    @guarded_mutation(
        "Withdraw a fact recorded in error (it is kept, marked withdrawn with the reason) and "
        "re-classify the source.",
        *WRITERS,
    )
    async def withdraw_enterprise_fact(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The fact.")],
        reason: Annotated[str, strawberry.argument(description="Why it is withdrawn (required).")],
    ) -> EnterpriseFactPayload:
        fact_id = parse_id(id, "Fact")
        return await _fact_change(info, lambda uow, user: service.withdraw_fact(uow, user, fact_id, reason))

    @guarded_mutation(
        "Designate or undesignate a source as key discharge unit, class-I pollutant unit or "
        "key solid-waste producer, and re-classify it.",
        *WRITERS,
    )
    async def set_enterprise_standing_attributes(
        self,
        info: Info,
        input: Annotated[
            SetEnterpriseStandingAttributesInput,
            strawberry.argument(description="The designations to change."),
        ],
    ) -> Classification:
        ctx = context_of(info)
        data = copy_into(
            service.StandingInput, input, enterprise_id=parse_id(input.enterprise_id, "Enterprise")
        )
        async with ctx.runtime.unit_of_work() as uow:
            row, _ = await service.set_standing(uow, ctx.user, data)
            return await _classification_in(uow.session, row.enterprise_id)

    @guarded_mutation(
        "Set a source's risk labels after a re-inspection (复核); each setting is kept in the "
        "history and announced as `enterprise.labelled`.",
        *WRITERS,
    )
    async def set_risk_labels(
        self,
        info: Info,
        input: Annotated[SetRiskLabelsInput, strawberry.argument(description="The labels and why.")],
    ) -> RiskLabels:
        enterprise_id = parse_id(input.enterprise_id, "Enterprise")
        labels, problems = _labels_input(input)
        row = await perform(
            info,
            service.set_risk_labels,
            service.LabelsInput(
                enterprise_id=enterprise_id,
                reason=input.reason,
                reinspected_on=input.reinspected_on,
                labels=labels,
                violations=problems,
            ),
        )
        return RiskLabels.from_row(row)
