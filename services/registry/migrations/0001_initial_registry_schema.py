"""initial registry schema"""

import sqlalchemy as sa
from alembic import op

import ecosteward.db
from ecosteward import migration_tables as shared

revision, down_revision, branch_labels, depends_on = "0001", None, None, None


def upgrade() -> None:
    op.create_table(
        "agencies",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("contact_name", sa.String(length=100), nullable=False),
        sa.Column("contact_phone", sa.String(length=40), nullable=False),
        sa.Column("admin_username", sa.String(length=100), nullable=False),
        sa.Column("admin_email", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=False),
        sa.Column("status_changed_at", ecosteward.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("rules_met", sa.Boolean(), nullable=True),
        sa.Column("unmet_rules", sa.JSON(), nullable=False),
        sa.Column("noncompliant_since", ecosteward.db.UTCDateTime(timezone=True), nullable=True),
        *shared.entity_columns(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agencies")),
        sa.UniqueConstraint("admin_username", name=op.f("uq_agencies_admin_username")),
        sa.UniqueConstraint("credit_code", name=op.f("uq_agencies_credit_code")),
    )
    op.create_table(
        "calendar_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("updated_at", ecosteward.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=True),
        sa.Column("deleted_at", ecosteward.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_calendar_days")),
        comment="工作日历: holidays (法定节假日) and make-up working days (调休上班日)",
    )
    op.create_table(
        "calendar_years",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("confirmed", sa.Boolean(), nullable=False),
        sa.Column("confirmed_at", ecosteward.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("confirmed_by", sa.String(length=100), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_calendar_years")),
        comment="Years whose official holiday schedule is known; deadlines in other years are provisional",
    )
    shared.create_inbox_events()
    op.create_table(
        "jurisdictions",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("name_en", sa.String(length=160), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        *shared.entity_columns(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jurisdictions")),
        sa.UniqueConstraint("code", name=op.f("uq_jurisdictions_code")),
    )
    shared.create_keycloak_accounts()
    shared.create_outbox_events()
    shared.create_child_table(
        "agency_status_changes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("unmet_rules", sa.JSON(), nullable=False),
        sa.Column("changed_at", ecosteward.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("changed_by", sa.String(length=100), nullable=False),
        parent="agencies",
        column="agency_id",
        indexed=["agency_id"],
    )
    shared.create_child_table(
        "credit_listings",
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("listed_on", sa.Date(), nullable=False),
        sa.Column("delisted_on", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        *shared.entity_columns(),
        parent="agencies",
        column="agency_id",
        indexed=["agency_id"],
    )
    op.create_table(
        "service_contracts",
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("jurisdiction_id", sa.Uuid(), nullable=False),
        sa.Column("price", ecosteward.db.Money(precision=18, scale=2), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("service_mode", sa.String(length=16), nullable=False),
        sa.Column("contracted_tasks", sa.Integer(), nullable=False),
        sa.Column("scope_jurisdiction_ids", sa.JSON(), nullable=False),
        sa.Column("scope_enterprise_ids", sa.JSON(), nullable=False),
        sa.Column("catalogue_codes", sa.JSON(), nullable=False),
        sa.Column("attachments", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("closed_reason", sa.Text(), nullable=False),
        *shared.entity_columns(),
        shared.references("service_contracts", "agency_id", "agencies"),
        shared.references("service_contracts", "jurisdiction_id", "jurisdictions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_contracts")),
    )
    shared.create_column_indexes("service_contracts", "agency_id", "jurisdiction_id", "status")
    op.create_table(
        "staff",
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("specialty", sa.String(length=120), nullable=False),
        sa.Column("title", sa.String(length=20), nullable=False),
        sa.Column("professional", sa.Boolean(), nullable=False),
        sa.Column("quality_manager", sa.Boolean(), nullable=False),
        sa.Column("qualifications", sa.JSON(), nullable=False),
        sa.Column("joined_on", sa.Date(), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=True),
        *shared.entity_columns(),
        shared.references("staff", "agency_id", "agencies"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff")),
        sa.UniqueConstraint("username", name=op.f("uq_staff_username")),
    )
    shared.create_column_indexes("staff", "agency_id")
    op.create_table(
        "filings",
        sa.Column("contract_id", sa.Uuid(), nullable=False),
        sa.Column("jurisdiction_id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("due_provisional", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("first_filed_on", sa.Date(), nullable=True),
        sa.Column("filed_at", ecosteward.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("filed_late", sa.Boolean(), nullable=True),
        sa.Column("acknowledged_at", ecosteward.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("return_reason", sa.Text(), nullable=False),
        sa.Column("overdue_announced_at", ecosteward.db.UTCDateTime(timezone=True), nullable=True),
        *shared.entity_columns(),
        shared.references("filings", "agency_id", "agencies"),
        shared.references("filings", "contract_id", "service_contracts"),
        shared.references("filings", "jurisdiction_id", "jurisdictions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_filings")),
        sa.UniqueConstraint("contract_id", name=op.f("uq_filings_contract_id")),
    )
    shared.create_column_indexes("filings", "agency_id", "due_on", "jurisdiction_id", "status")
    shared.create_child_table(
        "staff_records",
        sa.Column("staff_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("topic", sa.String(length=300), nullable=False),
        sa.Column("hours", ecosteward.db.Money(precision=18, scale=2), nullable=True),
        sa.Column("rating", sa.String(length=40), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        *shared.entity_columns(),
        parent="staff",
        column="staff_id",
        indexed=["staff_id"],
    )
    op.create_table(
        "work_permits",
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("staff_id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("issued_by_id", sa.Uuid(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=False),
        sa.Column("revoked_at", ecosteward.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.Text(), nullable=False),
        sa.Column("expiry_announced_at", ecosteward.db.UTCDateTime(timezone=True), nullable=True),
        *shared.entity_columns(),
        shared.references("work_permits", "agency_id", "agencies"),
        shared.references("work_permits", "issued_by_id", "jurisdictions"),
        shared.references("work_permits", "staff_id", "staff"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_permits")),
        sa.UniqueConstraint("number", name=op.f("uq_work_permits_number")),
    )
    shared.create_column_indexes("work_permits", "agency_id", "staff_id")
    shared.create_child_table(
        "filing_actions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("filing_id", sa.Uuid(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("at", ecosteward.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        parent="filings",
        column="filing_id",
        indexed=["filing_id"],
    )


def downgrade() -> None:
    shared.drop_tables(
        "filing_actions",
        "work_permits",
        "staff_records",
        "filings",
        "staff",
        "service_contracts",
        "credit_listings",
        "agency_status_changes",
        "outbox_events",
        "keycloak_accounts",
        "jurisdictions",
        "inbox_events",
        "calendar_years",
        "calendar_days",
        "agencies",
    )
