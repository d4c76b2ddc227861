"""Rules of the one-file-per-source archive (一源一档): pure functions, no I/O.

* what may be uploaded (content types, checked against the file's first bytes) and how a client's
  file name becomes a safe display name;
* when an E.1 item counts as accounted for, and the completeness figures built on that;
* what an item's recorded state must say (a reason whenever a copy is missing);
* retention (five years, seed 004 §8) and where a version's bytes are stored.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from urllib.parse import quote

from ecosteward.errors import BadUserInput

RETENTION_YEARS = 5
"""Archives are kept at least five years (seed 004 §8)."""

DEFAULT_MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_FILE_NAME_LENGTH = 255
MAX_REASON_LENGTH = 2000

WRITER_ROLES = ("bureau_officer", "town_officer", "agency_staff", "enterprise_user")
"""Who may upload, record item states and withdraw versions — each within its own data scope."""


class VersionStatus(Enum):
    """Where a version stands: the item's current one, replaced by a newer upload, or withdrawn."""

    CURRENT = "CURRENT"
    SUPERSEDED = "SUPERSEDED"
    WITHDRAWN = "WITHDRAWN"


def version_status(superseded_at: dt.datetime | None, withdrawn_at: dt.datetime | None) -> VersionStatus:
    if withdrawn_at is not None:
        return VersionStatus.WITHDRAWN
    if superseded_at is not None:
        return VersionStatus.SUPERSEDED
    return VersionStatus.CURRENT


# ------------------------------------------------------------------------------------- file types


@dataclass(frozen=True)
class FileKind:
    """An accepted kind of file: its canonical MIME type, file-name extensions and signature family."""

    content_type: str
    extensions: tuple[str, ...]
    family: str
    label: str


_ZIP, _OLE2 = "zip", "ole2"
FILE_KINDS: tuple[FileKind, ...] = (
    FileKind("application/pdf", (".pdf",), "pdf", "PDF"),
    FileKind("image/jpeg", (".jpg", ".jpeg"), "jpeg", "JPEG"),
    FileKind("image/png", (".png",), "png", "PNG"),
    FileKind("application/ofd", (".ofd",), _ZIP, "OFD (版式文档)"),
    FileKind("application/msword", (".doc",), _OLE2, "Word 97–2003"),
    FileKind(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",), _ZIP, "Word"
    ),
    FileKind("application/vnd.ms-excel", (".xls",), _OLE2, "Excel 97–2003"),
    FileKind("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",), _ZIP, "Excel"),
    FileKind("application/zip", (".zip",), _ZIP, "ZIP"),
)
KINDS_BY_TYPE = {kind.content_type: kind for kind in FILE_KINDS}
KINDS_BY_EXTENSION = {ext: kind for kind in FILE_KINDS for ext in kind.extensions}
CONTENT_TYPE_ALIASES = {
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "application/x-pdf": "application/pdf",
    "application/x-ofd": "application/ofd",
    "application/vnd.ofd": "application/ofd",
    "application/x-zip-compressed": "application/zip",
    "application/x-zip": "application/zip",
    "application/zip-compressed": "application/zip",
}
GENERIC_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream", "application/unknown"})
"""Declared types that say nothing: the kind is then taken from the file name's extension."""

SNIFF_BYTES = 1024
"""How much of the start of a file the signature check looks at (a PDF header may sit anywhere in
the first 1024 bytes; the other signatures are at offset 0)."""

_SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "jpeg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    # Local file header, or the end-of-central-directory record of an empty archive. DOCX, XLSX and
    # OFD are ZIP containers: the check is at container level.
    _ZIP: (b"PK\x03\x04", b"PK\x05\x06"),
    _OLE2: (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",),  # OLE2 compound file: .doc, .xls
}


def allowed_types_text() -> str:
    return ", ".join(kind.label for kind in FILE_KINDS)


def normalise_content_type(declared: str | None) -> str:
    """The bare, lower-case MIME type of a Content-Type value (parameters dropped, aliases resolved)."""
    bare = (declared or "").split(";", 1)[0].strip().lower()
    return CONTENT_TYPE_ALIASES.get(bare, bare)


def extension_of(file_name: str) -> str:
    dot = file_name.rfind(".")
    return file_name[dot:].lower() if dot > 0 else ""


