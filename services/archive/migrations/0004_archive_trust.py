"""archive trust: jurisdiction kinds and each contract's managing jurisdiction

Both columns are nullable and are filled from the registry's events from now on. Rows kept from
older events have neither: a contract scope without its managing jurisdiction grants nothing, and a
jurisdiction of unknown kind covers only itself (``services.archive.contract_scope``), so an old row
can never widen an agency's access; the contract's next event fills the column in.
"""

import sqlalchemy as sa
from alembic import op

revision, down_revision, branch_labels, depends_on = "0004a", "0001", None, None


def upgrade() -> None:
    with op.batch_alter_table("known_jurisdictions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=16), nullable=True))
    with op.batch_alter_table("contract_scopes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("managing_jurisdiction_id", sa.Uuid(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contract_scopes", schema=None) as batch_op:
        batch_op.drop_column("managing_jurisdiction_id")
    with op.batch_alter_table("known_jurisdictions", schema=None) as batch_op:
        batch_op.drop_column("kind")
