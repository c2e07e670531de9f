"""Bundle trimming helpers shared by tickerdesk.spec and build.py (no PyInstaller import).

Contract: pure functions over PyInstaller TOC tuples (dest, src, typecode) and ELF files;
they never modify the source tree. ELF helpers need binutils' `readelf` (strip needs
binutils anyway); ICU trimming also needs binutils' `as`/`ld` and ICU's `icupkg`, and is
skipped with a message when it is missing (apt-get install icu-devtools).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path

TocEntry = tuple[str, str, str]

# Qt plugins kept, by category (None = the whole category). The app imports QtCore,
# QtGui and QtWidgets only; see tickerdesk.spec for why each one stays.
KEEP_PLUGINS: dict[str, set[str] | None] = {
    "platforms": {"qxcb", "qwayland", "qoffscreen", "qwindows", "qcocoa"},
    "imageformats": {"qsvg", "qico"},
    "iconengines": {"qsvgicon"},
    "platformthemes": {"qxdgdesktopportal"},
    "platforminputcontexts": {
        "composeplatforminputcontextplugin",
        "ibusplatforminputcontextplugin",
    },
    "xcbglintegrations": {"qxcb-egl-integration", "qxcb-glx-integration"},
    "wayland-shell-integration": {"xdg-shell"},
    "wayland-decoration-client": {"bradient", "adwaita"},
    "styles": None,
}
# Windows/macOS: Qt libraries (DLLs, .frameworks) only the dropped plugins need; matched
# against the whole destination path so a macOS framework goes as a unit. Linux uses the
# ELF closure instead. opengl32sw.dll is Mesa's 20 MB software OpenGL: widgets paint
# with the raster engine.
DROP_LIBS = re.compile(r"(Qt6?(Network|Pdf|Qml\w*|Quick\w*|VirtualKeyboard)\b|opengl32sw)", re.I)
# Linux: libraries taken from the system (listed in the .deb's Depends) instead of
# bundled. libdbus-1 drags in libsystemd/libgcrypt/lz4 (~2.4 MB); a bundled fontconfig
# older than the system's misreads newer fonts.conf files.
SYSTEM_LIBS = frozenset({"libdbus-1.so.3", "libfontconfig.so.1", "libfreetype.so.6"})
# glibc's own libraries: always present, versioned by symbol (see min_glibc).
GLIBC_LIBS = frozenset(
    {
        "libc.so.6",
        "libm.so.6",
        "libdl.so.2",
        "librt.so.1",
        "libpthread.so.0",
        "libutil.so.1",
        "libresolv.so.2",
        "libanl.so.1",
        "ld-linux-x86-64.so.2",
        "ld-linux-aarch64.so.1",
        "ld-linux.so.2",
    }
)
# ICU data items removed from libicudata (see trim_icu_data): locale display names,
# currencies, units, time-zone names, number spell-out, transliteration, legacy
# codepages and Unicode character names. Collation, break rules and locale basics stay.
ICU_DROP = re.compile(r"^(curr|lang|region|unit|zone|rbnf|translit)/|\.cnv$|^unames\.icu$")

_PLUGIN_RE = re.compile(r"(?:^|[\\/])plugins[\\/]([^\\/]+)[\\/]([^\\/]+)$")
_TZ_KEEP = "tzdata/zoneinfo/America/New_York"


def plugin_name(filename: str) -> str:
    """'libqxcb.so' / 'qwindows.dll' / 'libqcocoa.dylib' -> 'qxcb' / 'qwindows' / 'qcocoa'."""
    stem = filename.split(".")[0]
    return stem[3:] if stem.startswith("lib") else stem


def keep_entry(dest: str, linux: bool) -> bool:
    """False for a bundle entry (destination path) the trimmed app does not need."""
    parts = re.split(r"[\\/]", dest)
    if parts[0] == "tzdata" and "zoneinfo" in parts:
        return dest.replace("\\", "/") == _TZ_KEEP
    if "PySide6" in parts and "translations" in parts:
        return False  # Qt's .qm translations: the UI is English only
    match = _PLUGIN_RE.search(dest)
    if match and "PySide6" in parts:
        category, filename = match.groups()
        if category not in KEEP_PLUGINS:
            return False
        allowed = KEEP_PLUGINS[category]
        return allowed is None or plugin_name(filename) in allowed
    if linux:
        return parts[-1] not in SYSTEM_LIBS
    return DROP_LIBS.search(dest) is None


def elf_needed(path: str | Path) -> list[str]:
    """DT_NEEDED sonames of an ELF file; [] for a non-ELF file."""
    out = subprocess.run(
        ["readelf", "-d", "-W", str(path)], capture_output=True, text=True, check=False
    ).stdout
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out)


def _is_root(dest: str, typecode: str) -> bool:
    """Loaded by the bootloader or the import system rather than via DT_NEEDED."""
    return (
        typecode == "EXTENSION"
        or _PLUGIN_RE.search(dest) is not None
        or Path(dest).name.startswith("libpython")
    )


def elf_closure(binaries: Sequence[TocEntry]) -> tuple[list[TocEntry], list[str]]:
    """(entries reachable via DT_NEEDED from the roots, sorted names of those dropped)."""
    real = [e for e in binaries if e[2] != "SYMLINK"]
    needed = {Path(dest).name: elf_needed(src) for dest, src, _ in real}
    present = set(needed)
    reachable: set[str] = set()
    stack = [Path(dest).name for dest, _, typecode in real if _is_root(dest, typecode)]
    while stack:
        name = stack.pop()
        if name not in reachable:
            reachable.add(name)
            stack.extend(n for n in needed.get(name, []) if n in present)
    kept = [e for e in binaries if e[2] == "SYMLINK" or Path(e[0]).name in reachable]
    return kept, sorted(present - reachable)


def drop_dangling_symlinks(toc: Iterable[TocEntry], kept_dests: set[str]) -> list[TocEntry]:
    """Remove SYMLINK entries (PyInstaller 6 links lib/ copies to the top) whose target went."""
    out: list[TocEntry] = []
    for dest, src, typecode in toc:
        if typecode == "SYMLINK":
            target = os.path.normpath(os.path.join(os.path.dirname(dest), src))
            if target not in kept_dests:
                continue
        out.append((dest, src, typecode))
    return out


def _icu_blob(lib: Path) -> tuple[str, bytes]:
    """(symbol name, bytes) of the icudtNN_dat data package inside libicudata.so.NN."""
    syms = subprocess.run(
        ["readelf", "-Ws", "--dyn-syms", str(lib)], capture_output=True, text=True, check=True
    ).stdout
    match = re.search(
        r"([0-9a-f]+)\s+(0x[0-9a-f]+|\d+)\s+OBJECT\s+GLOBAL\s+DEFAULT\s+\d+\s+(icudt\d+_dat)",
        syms,
    )
    if match is None:
        raise ValueError(f"{lib}: no icudtNN_dat symbol")
    addr, size, symbol = int(match.group(1), 16), int(match.group(2), 0), match.group(3)
    sections = subprocess.run(
        ["readelf", "-SW", str(lib)], capture_output=True, text=True, check=True
    ).stdout
    for line in sections.splitlines():
        sec = re.match(r"\s*\[\s*\d+\]\s+\S+\s+\S+\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)", line)
        if sec is None:
            continue
        start, offset, length = (int(x, 16) for x in sec.groups())
        if start <= addr < start + length:
            with lib.open("rb") as fh:
                fh.seek(addr - start + offset)
                return symbol, fh.read(size)
    raise ValueError(f"{lib}: {symbol} is in no section")


def trim_icu_data(lib: Path, workdir: Path) -> Path | None:
    """Rebuild libicudata.so.NN without ICU_DROP items; the new file, or None if skipped.

    Qt links ICU for collation, case mapping and codecs; 2/3 of its 31 MB data library
    is locale display data Qt never reads (tested: QCollator, QLocale case mapping and
    number formatting unchanged; QTimeZone display names and legacy codecs go).
    """
    icupkg, assembler, linker = shutil.which("icupkg"), shutil.which("as"), shutil.which("ld")
    if icupkg is None or assembler is None or linker is None:
        print("trim: icupkg/as/ld missing; ICU data left whole (apt-get install icu-devtools)")
        return None
    workdir.mkdir(parents=True, exist_ok=True)
    symbol, blob = _icu_blob(lib)
    version = symbol.removeprefix("icudt").removesuffix("_dat")
    package = f"icudt{version}l.dat"  # icupkg takes the item prefix from the file name
    (workdir / "in").mkdir(exist_ok=True)
    (workdir / "out").mkdir(exist_ok=True)
    source = workdir / "in" / package
    source.write_bytes(blob)
    listing = subprocess.run(
        [icupkg, "-l", str(source)], capture_output=True, text=True, check=True
    ).stdout.split()
    drop = [item for item in listing if ICU_DROP.search(item)]
    (workdir / "drop.txt").write_text("\n".join(drop) + "\n")
    trimmed = workdir / "out" / package
    trimmed.unlink(missing_ok=True)
    subprocess.run([icupkg, "-r", str(workdir / "drop.txt"), str(source), str(trimmed)], check=True)
    # The data package is the library's only content, exported under the same symbol
    # ICU's libicuuc looks up; 16-byte alignment as ICU's own build uses.
    asm = workdir / "icudata.S"
    asm.write_text(
        "    .section .rodata\n"
        f"    .globl {symbol}\n"
        f"    .type {symbol}, @object\n"
        "    .balign 16\n"
        f"{symbol}:\n"
        f'    .incbin "{trimmed}"\n'
        f"    .size {symbol}, . - {symbol}\n"
        '    .section .note.GNU-stack,"",@progbits\n'
    )
    obj, out = workdir / "icudata.o", workdir / lib.name
    subprocess.run([assembler, "-o", str(obj), str(asm)], check=True)
    subprocess.run([linker, "-shared", "-soname", lib.name, "-o", str(out), str(obj)], check=True)
    print(
        f"trim: {lib.name} {lib.stat().st_size / 1e6:.1f} MB -> {out.stat().st_size / 1e6:.1f} MB"
        f" ({len(drop)} of {len(listing)} ICU items removed)"
    )
    return out


def elf_files(root: Path) -> list[Path]:
    """Regular ELF files under root (symlinks skipped)."""
    found = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as fh:
                if fh.read(4) == b"\x7fELF":
                    found.append(path)
    return found


def needed_from_system(root: Path) -> dict[str, list[str]]:
    """Sonames the bundle's ELF files need but it does not ship (glibc excluded) -> users."""
    files = elf_files(root)
    shipped = {p.name for p in files} | {p.name for p in root.rglob("*") if p.is_symlink()}
    missing: dict[str, list[str]] = {}
    for path in files:
        for soname in elf_needed(path):
            if soname not in shipped and soname not in GLIBC_LIBS:
                missing.setdefault(soname, []).append(str(path.relative_to(root)))
    return missing


def min_glibc(root: Path) -> str | None:
    """Highest GLIBC_x.y symbol version the bundle's ELF files require."""
    best: tuple[int, ...] = ()
    for path in elf_files(root):
        out = subprocess.run(
            ["readelf", "-V", "-W", str(path)], capture_output=True, text=True, check=False
        ).stdout
        for ver in re.findall(r"Name: GLIBC_(\d+(?:\.\d+)+)", out):
            best = max(best, tuple(int(x) for x in ver.split(".")))
    return ".".join(map(str, best)) if best else None