def resolve_kind(declared: str | None, file_name: str) -> FileKind | None:
    """The accepted kind a client's declared type (or, when generic, its file name) names; None if none.

    A specific declared type must be one of the accepted ones; ``application/octet-stream`` or no
    type falls back to the file name's extension (browsers send OFD files that way).
    """
    content_type = normalise_content_type(declared)
    if content_type in GENERIC_TYPES:
        return KINDS_BY_EXTENSION.get(extension_of(file_name))
    return KINDS_BY_TYPE.get(content_type)


def signature_family(head: bytes) -> str | None:
    """The signature family of a file from its first bytes (``pdf``, ``jpeg``, ``png``, ``zip``,
    ``ole2``), or None for anything else."""
    for family, signatures in _SIGNATURES.items():
        if head.startswith(signatures):
            return family
    if b"%PDF-" in head[:SNIFF_BYTES]:
        return "pdf"
    return None


def content_matches(kind: FileKind, head: bytes) -> bool:
    """Whether the file's first bytes carry the signature of ``kind``."""
    return signature_family(head) == kind.family


# ------------------------------------------------------------------------------------- file names

_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")
_WINDOWS_RESERVED = re.compile(r'[<>:"|?*]')
_DRIVE = re.compile(r"^[A-Za-z]:")


def file_name_problem(raw: str) -> str | None:
    """Why a client's file name is refused (path traversal, absolute path, control characters), or None."""
    if not raw or not raw.strip():
        return "The file has no name (文件名为空)."
    if any(unicodedata.category(ch) == "Cc" or ch in _BIDI_CONTROLS for ch in raw):
        return "The file name contains control characters (文件名含控制字符)."
    name = unicodedata.normalize("NFC", raw.strip())
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        return "The file name is an absolute path (文件名不能是绝对路径)."
    segments = re.split(r"[/\\]", name)
    if any(segment.strip() == ".." for segment in segments):
        return "The file name contains a path traversal '..' (文件名含路径穿越)."
    base = segments[-1].strip()
    if not base or set(base) == {"."}:
        return "The file name has no usable name part (文件名无效)."
    return None


def safe_display_name(raw: str) -> str:
    """The display name kept for a client's file name (call :func:`file_name_problem` first).

    NFC-normalised; a relative folder prefix (``scans/licence.pdf``) is dropped; characters Windows
    cannot save (``<>:"|?*``) become ``_``; at most 255 characters, keeping the extension.
    """
    name = unicodedata.normalize("NFC", raw.strip())
    base = re.split(r"[/\\]", name)[-1].strip()
    base = _WINDOWS_RESERVED.sub("_", base)
    if len(base) > MAX_FILE_NAME_LENGTH:
        ext = extension_of(base)
        keep = ext if len(ext) <= 16 else ""
        base = base[: MAX_FILE_NAME_LENGTH - len(keep)] + keep
    return base


def sanitise_file_name(raw: str) -> str:
    """A safe display name for ``raw``, or BAD_USER_INPUT for a refused name."""
    problem = file_name_problem(raw)
    if problem is not None:
        raise BadUserInput(problem, field="file")
    return safe_display_name(raw)


def content_disposition(display_name: str, disposition: str = "attachment") -> str:
    """A Content-Disposition header value: an ASCII ``filename`` fallback and the UTF-8 ``filename*``."""
    ascii_name = "".join(
        ch if 32 <= ord(ch) < 127 and ch not in '"\\;' else "_" for ch in display_name
    ).strip()
    ext = extension_of(display_name)
    if not ascii_name.strip("_. ") and ext.isascii():
        ascii_name = f"document{ext}"
    return f"{disposition}; filename=\"{ascii_name or 'document'}\"; filename*=UTF-8''{quote(display_name, safe='')}"


# ------------------------------------------------------------------------------------- storage, retention


def storage_key(enterprise_id: uuid.UUID, item_code: str, version_id: uuid.UUID) -> str:
    """Where a version's bytes live in the blob store; built from ids only, never from user input."""
    return f"enterprises/{enterprise_id}/{item_code}/{version_id}"


def retain_until(uploaded_on: dt.date) -> dt.date:
    """Keep until five years after the upload day (29 February → 1 March: at least five years)."""
    try:
        return uploaded_on.replace(year=uploaded_on.year + RETENTION_YEARS)
    except ValueError:
        return dt.date(uploaded_on.year + RETENTION_YEARS, 3, 1)


