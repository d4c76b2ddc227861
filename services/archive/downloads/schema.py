"""Archive downloads in GraphQL: ``requestArchiveDownload`` and the download log ``archiveDownloads``."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from ecosteward.errors import BadUserInput
from ecosteward.fields import PageRequest, guarded_mutation, list_field
from ecosteward.graphql import Connection, context_of, roles
from ecosteward.listing import page_of
from ecosteward.mapping import from_row
from ecosteward.repository import parse_id
from services.archive import access
from services.archive.downloads import service
from services.archive.downloads.models import ArchiveDownloadRow

if TYPE_CHECKING:
    from services.archive.enterprises.schema import Enterprise

DOWNLOADERS = ("bureau_officer", "town_officer", "enterprise_user")


@strawberry.type(
    description="A signed, short-lived link to download one enterprise's whole archive as a ZIP."
)
class ArchiveDownloadLink:
    url: str = strawberry.field(
        description="GET this URL (no token needed) before `expiresAt`; it works once, for this enterprise only."
    )
    expires_at: dt.datetime = strawberry.field(description="When the link stops working.")
    download_id: strawberry.ID = strawberry.field(description="The download's entry in the download log.")


@strawberry.enum(description="How an archive download stands or ended.")
class ArchiveDownloadOutcome(Enum):
    PENDING = "PENDING"
    EXPIRED = "EXPIRED"
    STREAMING = "STREAMING"
    COMPLETED = "COMPLETED"
    ABORTED = "ABORTED"
    FAILED = "FAILED"


@strawberry.type(description="One archive download (下载记录): who asked, when, and what went out.")
class ArchiveDownload:
    id: strawberry.ID = strawberry.field(description="Download id (the link's id).")
    enterprise_id: strawberry.ID = strawberry.field(description="Whose archive.")
    requested_by: str = strawberry.field(description="Username of the requester, from the token.")
    requested_by_role: str = strawberry.field(description="The requester's role when asking.")
    requested_at: dt.datetime = strawberry.field(description="When the link was requested.")
    expires_at: dt.datetime = strawberry.field(description="When the link expired or expires.")
    started_at: dt.datetime | None = strawberry.field(description="When streaming began.")
    completed_at: dt.datetime | None = strawberry.field(description="When streaming ended (any outcome).")
    outcome: ArchiveDownloadOutcome = strawberry.field(description="How it stands or ended.")
    bytes_sent: float = strawberry.field(
        description="Bytes of the ZIP streamed (a whole number; Float because GraphQL Int is 32-bit)."
    )
    files_count: int = strawberry.field(
        description="Document files in the ZIP (the cover sheet not counted)."
    )
    client_ip: str = strawberry.field(description="Address the link was used from.")

    @strawberry.field(description="The enterprise whose archive was downloaded.")
    async def enterprise(
        self, info: Info
    ) -> Annotated[Enterprise, strawberry.lazy("services.archive.enterprises.schema")]:
        from services.archive.enterprises.schema import Enterprise

        return await Enterprise.resolve_reference(info, self.enterprise_id)

    @classmethod
    def from_row(cls, row: ArchiveDownloadRow) -> ArchiveDownload:
        return from_row(
            cls,
            row,
            outcome=ArchiveDownloadOutcome(service.effective_outcome(row)),
            bytes_sent=float(row.bytes_sent),
        )


@strawberry.input(description="Filters for the download log.")
class ArchiveDownloadFilter:
    enterprise_id: strawberry.ID | None = strawberry.field(default=None, description="Only this enterprise.")
    requested_by: str | None = strawberry.field(default=None, description="Only this requester (username).")
    from_: dt.datetime | None = strawberry.field(
        default=None, name="from", description="Requested at or after this moment."
    )
    to: dt.datetime | None = strawberry.field(default=None, description="Requested before this moment.")


def _aware(value: dt.datetime | None, field: str) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        raise BadUserInput(
            "Give the time with its offset, e.g. 2026-01-01T00:00:00+08:00 (时间须带时区).", field=field
        )
    return value


async def _download_page(info: Info, request: PageRequest[ArchiveDownload]) -> Connection[ArchiveDownload]:
    filter: ArchiveDownloadFilter | None = request.filter
    ctx = context_of(info)
    scope = access.write_scope(ctx.user)
    since = until = None
    enterprise_id = None
    requested_by = None
    if filter is not None:
        if filter.enterprise_id is not None:
            enterprise_id = parse_id(filter.enterprise_id, "Enterprise")
        requested_by = filter.requested_by
        since = _aware(filter.from_, "from")
        until = _aware(filter.to, "to")
        if since is not None and until is not None and until < since:
            raise BadUserInput("`to` is before `from` (结束时间早于开始时间).", field="to")
    stmt = service.log_statement(ctx.user, scope, enterprise_id, requested_by, since, until)
    return await page_of(info, stmt, request.first, request.after, ArchiveDownload.from_row)


@strawberry.type(description="Archive downloads: the log.")
class Query:
    archive_downloads = list_field(
        ArchiveDownload,
        _download_page,
        filter=ArchiveDownloadFilter,
        description=(
            "The archive download log, newest first: all for the bureau, your jurisdiction's enterprises "
            "for a town, your enterprise's own accounts' downloads for an enterprise."
        ),
        extensions=[roles(*DOWNLOADERS)],
    )


@strawberry.type(description="Archive downloads: request a link.")
class Mutation:
    @guarded_mutation(
        "A signed link to download an enterprise's whole archive as one ZIP (by E.1 category and item, "
        "with the E.1 cover sheet). An enterprise account for its own archive, a town for its "
        "jurisdiction's, the bureau for any (NOT_FOUND alike for an unknown id and one outside your scope). "
        "Logged; `url` is absolute, on the archive service's own origin (ECOSTEWARD_ARCHIVE_PUBLIC_URL).",
        *DOWNLOADERS,
    )
    async def request_archive_download(self, info: Info, enterprise_id: strawberry.ID) -> ArchiveDownloadLink:
        ctx = context_of(info)
        user = ctx.user
        settings = ctx.runtime.settings
        target = parse_id(enterprise_id, "Enterprise")
        async with ctx.runtime.unit_of_work() as uow:
            # The archive's one read rule: another's source answers NOT_FOUND, like an unknown id.
            enterprise = await access.visible_enterprise(uow.session, user, target)
            row = await service.request_download(uow, user, enterprise, service.ttl_seconds(), ctx.request_id)
        url = service.link_url(
            service.public_base_url(settings), service.download_secret(settings.data_dir), row
        )
        return ArchiveDownloadLink(url=url, expires_at=row.expires_at, download_id=strawberry.ID(str(row.id)))
