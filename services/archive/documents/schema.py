"""Archive documents in GraphQL: the E.1 catalogue, an enterprise's archive, completeness figures,
item states and withdrawals. Uploads and file contents are plain HTTP (``routes.py``).

For the enterprise type: :func:`archive_of` resolves ``Enterprise.archive``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import Enum
from typing import Any

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from ecosteward.errors import BadUserInput
from ecosteward.fields import guarded_mutation
from ecosteward.graphql import (
    MAX_PAGE,
    Connection,
    PageInfo,
    connection,
    context_of,
    decode_cursor,
    encode_cursor,
    roles,
)
from ecosteward.mapping import from_row, perform
from ecosteward.references import Jurisdiction
from ecosteward.repository import parse_id
from services.archive import access, links
from services.archive.documents import catalogue, domain, service
from services.archive.documents.catalogue import CatalogueItem
from services.archive.documents.models import ArchiveItemRow, DocumentVersionRow
from services.archive.enterprises.models import EnterpriseRow

READERS = ("bureau_officer", "town_officer", "agency_admin", "agency_staff", "enterprise_user")
DEFAULT_VERSIONS_PAGE = 50


@strawberry.type(description="An item of the archive checklist, seed 004 table E.1 (一企一档资料存档表).")
class ArchiveCatalogueItem:
    code: str = strawberry.field(description="Item code as in table E.1: 1, 2-1 … 9-14.")
    category_no: int = strawberry.field(description="Category number, 1 to 9.")
    category_name: str = strawberry.field(description="Category name (资料类别).")
    name: str = strawberry.field(description="Item name (资料名称), as in the seed.")
    name_en: str = strawberry.field(description="English name.")
    required_when: str = strawberry.field(
        description="'always', or the kind of source the item concerns (e.g. hazardous-waste producers); "
        "an item that does not apply is recorded as missing with a reason."
    )

    @classmethod
    def from_item(cls, item: CatalogueItem) -> ArchiveCatalogueItem:
        return from_row(cls, item)


@strawberry.enum(description="Where a document version stands.")
class DocumentVersionStatus(Enum):
    CURRENT = "CURRENT"
    SUPERSEDED = "SUPERSEDED"
    WITHDRAWN = "WITHDRAWN"


@strawberry.type(description="One uploaded version of an archive document; never deleted.")
class DocumentVersion:
    id: strawberry.ID = strawberry.field(description="Version id.")
    enterprise_id: strawberry.ID = strawberry.field(description="The enterprise whose archive holds it.")
    item_code: str = strawberry.field(description="The E.1 item.")
    version: int = strawberry.field(description="1, 2, … per item, in upload order.")
    file_name: str = strawberry.field(description="Safe display name of the uploaded file.")
    content_type: str = strawberry.field(description="MIME type (checked against the file's content).")
    size: int = strawberry.field(description="Size in bytes.")
    sha256: str = strawberry.field(description="SHA-256 of the content (hex).")
    uploaded_by: str = strawberry.field(description="Username of the uploader.")
    uploaded_at: dt.datetime = strawberry.field(description="When it was uploaded.")
    superseded_at: dt.datetime | None = strawberry.field(description="When a newer upload replaced it.")
    withdrawn_at: dt.datetime | None = strawberry.field(description="When it was withdrawn.")
    withdrawn_reason: str | None = strawberry.field(description="Why it was withdrawn.")
    withdrawn_by: str | None = strawberry.field(description="Who withdrew it.")
    retain_until: dt.date = strawberry.field(description="Kept at least until this day (five years).")
    status: DocumentVersionStatus = strawberry.field(description="Current, superseded or withdrawn.")
    content_path: str = strawberry.field(
        description="Path on the archive service that streams this version's content (GET with the "
        "bearer token; `?inline=1` to view a PDF or image). A withdrawn version: the bureau only. "
        "Prefer `contentUrl`: the path is relative to the archive service, not to the gateway."
    )

    @strawberry.field(
        description="Absolute URL on the archive service's own origin that streams this version's content "
        "(GET with the bearer token; `?inline=1` to view a PDF or image); built from "
        "ECOSTEWARD_ARCHIVE_PUBLIC_URL. A withdrawn version: the bureau only."
    )
    def content_url(self, info: Info) -> str:
        return links.content_url(context_of(info).runtime.settings, uuid.UUID(str(self.id)))

    @classmethod
    def from_row(cls, row: DocumentVersionRow) -> DocumentVersion:
        return from_row(
            cls,
            row,
            withdrawn_reason=row.withdrawn_reason or None,
            withdrawn_by=(row.withdrawn_by or None) if row.withdrawn_at is not None else None,
            status=DocumentVersionStatus(domain.version_status(row.superseded_at, row.withdrawn_at).value),
            content_path=service.content_path(row.id),
        )


@strawberry.type(description="One E.1 item of an enterprise's archive: what is filed, and why not.")
class ArchiveItem:
    code: str = strawberry.field(description="Item code as in table E.1.")
    category_no: int = strawberry.field(description="Category number, 1 to 9.")
    category_name: str = strawberry.field(description="Category name (资料类别).")
    name: str = strawberry.field(description="Item name (资料名称).")
    name_en: str = strawberry.field(description="English name.")
    required_when: str = strawberry.field(description="'always' or the kind of source it concerns.")
    electronic: bool | None = strawberry.field(
        description="Electronic copy (电子档): true when a current version is filed, false when recorded "
        "as missing (with a reason), null when never recorded."
    )
    paper: bool | None = strawberry.field(description="Paper copy (纸质档); null when never recorded.")
    missing_reason: str | None = strawberry.field(description="Why a copy is missing (原因).")
    accounted: bool = strawberry.field(
        description="Counts towards completeness: a current version is filed, or the missing electronic "
        "copy is recorded with a reason."
    )
    state_updated_at: dt.datetime | None = strawberry.field(description="When the state last changed.")
    state_updated_by: str | None = strawberry.field(description="Who last changed the state.")
    current: DocumentVersion | None = strawberry.field(
        description="The current version (neither superseded nor withdrawn), if any."
    )
    enterprise_id: strawberry.Private[uuid.UUID]

    @strawberry.field(
        description="Absolute URL on the archive service's own origin to POST a new version of this item to "
        "(multipart/form-data with one `file` part and the bearer token); built from "
        "ECOSTEWARD_ARCHIVE_PUBLIC_URL."
    )
    def upload_url(self, info: Info) -> str:
        return links.upload_url(context_of(info).runtime.settings, self.enterprise_id, self.code)

    @strawberry.field(
        description="Every version of this item, newest first: current, superseded and (unless "
        "`includeWithdrawn: false`) withdrawn ones."
    )
    async def versions(
        self,
        info: Info,
        include_withdrawn: bool = True,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[DocumentVersion]:
        history = await _history_loader(info).load(self.enterprise_id)
        rows = [r for r in history if r.item_code == self.code]
        return page_of(
            [DocumentVersion.from_row(r) for r in service.visible_versions(rows, include_withdrawn)],
            first,
            after,
        )

    @classmethod
    def build(
        cls,
        enterprise_id: uuid.UUID,
        item: CatalogueItem,
        current: DocumentVersionRow | None,
        state: ArchiveItemRow | None,
    ) -> ArchiveItem:
        facts = domain.ItemFacts(
            has_current_version=current is not None,
            electronic=state.electronic if state is not None else None,
            missing_reason=state.missing_reason if state is not None else "",
        )
        electronic = True if current is not None else (state.electronic if state is not None else None)
        return from_row(
            cls,
            item,
            electronic=electronic,
            paper=state.paper if state is not None else None,
            missing_reason=(state.missing_reason or None) if state is not None else None,
            accounted=domain.item_accounted(facts),
            state_updated_at=state.updated_at if state is not None else None,
            state_updated_by=(state.updated_by or None) if state is not None else None,
            current=DocumentVersion.from_row(current) if current is not None else None,
            enterprise_id=enterprise_id,
        )


@strawberry.type(
    description="Completeness of one enterprise's archive: accounted items / all 35 items of table E.1; "
    "an item is accounted for when a current version is filed or its missing electronic copy is "
    "recorded with a reason."
)
class ArchiveCompleteness:
    enterprise_id: strawberry.ID = strawberry.field(description="The enterprise.")
    accounted: int = strawberry.field(description="Items accounted for.")
    total: int = strawberry.field(description="Items of table E.1 (35).")
    ratio: float = strawberry.field(description="accounted / total, from 0 to 1.")
    complete: bool = strawberry.field(description="Every item is accounted for.")
    missing_item_codes: list[str] = strawberry.field(description="Items not accounted for, in table order.")

    @classmethod
    def of(cls, enterprise_id: uuid.UUID, figure: domain.Completeness) -> ArchiveCompleteness:
        return from_row(
            cls,
            figure,
            enterprise_id=strawberry.ID(str(enterprise_id)),
            missing_item_codes=list(figure.missing),
        )


@strawberry.type(description="One enterprise's archive (一企一档): the 35 items of table E.1.")
class EnterpriseArchive:
    enterprise_id: strawberry.ID = strawberry.field(description="The enterprise.")
    items: list[ArchiveItem] = strawberry.field(description="The items in table order.")
    completeness: ArchiveCompleteness = strawberry.field(description="How complete the archive is.")

    @strawberry.field(description="One item by code (null for a code not in table E.1).")
    def item(self, code: str) -> ArchiveItem | None:
        return next((i for i in self.items if i.code == code), None)

    @classmethod
    def build(
        cls,
        enterprise_id: uuid.UUID,
        current: dict[str, DocumentVersionRow],
        states: dict[str, ArchiveItemRow],
    ) -> EnterpriseArchive:
        items = [
            ArchiveItem.build(enterprise_id, item, current.get(item.code), states.get(item.code))
            for item in catalogue.catalogue()
        ]
        figure = service.completeness_from(current, states)
        return cls(
            enterprise_id=strawberry.ID(str(enterprise_id)),
            items=items,
            completeness=ArchiveCompleteness.of(enterprise_id, figure),
        )


@strawberry.type(
    description="Archive completeness over a jurisdiction's sources that are not closed: Σ accounted "
    "items / Σ items (equal to the mean of the sources' ratios)."
)
class JurisdictionArchiveCompleteness:
    jurisdiction_id: strawberry.ID = strawberry.field(description="The jurisdiction.")
    enterprises: int = strawberry.field(description="Sources counted (not closed).")
    complete_enterprises: int = strawberry.field(description="Sources whose archive is complete.")
    accounted: int = strawberry.field(description="Items accounted for, over all sources.")
    total: int = strawberry.field(description="Items over all sources (35 each).")
    ratio: float = strawberry.field(description="accounted / total, from 0 to 1 (0 without sources).")

    @strawberry.field(description="The jurisdiction (resolved by the registry).")
    def jurisdiction(self) -> Jurisdiction:
        return Jurisdiction(id=self.jurisdiction_id)


@strawberry.input(description="The recorded state of one E.1 item (表E.1: 电子档/纸质档, 如填否应说明原因).")
class SetArchiveItemStateInput:
    enterprise_id: strawberry.ID = strawberry.field(description="The enterprise.")
    item_code: str = strawberry.field(description="Item code as in table E.1.")
    electronic: bool = strawberry.field(
        description="Electronic copy held: true needs a current version filed; false needs none."
    )
    paper: bool = strawberry.field(description="Paper copy held.")
    missing_reason: str | None = strawberry.field(
        default=None, description="Required when electronic or paper is false."
    )


# ------------------------------------------------------------------------------------- helpers


def page_of(nodes: list[Any], first: int | None, after: str | None) -> Connection[Any]:
    """A Relay page of an in-memory list (an item's history is short)."""
    size = DEFAULT_VERSIONS_PAGE if first is None else first
    if size < 0 or size > MAX_PAGE:
        raise BadUserInput(f"`first` must be between 0 and {MAX_PAGE} (每页条数超出范围).", field="first")
    start = decode_cursor(after) + 1 if after else 0
    page = nodes[start : start + size]
    info = PageInfo(
        has_next_page=start + size < len(nodes),
        has_previous_page=start > 0,
        start_cursor=encode_cursor(start) if page else None,
        end_cursor=encode_cursor(start + len(page) - 1) if page else None,
    )
    return connection(page, info, len(nodes), start)


Snapshot = tuple[dict[str, DocumentVersionRow], dict[str, ArchiveItemRow]]


def _snapshot_loader(info: Info) -> DataLoader[uuid.UUID, Snapshot]:
    """Current versions and item states per enterprise: two queries per batch (lists of enterprises
    asking for their archive do not query per enterprise)."""
    ctx = context_of(info)
    loader = ctx.extras.get("documents:snapshot")
    if loader is None:

        async def load(ids: list[uuid.UUID]) -> list[Snapshot]:
            async with ctx.runtime.sessions() as session:
                current = await service.current_versions_of(session, ids)
                states = await service.item_states_of(session, ids)
            return [(current.get(i, {}), states.get(i, {})) for i in ids]

        loader = DataLoader(load_fn=load)
        ctx.extras["documents:snapshot"] = loader
    return loader


def _history_loader(info: Info) -> DataLoader[uuid.UUID, list[DocumentVersionRow]]:
    ctx = context_of(info)
    loader = ctx.extras.get("documents:history")
    if loader is None:

        async def load(ids: list[uuid.UUID]) -> list[list[DocumentVersionRow]]:
            async with ctx.runtime.sessions() as session:
                found = await service.versions_of(session, ids)
            return [found.get(i, []) for i in ids]

        loader = DataLoader(load_fn=load)
        ctx.extras["documents:history"] = loader
    return loader


async def _visible_enterprise(info: Info, enterprise_id: uuid.UUID | str) -> EnterpriseRow:
    return await access.load_visible_enterprise(info, parse_id(enterprise_id, "Enterprise"))


async def archive_of(info: Info, enterprise_id: uuid.UUID | str) -> EnterpriseArchive:
    """The archive of one enterprise for ``Enterprise.archive`` and ``enterpriseArchive``.

    NOT_FOUND alike for an unknown or deleted enterprise and for one outside the caller's data scope;
    batched per request (DataLoaders), so a list of enterprises costs a few queries in all.
    """
    row = await _visible_enterprise(info, enterprise_id)
    current, states = await _snapshot_loader(info).load(row.id)
    return EnterpriseArchive.build(row.id, current, states)


# ------------------------------------------------------------------------------------- operations


@strawberry.type(description="Archive documents: catalogue, archives and completeness.")
class Query:
    @strawberry.field(description="The archive checklist, seed 004 table E.1: 35 items in 9 categories.")
    def archive_catalogue(self) -> list[ArchiveCatalogueItem]:
        return [ArchiveCatalogueItem.from_item(item) for item in catalogue.catalogue()]

    @strawberry.field(
        description="One enterprise's archive (一企一档), within your scope.",
        extensions=[roles(*READERS)],
    )
    async def enterprise_archive(self, info: Info, enterprise_id: strawberry.ID) -> EnterpriseArchive:
        return await archive_of(info, enterprise_id)

    @strawberry.field(
        description="Completeness of one enterprise's archive (see ArchiveCompleteness).",
        extensions=[roles(*READERS)],
    )
    async def archive_completeness(self, info: Info, enterprise_id: strawberry.ID) -> ArchiveCompleteness:
        archive = await archive_of(info, enterprise_id)
        return archive.completeness

    @strawberry.field(
        description="Archive completeness of a jurisdiction's sources: any for the bureau, your own for a town.",
        extensions=[roles(*READERS)],
    )
    async def jurisdiction_archive_completeness(
        self, info: Info, jurisdiction_id: strawberry.ID
    ) -> JurisdictionArchiveCompleteness:
        ctx = context_of(info)
        jid = parse_id(jurisdiction_id, "Jurisdiction")
        async with ctx.runtime.sessions() as session:
            await service.check_jurisdiction_reader(session, ctx.user, jid)
            figure = await service.jurisdiction_completeness(session, jid)
        return from_row(JurisdictionArchiveCompleteness, figure, jurisdiction_id=strawberry.ID(str(jid)))

    @strawberry.field(
        description="One document version by id, within your scope (NOT_FOUND alike for an unknown id and "
        "for one outside your scope).",
        extensions=[roles(*READERS)],
    )
    async def document_version(self, info: Info, id: strawberry.ID) -> DocumentVersion:
        ctx = context_of(info)
        async with ctx.runtime.sessions() as session:
            row, _ = await service.readable_version(session, ctx.user, parse_id(id, "Document version"))
        return DocumentVersion.from_row(row)


@strawberry.type(description="Archive documents: item states and withdrawals.")
class Mutation:
    @guarded_mutation(
        "Record an item's electronic and paper copy; a reason is required whenever one is "
        "missing (VALIDATION_FAILED otherwise).",
        *domain.WRITER_ROLES,
    )
    async def set_archive_item_state(self, info: Info, input: SetArchiveItemStateInput) -> ArchiveItem:
        ctx = context_of(info)
        enterprise_id = parse_id(input.enterprise_id, "Enterprise")
        async with ctx.runtime.unit_of_work() as uow:
            state = await service.set_item_state(
                uow,
                ctx.user,
                enterprise_id,
                input.item_code,
                input.electronic,
                input.paper,
                input.missing_reason,
            )
            current = (await service.current_versions_of(uow.session, [enterprise_id])).get(enterprise_id, {})
        item = catalogue.get_item(state.item_code)
        return ArchiveItem.build(enterprise_id, item, current.get(item.code), state)

    @guarded_mutation(
        "Withdraw a document version with a reason (soft: it stays listed and retrievable "
        "for the bureau; withdrawing the current one leaves the item without a current version).",
        *domain.WRITER_ROLES,
    )
    async def withdraw_document_version(self, info: Info, id: strawberry.ID, reason: str) -> DocumentVersion:
        row = await perform(info, service.withdraw_version, parse_id(id, "Document version"), reason)
        return DocumentVersion.from_row(row)
