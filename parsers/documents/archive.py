"""ZIP archives: the documents inside, within limits (total size, compression ratio, member count,
nesting depth) and with no member escaping the archive (absolute paths, "..").

Everything is counted from the central directory before a member is unpacked: the number of members,
the sum of their declared sizes and each one's ratio to its packed size.  The declared sizes may lie, so
a member is read at most to its limit and the real bytes are counted too.  Nothing is written to disk: a
member whose path leaves the archive is kept as its name only, and flagged.  The same checks guard the
packages of Word (.docx) and OpenDocument (.odt) files (`check_package`), which are ZIPs too.
"""
from __future__ import annotations

import io
import posixpath
import re
import zipfile
from dataclasses import dataclass, replace

from parsers.documents import problems
from parsers.documents.containers import Member, Unpacked
from parsers.documents.limits import DEFAULT_LIMITS, Limits
from parsers.documents.problems import Unreadable

MAX_MEMBERS = DEFAULT_LIMITS.members
MAX_TOTAL_BYTES = DEFAULT_LIMITS.unpacked_bytes
MAX_MEMBER_BYTES = DEFAULT_LIMITS.member_bytes
MAX_RATIO = DEFAULT_LIMITS.ratio  # uncompressed / compressed; more is a zip bomb
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError, KeyError, NotImplementedError,
               RuntimeError, OverflowError, IndexError)
_NAME_HIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


@dataclass(frozen=True)
class ZipLimits:
    """The ZIP limits alone (older callers); `Limits` holds them with the rest."""

    members: int = MAX_MEMBERS
    total_bytes: int = MAX_TOTAL_BYTES
    member_bytes: int = MAX_MEMBER_BYTES
    ratio: int = MAX_RATIO

    def as_limits(self) -> Limits:
        return replace(DEFAULT_LIMITS, members=self.members, unpacked_bytes=self.total_bytes, member_bytes=self.member_bytes,
                       ratio=self.ratio)


def is_zip(filename: str, content_type: str, data: bytes) -> bool:
    name = filename.lower()
    return (name.endswith(".zip") or content_type in ("application/zip", "application/x-zip-compressed")) and data[:2] == b"PK"


def _escapes(name: str) -> bool:
    normal = posixpath.normpath(name.replace("\\", "/"))
    return name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":") or normal == ".." or normal.startswith("../")


def member_name(name: str) -> str:
    """A member's name as it is kept: its path as written (so "../x" stays visible), without control or
    direction characters, at most 200 characters."""
    clean = _NAME_HIDDEN.sub("", name.replace("\\", "/")).strip() or "unavngivet"
    return clean if len(clean) <= 200 else clean[:199] + "…"


