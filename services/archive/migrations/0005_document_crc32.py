"""archive: CRC-32 of each document version, recorded at upload

The archive ZIP stores a document with its size and CRC-32 in the local header, so streaming
readers (Java's ``ZipInputStream``) accept it. Versions uploaded before this column have none: the
download streams them deflated (level 0, stored blocks) with a data descriptor, which streaming
readers accept for deflated members, instead of reading the blob twice.
"""

import sqlalchemy as sa
from alembic import op

revision, down_revision, branch_labels, depends_on = "0005a", "0004a", None, None


def upgrade() -> None:
    with op.batch_alter_table("document_versions", schema=None) as batch_op:
        # Unsigned 32-bit values: BigInteger, as PostgreSQL's integer is signed.
        batch_op.add_column(sa.Column("crc32", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("document_versions", schema=None) as batch_op:
        batch_op.drop_column("crc32")
