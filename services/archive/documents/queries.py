"""Read helpers other archive areas use (the ZIP download, completeness figures)."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.archive.documents.models import ArchiveItemRow, DocumentVersionRow


async def current_versions(session: AsyncSession, enterprise_id: uuid.UUID) -> list[DocumentVersionRow]:
    """The latest live version of every document of an enterprise (not superseded, not withdrawn)."""
    rows = await session.execute(
        sa.select(DocumentVersionRow)
        .where(
            DocumentVersionRow.enterprise_id == enterprise_id,
            DocumentVersionRow.superseded_at.is_(None),
            DocumentVersionRow.withdrawn_at.is_(None),
        )
        .order_by(DocumentVersionRow.item_code, DocumentVersionRow.version)
    )
    return list(rows.scalars().all())


async def item_states(session: AsyncSession, enterprise_id: uuid.UUID) -> dict[str, ArchiveItemRow]:
    """The recorded paper/electronic state of each E.1 item of an enterprise, by item code."""
    rows = await session.execute(
        sa.select(ArchiveItemRow).where(ArchiveItemRow.enterprise_id == enterprise_id)
    )
    return {row.item_code: row for row in rows.scalars().all()}