def _decoded_name(info: zipfile.ZipInfo) -> str:
    """A member's name: ZIP says CP437 unless the UTF-8 flag is set, but Windows writes its OEM code
    page (CP850 in Denmark: "Ansøgning.docx") and many tools UTF-8 without the flag."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:
        return info.filename
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp850", errors="replace")


def _bomb(size: int, packed: int, limits: Limits) -> bool:
    return size > limits.member_bytes or (size > limits.ratio_from and size > max(packed, 1) * limits.ratio)


def _open(filename: str, data: bytes, fmt: str) -> tuple[zipfile.ZipFile, list[zipfile.ZipInfo]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        return archive, [i for i in archive.infolist() if not i.is_dir()]
    except _ZIP_ERRORS as exc:
        raise Unreadable(problems.damaged(filename, fmt), problems.detail_of(exc)) from exc


def _count(filename: str, infos: list[zipfile.ZipInfo], members: int, total_bytes: int) -> None:
    """The member count and the declared unpacked size, before anything is unpacked."""
    if len(infos) > members:
        raise Unreadable(problems.too_many_files(filename, len(infos), members), f"{len(infos)} members > {members}")
    declared = sum(i.file_size for i in infos)
    if declared > total_bytes:
        raise Unreadable(problems.too_large(filename, declared, total_bytes), f"declared unpacked size {declared} > {total_bytes}")


def unpack_zip(filename: str, data: bytes, limits: ZipLimits | Limits = DEFAULT_LIMITS) -> Unpacked:
    limits = limits.as_limits() if isinstance(limits, ZipLimits) else limits
    if len(data) > limits.document_bytes:
        return Unpacked(problem=problems.too_large(filename, len(data), limits.document_bytes))
    try:
        archive, infos = _open(filename, data, "zip")
        _count(filename, infos, limits.members, limits.unpacked_bytes)
    except Unreadable as exc:
        return Unpacked(problem=exc.problem, detail=exc.detail)
    members: list[Member] = []
    flagged: list[Member] = []
    total = 0
    for info in infos:
        raw = _decoded_name(info)
        if raw.startswith("__MACOSX/") or posixpath.basename(raw).startswith("._"):
            continue  # macOS resource forks
        name = member_name(raw)
        shown = f"{filename}/{name}"
        if _escapes(raw):
            flagged.append(Member(name, "", b"", problems.outside(shown), f"member path {raw!r} leaves the archive"))
            continue
        if info.flag_bits & 0x1:
            flagged.append(Member(name, "", b"", problems.password(shown), "encrypted ZIP member"))
            continue
        if _bomb(info.file_size, info.compress_size, limits):
            flagged.append(Member(name, "", b"", problems.compression(shown),
                                  f"declared {info.file_size} bytes from {info.compress_size} packed"))
            continue
        try:
            with archive.open(info) as handle:
                content = handle.read(limits.member_bytes + 1)  # the header may lie about the size
        except _ZIP_ERRORS as exc:
            flagged.append(Member(name, "", b"", problems.not_unpacked(shown, filename), problems.detail_of(exc)))
            continue
        except MemoryError:  # out of memory is the caller's to say (bot/readers.py: "for stor")
            raise
        except Exception as exc:  # zlib.error and the like: this member is lost, the rest is read
            flagged.append(Member(name, "", b"", problems.not_unpacked(shown, filename), problems.detail_of(exc)))
            continue
        total += len(content)
        if len(content) > limits.member_bytes or total > limits.unpacked_bytes or _bomb(len(content), info.compress_size, limits):
            return Unpacked(problem=problems.compression(filename),
                            detail=f"{name!r} unpacked to {len(content)} bytes (declared {info.file_size}); {total} in all")
        members.append(Member(name, "", content))
    return Unpacked(members=tuple(members + flagged))


def check_package(filename: str, data: bytes, fmt: str, limits: Limits = DEFAULT_LIMITS) -> None:
    """A Word or OpenDocument package counted before its reader opens it: its parts, their declared
    sizes and ratios, a part locked with a password, and no part with a DTD (an OOXML or ODF part never
    has one: entities there are an entity-expansion attack).  Raises `Unreadable`."""
    archive, infos = _open(filename, data, fmt)
    with archive:
        _count(filename, infos, limits.package_parts, limits.unpacked_bytes)
        for info in infos:
            if info.flag_bits & 0x1:
                raise Unreadable(problems.password(filename), f"encrypted part {info.filename!r}")
            if _bomb(info.file_size, info.compress_size, limits):
                raise Unreadable(problems.too_large(filename, info.file_size, limits.member_bytes)
                                 if info.file_size > limits.member_bytes else problems.compression(filename),
                                 f"part {info.filename!r} declares {info.file_size} bytes from {info.compress_size} packed")
        for info in infos:
            if not info.filename.lower().endswith((".xml", ".rels")):
                continue
            try:
                with archive.open(info) as handle:
                    head = handle.read(64 * 1024)
            except MemoryError:  # out of memory is the caller's to say (bot/readers.py: "for stor")
                raise
            except Exception as exc:  # a damaged part: the reader says so with its own detail
                raise Unreadable(problems.damaged(filename, fmt), f"part {info.filename!r}: {problems.detail_of(exc)}") from exc
            if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                raise Unreadable(problems.damaged(filename, fmt), f"part {info.filename!r} has a DTD (entity declarations refused)")
