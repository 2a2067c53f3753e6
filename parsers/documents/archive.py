"""ZIP archives: the documents inside, within limits (total size, compression ratio, member count,
nesting depth) and with no member escaping the archive (absolute paths, "..")."""
from __future__ import annotations

import io
import posixpath
import zipfile
from dataclasses import dataclass

from parsers.documents.containers import Member, Unpacked

MAX_MEMBERS = 100
MAX_TOTAL_BYTES = 200 * 1024 * 1024
MAX_MEMBER_BYTES = 100 * 1024 * 1024
MAX_RATIO = 100  # uncompressed / compressed; more is a zip bomb


@dataclass(frozen=True)
class ZipLimits:
    members: int = MAX_MEMBERS
    total_bytes: int = MAX_TOTAL_BYTES
    member_bytes: int = MAX_MEMBER_BYTES
    ratio: int = MAX_RATIO


def is_zip(filename: str, content_type: str, data: bytes) -> bool:
    name = filename.lower()
    return (name.endswith(".zip") or content_type in ("application/zip", "application/x-zip-compressed")) and data[:2] == b"PK"


def _escapes(name: str) -> bool:
    normal = posixpath.normpath(name.replace("\\", "/"))
    return name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":") or normal == ".." or normal.startswith("../")


def unpack_zip(filename: str, data: bytes, limits: ZipLimits = ZipLimits()) -> Unpacked:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = [i for i in archive.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        return Unpacked(problem=f"ZIP-filen er beskadiget ({exc})")
    if len(infos) > limits.members:
        return Unpacked(problem=f"ZIP-filen har {len(infos)} filer; højst {limits.members} læses")
    declared = sum(i.file_size for i in infos)
    if declared > limits.total_bytes:
        return Unpacked(problem=f"ZIP-filen fylder {declared // 2**20} MB udpakket; højst {limits.total_bytes // 2**20} MB læses")
    members: list[Member] = []
    problems: list[Member] = []
    total = 0
    for info in infos:
        name = info.filename
        if name.startswith("__MACOSX/") or posixpath.basename(name).startswith("._"):
            continue  # macOS resource forks
        if _escapes(name):
            problems.append(Member(name, "", b"", f"stien peger uden for arkivet ({name})"))
            continue
        if info.flag_bits & 0x1:
            problems.append(Member(name, "", b"", "filen i arkivet er beskyttet med adgangskode"))
            continue
        if info.file_size > limits.member_bytes or info.file_size > max(info.compress_size, 1) * limits.ratio:
            problems.append(Member(name, "", b"", f"filen pakker ud til {info.file_size} bytes fra {info.compress_size} (mistænkelig komprimering)"))
            continue
        try:
            with archive.open(info) as handle:
                content = handle.read(limits.member_bytes + 1)  # the header may lie about the size
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, EOFError) as exc:
            problems.append(Member(name, "", b"", f"filen i arkivet kan ikke pakkes ud ({exc})"))
            continue
        total += len(content)
        if len(content) > limits.member_bytes or total > limits.total_bytes or len(content) > max(info.compress_size, 1) * limits.ratio:
            return Unpacked(problem="ZIP-filen pakker ud til mere end grænsen (mistænkelig komprimering)")
        members.append(Member(name, "", content))
    return Unpacked(members=tuple(members + problems))
