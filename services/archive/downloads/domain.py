"""Archive downloads: the rules, as pure functions (no I/O).

- **Signed links**: a download link carries the download id, the enterprise id and an expiry (Unix
  seconds), signed with HMAC-SHA256. Whoever holds the link may fetch that one enterprise's archive
  until it expires; changing any part of it breaks the signature.
- **ZIP layout**: ``<category no> <category name>/<item code> <item name>/<file name>`` for the latest
  live version of each document, plus the E.1 cover sheet at the root. Names are made safe for every
  unzip tool (no separators, no ``..``, no characters Windows refuses) and unique per folder.
- **Cover sheet rows** (一企一档资料存档表, seed 004 table E.1): one row per E.1 item with its electronic
  and paper copies, the files filed and, when something is missing, why.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import unicodedata
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import PurePosixPath
from typing import Protocol

# --------------------------------------------------------------------------------------- signed links

SIGNATURE_CONTEXT = b"ecosteward.archive.download.v1"
"""Domain separation: a signature made for something else with the same secret never verifies here."""

MAX_EXPIRES_DIGITS = 12
"""An expiry is Unix seconds; more digits than this is not a link we made."""


class LinkStatus(Enum):
    VALID = "VALID"
    INVALID = "INVALID"
    """Malformed, or the signature does not match (tampered id, enterprise, expiry or signature)."""
    EXPIRED = "EXPIRED"
    """Genuine, but past its expiry."""


@dataclass(frozen=True)
class LinkCheck:
    """The verdict on a link, with its parsed parts when they could be parsed."""

    status: LinkStatus
    download_id: uuid.UUID | None = None
    enterprise_id: uuid.UUID | None = None
    expires: int | None = None
    reason: str = ""


def link_message(download_id: uuid.UUID, enterprise_id: uuid.UUID, expires: int) -> bytes:
    """The exact bytes a link's signature covers (canonical UUID text, decimal seconds)."""
    return b"\n".join(
        (SIGNATURE_CONTEXT, str(download_id).encode(), str(enterprise_id).encode(), str(expires).encode())
    )


