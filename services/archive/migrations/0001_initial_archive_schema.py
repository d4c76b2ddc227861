"""initial archive schema"""

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import ecosteward.db
from ecosteward import migration_tables as shared

revision, down_revision, branch_labels, depends_on = "0001", None, None, None


def upgrade() -> None:
    shared.create_local_copy(
        "contract_scopes",
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("jurisdiction_ids", sa.JSON(), nullable=False),
        sa.Column("enterprise_ids", sa.JSON(), nullable=False),
        indexed=["agency_id"],
    )
    op.create_table(
        "enterprises",
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("jurisdiction_id", sa.Uuid(), nullable=False),
        sa.Column("industry_code", sa.String(length=8), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("permit_category", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_changed_at", ecosteward.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("key_source", sa.Boolean(), nullable=False),
        *shared.entity_columns(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enterprises")),
        sa.UniqueConstraint("credit_code", name=op.f("uq_enterprises_credit_code")),
    )
    shared.create_column_indexes("enterprises", "jurisdiction_id", "key_source")
    op.create_index("ix_enterprises_location", "enterprises", ["latitude", "longitude"], unique=False)
    shared.create_column_indexes("enterprises", "name")
    shared.create_inbox_events()
    shared.create_keycloak_accounts()
    shared.create_local_copy(
        "known_jurisdictions",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
    )
    shared.create_outbox_events()
    _create_enterprise_table(
        "archive_downloads",
        sa.Column("requested_by", sa.String(length=100), nullable=False),
        sa.Column("requested_by_subject", sa.String(length=100), nullable=False),
        sa.Column("requested_by_role", sa.String(length=40), nullable=False),
        sa.Column("requested_at", ecosteward.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", ecosteward.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("started_at", ecosteward.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("completed_at", ecosteward.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("client_ip", sa.String(length=64), nullable=False),
        sa.Column("user_agent", sa.String(length=300), nullable=False),
        sa.Column("bytes_sent", sa.BigInteger(), nullable=False),
        sa.Column("files_count", sa.Integer(), nullable=False),
    )
    shared.create_column_indexes("archive_downloads", "enterprise_id")
    op.create_index(
        "ix_archive_downloads_enterprise_requested",
        "archive_downloads",
        ["enterprise_id", "requested_at"],
        unique=False,
    )
    shared.create_column_indexes("archive_downloads", "requested_at", "requested_by")
    _create_enterprise_table(
        "archive_items",
        sa.Column("item_code", sa.String(length=8), nullable=False),
        sa.Column("electronic", sa.Boolean(), nullable=True),
        sa.Column("paper", sa.Boolean(), nullable=True),
        sa.Column("missing_reason", sa.Text(), nullable=False),
        sa.Column("updated_at", ecosteward.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        unique={"uq_archive_items_enterprise_item": ["enterprise_id", "item_code"]},
    )
    shared.create_column_indexes("archive_items", "enterprise_id")
    _create_enterprise_table(
        "document_versions",
        sa.Column("item_code", sa.String(length=8), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=300), nullable=False),
        sa.Column("uploaded_by", sa.String(length=100), nullable=False),
        sa.Column("uploaded_at", ecosteward.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("superseded_at", ecosteward.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_at", ecosteward.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_reason", sa.Text(), nullable=False),
        sa.Column("withdrawn_by", sa.String(length=100), server_default="", nullable=False),
        sa.Column("retain_until", sa.Date(), nullable=False),
        unique={"uq_document_versions_item_version": ["enterprise_id", "item_code", "version"]},
    )
    op.create_index(
        "ix_document_versions_current",
        "document_versions",
        ["enterprise_id", "item_code", "superseded_at", "withdrawn_at"],
        unique=False,
    )
    shared.create_column_indexes("document_versions", "enterprise_id")
    _create_enterprise_table(
        "enterprise_classification_changes",
        sa.Column("key", sa.Boolean(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("previous_key", sa.Boolean(), nullable=True),
        sa.Column("previous_reasons", sa.JSON(), nullable=True),
        sa.Column("evaluated_on", sa.Date(), nullable=False),
        sa.Column("changed_at", ecosteward.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("trigger", sa.String(length=24), nullable=False),
        sa.Column("triggered_by", sa.String(length=100), nullable=False),
    )
    _index_by_enterprise("enterprise_classification_changes", "changed_at")
    _create_enterprise_table(
        "enterprise_classifications",
        sa.Column("key", sa.Boolean(), nullable=False),
        sa.Column("reason_codes", sa.JSON(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("evaluated_on", sa.Date(), nullable=False),
        sa.Column("evaluated_at", ecosteward.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("next_review_on", sa.Date(), nullable=True),
        sa.Column("changed_at", ecosteward.db.UTCDateTime(timezone=True), nullable=False),
        keyed_by_enterprise=True,
    )
    shared.create_column_indexes("enterprise_classifications", "next_review_on")
    _create_enterprise_table(
        "enterprise_facts",
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("verified", sa.Boolean(), nullable=True),
        sa.Column("normal_production", sa.Boolean(), nullable=True),
        sa.Column("assessment_result", sa.String(length=8), nullable=True),
        sa.Column("reference", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("recorded_at", ecosteward.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("withdrawn_at", ecosteward.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_by", sa.String(length=100), nullable=True),
        sa.Column("withdrawn_reason", sa.Text(), nullable=False),
    )
    _index_by_enterprise("enterprise_facts", "occurred_on")
    _create_enterprise_table(
        "enterprise_risk_label_changes",
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("previous", sa.JSON(), nullable=True),
        sa.Column("changed_labels", sa.JSON(), nullable=False),
        sa.Column("reinspected_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("changed_at", ecosteward.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("changed_by", sa.String(length=100), nullable=False),
    )
    _index_by_enterprise("enterprise_risk_label_changes", "changed_at")
    _create_enterprise_table(
        "enterprise_risk_labels",
        sa.Column("overall_risk", sa.String(length=16), nullable=True),
        sa.Column("water_risk", sa.String(length=8), nullable=True),
        sa.Column("air_risk", sa.String(length=8), nullable=True),
        sa.Column("noise_risk", sa.String(length=8), nullable=True),
        sa.Column("hazardous_waste_risk", sa.String(length=8), nullable=True),
        sa.Column("management_grade", sa.String(length=4), nullable=True),
        sa.Column("social_risk", sa.String(length=4), nullable=True),
        sa.Column("environmental_risk", sa.String(length=8), nullable=True),
        sa.Column("reinspected_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("set_at", ecosteward.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("set_by", sa.String(length=100), nullable=False),
        keyed_by_enterprise=True,
    )
    shared.create_column_indexes("enterprise_risk_labels", "overall_risk")
    # The standing attributes (常设属性) and their history share the dated columns.
    _create_enterprise_table(
        "enterprise_standing_attribute_changes",
        *_standing_attribute_columns(),
        sa.Column("changed_at", ecosteward.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("changed_by", sa.String(length=100), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
    )
    shared.create_column_indexes("enterprise_standing_attribute_changes", "enterprise_id")
    _create_enterprise_table(
        "enterprise_standing_attributes",
        *_standing_attribute_columns(),
        sa.Column("updated_at", ecosteward.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        keyed_by_enterprise=True,
    )
    _create_enterprise_table(
        "enterprise_status_changes",
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("changed_at", ecosteward.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("changed_by", sa.String(length=100), nullable=False),
    )
    shared.create_column_indexes("enterprise_status_changes", "enterprise_id")


def _create_enterprise_table(
    table: str,
    *columns: sa.Column[Any],
    keyed_by_enterprise: bool = False,
    unique: Mapping[str, Sequence[str]] = {},
) -> None:
    """A table of an enterprise's records (its own ``id``), or of its one current record (keyed by the enterprise)."""
    enterprise_id = sa.Column("enterprise_id", sa.Uuid(), nullable=False)
    leading = (
        [enterprise_id]
        if keyed_by_enterprise
        else [sa.Column("id", sa.Uuid(), nullable=False), enterprise_id]
    )
    shared.create_child_table(
        table,
        *leading,
        *columns,
        parent="enterprises",
        column="enterprise_id",
        key="enterprise_id" if keyed_by_enterprise else "id",
        unique=unique,
    )


def _index_by_enterprise(table: str, then: str) -> None:
    """``ix_<table>_enterprise``: one enterprise's rows in ``then`` order."""
    op.create_index(f"ix_{table}_enterprise", table, ["enterprise_id", then], unique=False)


def _standing_attribute_columns() -> list[sa.Column[Any]]:
    """The dates since which an enterprise holds each standing attribute (new columns each call)."""
    return [
        sa.Column("key_discharge_unit_since", sa.Date(), nullable=True),
        sa.Column("class_i_pollutant_unit_since", sa.Date(), nullable=True),
        sa.Column("key_solid_waste_producer_since", sa.Date(), nullable=True),
    ]


def downgrade() -> None:
    shared.drop_tables(
        "enterprise_status_changes",
        "enterprise_standing_attributes",
        "enterprise_standing_attribute_changes",
        "enterprise_risk_labels",
        "enterprise_risk_label_changes",
        "enterprise_facts",
        "enterprise_classifications",
        "enterprise_classification_changes",
        "document_versions",
        "archive_items",
        "archive_downloads",
        "outbox_events",
        "known_jurisdictions",
        "keycloak_accounts",
        "inbox_events",
        "enterprises",
        "contract_scopes",
    )