# ------------------------------------------------------------------------------------- item state


def clean_reason(reason: str | None) -> str:
    return (reason or "").strip()


def state_violations(
    electronic: bool, paper: bool, missing_reason: str | None, has_current_version: bool
) -> list[dict[str, str]]:
    """What is wrong with a recorded item state (empty when it may be recorded).

    * a reason is required whenever the electronic or the paper copy is missing (table E.1:
      "如填否应说明原因");
    * "electronic: yes" means the archive holds the file: it needs a current (live) version, and
      "electronic: no" cannot be recorded while one exists (withdraw it first).
    """
    problems: list[dict[str, str]] = []
    reason = clean_reason(missing_reason)
    if (not electronic or not paper) and not reason:
        problems.append(
            {
                "field": "missingReason",
                "message": "Say why the copy is missing (如填否应说明原因).",
            }
        )
    if len(reason) > MAX_REASON_LENGTH:
        problems.append(
            {"field": "missingReason", "message": f"At most {MAX_REASON_LENGTH} characters (内容过长)."}
        )
    if electronic and not has_current_version:
        problems.append(
            {
                "field": "electronic",
                "message": "Upload the electronic copy first: no current version is filed (尚未上传电子档).",
            }
        )
    if not electronic and has_current_version:
        problems.append(
            {
                "field": "electronic",
                "message": "A current version is filed: withdraw it before recording no electronic copy (已有现行版本，请先撤回).",
            }
        )
    return problems


# ------------------------------------------------------------------------------------- completeness


@dataclass(frozen=True)
class ItemFacts:
    """What completeness needs to know about one E.1 item of one enterprise."""

    has_current_version: bool = False
    electronic: bool | None = None
    missing_reason: str = ""


def item_accounted(facts: ItemFacts | None) -> bool:
    """An item is accounted for when the archive holds a current (live: neither superseded nor
    withdrawn) version of it, or its missing electronic copy is explained: recorded as
    ``electronic = no`` with a non-blank reason. An item never recorded is not accounted for."""
    if facts is None:
        return False
    if facts.has_current_version:
        return True
    return facts.electronic is False and bool(clean_reason(facts.missing_reason))


@dataclass(frozen=True)
class Completeness:
    """Completeness of one enterprise's archive: ``accounted`` of ``total`` E.1 items."""

    accounted: int
    total: int
    missing: tuple[str, ...]
    """Codes of the items not accounted for, in table order."""

    @property
    def ratio(self) -> float:
        return self.accounted / self.total if self.total else 0.0

    @property
    def complete(self) -> bool:
        return self.accounted == self.total


def completeness(codes: Sequence[str], facts: Mapping[str, ItemFacts]) -> Completeness:
    """Completeness of one enterprise's archive.

    ``completeness = accounted items / all items of table E.1`` (``codes``, 35 items), where an item
    is *accounted for* (:func:`item_accounted`) when the archive holds a current version of it or
    its missing electronic copy is recorded with a reason. Facts for codes outside ``codes`` are
    ignored, so the ratio is always between 0 and 1.
    """
    missing = tuple(code for code in codes if not item_accounted(facts.get(code)))
    return Completeness(accounted=len(codes) - len(missing), total=len(codes), missing=missing)


@dataclass(frozen=True)
class JurisdictionCompleteness:
    """Completeness over the sources of one jurisdiction."""

    enterprises: int
    complete_enterprises: int
    accounted: int
    total: int

    @property
    def ratio(self) -> float:
        return self.accounted / self.total if self.total else 0.0


def jurisdiction_completeness(per_enterprise: Iterable[Completeness]) -> JurisdictionCompleteness:
    """Pooled completeness of a jurisdiction: ``Σ accounted / Σ total`` over its sources.

    Every source has the same 35 items, so this equals the mean of the sources' ratios; a
    jurisdiction without sources has ratio 0.
    """
    enterprises = complete = accounted = total = 0
    for figure in per_enterprise:
        enterprises += 1
        complete += figure.complete
        accounted += figure.accounted
        total += figure.total
    return JurisdictionCompleteness(enterprises, complete, accounted, total)