def sign_link(secret: bytes, download_id: uuid.UUID, enterprise_id: uuid.UUID, expires: int) -> str:
    """The URL-safe base64 HMAC-SHA256 signature of a link (43 characters, no padding)."""
    if not secret:
        raise ValueError("the download secret is empty")
    digest = hmac.new(secret, link_message(download_id, enterprise_id, expires), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _parse_uuid(text: str) -> uuid.UUID | None:
    try:
        value = uuid.UUID(text)
    except (ValueError, AttributeError, TypeError):
        return None
    # Only the canonical form we sign: no braces, URNs or upper/lower variants to play with.
    return value if str(value) == text else None


def _parse_expires(text: str) -> int | None:
    if not text or len(text) > MAX_EXPIRES_DIGITS or not text.isascii() or not text.isdigit():
        return None
    if text != "0" and text.startswith("0"):
        return None
    return int(text)


def check_link(
    secret: bytes, download_id: str, enterprise_id: str, expires: str, signature: str, now: float
) -> LinkCheck:
    """Whether a link's parts (as they came in the URL) are genuine and still valid at ``now``.

    A link is valid while ``now < expires``. The signature is checked first and in constant time,
    so an expired link is only reported as expired when it is genuine.
    """
    parsed_download = _parse_uuid(download_id)
    parsed_enterprise = _parse_uuid(enterprise_id)
    parsed_expires = _parse_expires(expires)
    if parsed_download is None or parsed_enterprise is None or parsed_expires is None:
        return LinkCheck(LinkStatus.INVALID, reason="malformed")
    expected = sign_link(secret, parsed_download, parsed_enterprise, parsed_expires).encode("ascii")
    given = signature.encode("utf-8", "surrogateescape")
    if not hmac.compare_digest(expected, given):
        return LinkCheck(LinkStatus.INVALID, parsed_download, parsed_enterprise, parsed_expires, "signature")
    if now >= parsed_expires:
        return LinkCheck(LinkStatus.EXPIRED, parsed_download, parsed_enterprise, parsed_expires, "expired")
    return LinkCheck(LinkStatus.VALID, parsed_download, parsed_enterprise, parsed_expires)


def expiry_for(now: float, ttl_seconds: int) -> int:
    """The expiry (whole Unix seconds) of a link made at ``now`` that lives ``ttl_seconds``."""
    if ttl_seconds <= 0:
        raise ValueError("the download link TTL must be positive")
    return int(now) + ttl_seconds


# --------------------------------------------------------------------------------------- the catalogue


class E1Item(Protocol):
    """An item of table E.1 as the download needs it (``services.archive.documents.catalogue``)."""

    @property
    def code(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def category_no(self) -> int | str: ...

    @property
    def category_name(self) -> str: ...


@dataclass(frozen=True)
class CatalogueItem:
    """A stand-in E.1 item (for codes the catalogue does not know)."""

    code: str
    name: str
    category_no: str
    category_name: str


OTHER_CATEGORY = ("99", "其他 Other")
"""Where a document filed under a code the catalogue does not know goes (never silently dropped)."""


# --------------------------------------------------------------------------------------- ZIP layout

COVER_SHEET_NAME = "00 封面 E.1 cover sheet.xlsx"
MAX_NAME_CHARS = 120
_FORBIDDEN = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
_WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
)


def safe_name(name: str, fallback: str = "file") -> str:
    """One path component every unzip tool accepts: NFC, no separators or control characters, no
    characters Windows refuses, no leading/trailing dots or spaces, not ``.``/``..``, bounded length
    (the extension is kept)."""
    text = unicodedata.normalize("NFC", name)
    # A client-supplied name may carry a path: only its last part is a name.
    text = re.split(r"[/\\]", text)[-1]
    text = _FORBIDDEN.sub("_", text).strip(" .")
    if not text:
        text = fallback
    stem, dot, suffix = text.rpartition(".")
    if not dot or not stem:
        stem, suffix = text, ""
    if stem.upper() in _WINDOWS_RESERVED:
        stem = f"_{stem}"
    suffix = suffix[:16]
    budget = MAX_NAME_CHARS - (len(suffix) + 1 if suffix else 0)
    stem = stem[:budget].rstrip(" .") or fallback
    return f"{stem}.{suffix}" if suffix else stem


def folder_names(item: E1Item) -> tuple[str, str]:
    """The category folder and the item folder of an E.1 item."""
    return (
        safe_name(f"{item.category_no} {item.category_name}", str(item.category_no)),
        safe_name(f"{item.code} {item.name}", item.code),
    )


@dataclass(frozen=True)
class FileRef:
    """A document version as the layout sees it."""

    id: uuid.UUID
    item_code: str
    file_name: str
    version: int


def _with_suffix_tag(name: str, tag: str) -> str:
    """``name`` with `` (tag)`` before its extension, still within MAX_NAME_CHARS."""
    path = PurePosixPath(name)
    suffix = path.suffix if path.stem else ""
    stem = name[: len(name) - len(suffix)] if suffix else name
    marker = f" ({tag})"
    stem = stem[: MAX_NAME_CHARS - len(marker) - len(suffix)]
    return f"{stem}{marker}{suffix}"


def zip_paths(files: Sequence[FileRef], catalogue: Mapping[str, E1Item]) -> dict[uuid.UUID, str]:
    """The path inside the ZIP of each file, keyed by version id.

    Layout ``<category no> <category name>/<item code> <item name>/<file name>``. Two files that would
    share a path in one folder (compared case-insensitively, as Windows and macOS do) are told apart
    by their version, then by a counter. A code missing from the catalogue goes under ``99 其他 Other``.
    """
    taken: set[str] = {COVER_SHEET_NAME.casefold()}
    paths: dict[uuid.UUID, str] = {}
    for ref in sorted(files, key=lambda f: (item_sort_key(f.item_code), f.version, str(f.id))):
        item = catalogue.get(ref.item_code)
        if item is None:
            folders = (
                safe_name(" ".join(OTHER_CATEGORY)),
                safe_name(ref.item_code, "item"),
            )
        else:
            folders = folder_names(item)
        name = safe_name(ref.file_name, f"file-v{ref.version}")
        candidate = "/".join((*folders, name))
        counter = 1
        while candidate.casefold() in taken:
            tag = f"v{ref.version}" if counter == 1 else f"v{ref.version}-{counter}"
            candidate = "/".join((*folders, _with_suffix_tag(name, tag)))
            counter += 1
        taken.add(candidate.casefold())
        paths[ref.id] = candidate
    return paths


def item_sort_key(code: str) -> tuple[tuple[int, str], ...]:
    """Natural order of E.1 codes: 1, 2-1, 2-2, …, 9-2, 9-10 (not 9-10 before 9-2)."""
    return tuple((int(part), "") if part.isdigit() else (1 << 30, part) for part in code.split("-"))


# --------------------------------------------------------------------------------------- the cover sheet

COMPRESSIBLE_TYPES = frozenset(
    {
        "application/json",
        "application/xml",
        "application/msword",
        "application/vnd.ms-excel",
        "application/rtf",
        "image/bmp",
        "image/svg+xml",
        "image/tiff",
    }
)
"""Content types worth deflating; everything else (PDF scans, JPEG, PNG, DOCX/XLSX which are ZIPs
already, video) is stored as is, which keeps the download as fast as reading the files."""


def worth_compressing(content_type: str) -> bool:
    kind = content_type.split(";", 1)[0].strip().lower()
    return kind.startswith("text/") or kind in COMPRESSIBLE_TYPES


@dataclass(frozen=True)
class VersionFacts:
    """What the cover sheet says about one filed version."""

    id: uuid.UUID
    item_code: str
    file_name: str
    version: int
    size: int
    sha256: str
    uploaded_at: dt.datetime | None = None


@dataclass(frozen=True)
class ItemState:
    """The recorded paper/electronic state of an item (ArchiveItemRow), None where never recorded."""

    electronic: bool | None
    paper: bool | None
    missing_reason: str


@dataclass(frozen=True)
class FiledFile:
    file_name: str
    version: int
    size: int
    sha256: str
    path: str
    """Where it is in the ZIP; empty when it could not be included."""
    note: str = ""


@dataclass(frozen=True)
class CoverRow:
    category_no: str
    category_name: str
    code: str
    name: str
    electronic: bool
    paper: bool | None
    files: tuple[FiledFile, ...] = field(default_factory=tuple)
    missing: str = ""
    """Empty when both copies are filed; otherwise what is missing and why (原因)."""

    @property
    def electronic_text(self) -> str:
        return "是 yes" if self.electronic else "否 no"

    @property
    def paper_text(self) -> str:
        return {True: "是 yes", False: "否 no", None: "未登记 not recorded"}[self.paper]

    @property
    def files_text(self) -> str:
        return "\n".join(
            f"{f.file_name} · v{f.version} · {f.size} B · sha256 {f.sha256}"
            + (f" · {f.note}" if f.note else "")
            for f in self.files
        )


NO_REASON = "未说明原因 (no reason recorded)"
UNAVAILABLE_NOTE = "存储中缺失，未能打包 (missing from storage, not included)"


def cover_rows(
    catalogue: Iterable[E1Item],
    versions: Iterable[VersionFacts],
    states: Mapping[str, ItemState],
    paths: Mapping[uuid.UUID, str],
    unavailable: frozenset[uuid.UUID] = frozenset(),
) -> list[CoverRow]:
    """One row per E.1 item (catalogue order), then one per unknown code that has files.

    Electronic copy = at least one file of the item is in this ZIP. Paper copy = what was recorded
    (None when never recorded). ``missing`` names what is absent and gives the recorded reason, or
    says that none was recorded.
    """
    by_item: dict[str, list[VersionFacts]] = {}
    for facts in versions:
        by_item.setdefault(facts.item_code, []).append(facts)
    items: list[E1Item] = list(catalogue)
    known = {item.code for item in items}
    for code in sorted(set(by_item) - known, key=item_sort_key):
        items.append(CatalogueItem(code, code, *OTHER_CATEGORY))
    rows: list[CoverRow] = []
    for item in items:
        filed = sorted(by_item.get(item.code, []), key=lambda f: (f.version, f.file_name))
        files = tuple(
            FiledFile(
                file_name=f.file_name,
                version=f.version,
                size=f.size,
                sha256=f.sha256,
                path="" if f.id in unavailable else paths.get(f.id, ""),
                note=UNAVAILABLE_NOTE if f.id in unavailable else "",
            )
            for f in filed
        )
        electronic = any(f.path for f in files)
        state = states.get(item.code)
        paper = state.paper if state is not None else None
        absent = []
        if not electronic:
            absent.append("电子档 electronic")
        if paper is not True:
            absent.append("纸质档 paper" if paper is False else "纸质档未登记 paper not recorded")
        missing = ""
        if absent:
            reason = (state.missing_reason.strip() if state is not None else "") or NO_REASON
            missing = f"{'、'.join(absent)}：{reason}"
        rows.append(
            CoverRow(
                category_no=str(item.category_no),
                category_name=item.category_name,
                code=item.code,
                name=item.name,
                electronic=electronic,
                paper=paper,
                files=files,
                missing=missing,
            )
        )
    return rows


COVER_COLUMNS = (
    "资料类别 Category",
    "编号 Code",
    "资料名称 Item",
    "电子档 Electronic",
    "纸质档 Paper",
    "已归档文件 Files filed (name · version · size · sha256)",
    "未归档及原因 Missing and why",
)


def cover_table(rows: Iterable[CoverRow]) -> list[tuple[str, ...]]:
    """The cover sheet's table body as text cells, in ``COVER_COLUMNS`` order."""
    return [
        (
            f"{r.category_no} {r.category_name}",
            r.code,
            r.name,
            r.electronic_text,
            r.paper_text,
            r.files_text,
            r.missing,
        )
        for r in rows
    ]


# --------------------------------------------------------------------------------------- outcomes


class Outcome(Enum):
    """Where a download stands (the audit log's ``outcome``)."""

    PENDING = "PENDING"
    """Link issued, not used yet."""
    STREAMING = "STREAMING"
    COMPLETED = "COMPLETED"
    ABORTED = "ABORTED"
    """The client went away before the end."""
    FAILED = "FAILED"
    """The server could not finish (a file could not be read)."""
