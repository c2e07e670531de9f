"""Build Tickerdesk's PyInstaller bundle, then the Linux .deb and .tar.gz, in one command.

Usage: python packaging/build.py [--skip-deb] [--skip-tar] [--out DIR] [--no-trim] [--smoke]
Outputs (DIR defaults to packaging/): DIR/dist/tickerdesk/ (one-folder bundle),
DIR/dist/tickerdesk_VERSION_ARCH.deb, DIR/dist/tickerdesk-VERSION-linux-MACHINE.tar.gz and
DIR/dist/build-info.json (artifact paths, sizes, timings); DIR/build/ holds scratch files.
VERSION comes from pyproject.toml. Exit status is non-zero on any failure.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import time
import tomllib
from pathlib import Path

PACKAGING = Path(__file__).resolve().parent
ROOT = PACKAGING.parent
RESOURCES = ROOT / "resources"
SPEC = PACKAGING / "tickerdesk.spec"
APP_ID = "io.github.tickerdesk.Tickerdesk"
ICON_SIZES = (16, 32, 48, 64, 128, 256)
MAINTAINER = "Tickerdesk developers <tickerdesk@users.noreply.github.com>"

sys.path.insert(0, str(PACKAGING))
import trim  # noqa: E402

# Debian packages providing the sonames the bundle leaves to the system (see
# trim.SYSTEM_LIBS and PyInstaller's own exclusions of libGL/libEGL/libxcb). These names
# are stable across Debian 12/13 and Ubuntu 22.04-24.04 (none took a t64 suffix, except
# gtk3, whose alternatives say so).
DEB_PACKAGE_OF = {
    "libGL.so.1": "libgl1",
    "libEGL.so.1": "libegl1",
    "libxcb.so.1": "libxcb1",
    "libX11.so.6": "libx11-6",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libwayland-client.so.0": "libwayland-client0",
    "libwayland-cursor.so.0": "libwayland-cursor0",
    "libwayland-egl.so.1": "libwayland-egl1",
    "libdbus-1.so.3": "libdbus-1-3",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    # only an untrimmed (--no-trim) bundle needs these
    "libdrm.so.2": "libdrm2",
    "libgtk-3.so.0": "libgtk-3-0t64 | libgtk-3-0",
    "libgdk-3.so.0": "libgtk-3-0t64 | libgtk-3-0",
}
_XCB_RE = re.compile(r"^libxcb-([a-z-]+)\.so\.(\d+)$")  # libxcb-icccm.so.4 -> libxcb-icccm4

POSTINST = """#!/bin/sh
# Refresh the desktop menu and icon caches if this system has the tools (not required).
set -e
if [ "$1" = "configure" ]; then
    if command -v update-desktop-database >/dev/null 2>&1; then
        update-desktop-database -q /usr/share/applications || true
    fi
    if command -v gtk-update-icon-cache >/dev/null 2>&1; then
        gtk-update-icon-cache -q -t -f /usr/share/icons/hicolor || true
    fi
fi
exit 0
"""
POSTRM = """#!/bin/sh
# Refresh the caches after removal so menus forget Tickerdesk (only if the tools exist).
set -e
case "$1" in
    remove|purge)
        if command -v update-desktop-database >/dev/null 2>&1; then
            update-desktop-database -q /usr/share/applications || true
        fi
        if command -v gtk-update-icon-cache >/dev/null 2>&1; then
            gtk-update-icon-cache -q -t -f /usr/share/icons/hicolor || true
        fi
        ;;
esac
exit 0
"""
COPYRIGHT = """Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: tickerdesk

Files: *
Copyright: Tickerdesk developers
License: MIT

Files: opt/tickerdesk/_internal/*
Comment: Bundled third-party runtime, unmodified: CPython (PSF-2.0), Qt 6 and PySide6
 (LGPL-3.0), ICU (Unicode-3.0; data subset), OpenSSL (Apache-2.0), cryptography
 (Apache-2.0 or BSD-3-Clause), qasync, websockets, msgspec, httpx, keyring (BSD/MIT).
License: various
"""


class BuildError(RuntimeError):
    """A build step failed; the message says which and why."""


def project_version() -> str:
    """[project].version from pyproject.toml."""
    with (ROOT / "pyproject.toml").open("rb") as fh:
        return str(tomllib.load(fh)["project"]["version"])


def tree_size(path: Path) -> int:
    """Apparent size in bytes of every regular file under path (symlinks not followed)."""
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def run_pyinstaller(out: Path, trimmed: bool) -> Path:
    """Build the one-folder bundle into out/dist/tickerdesk; returns that directory."""
    for tool in ("strip", "readelf"):
        if shutil.which(tool) is None and sys.platform.startswith("linux"):
            raise BuildError(f"`{tool}` not found: apt-get install binutils")
    env = dict(os.environ, TICKERDESK_TRIM="1" if trimmed else "0")
    cmd = [
        sys.executable,
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--log-level",
        "WARN",
        "--distpath",
        str(out / "dist"),
        "--workpath",
        str(out / "build"),
        str(SPEC),
    ]
    result = subprocess.run(cmd, env=env, cwd=ROOT, check=False)
    bundle = out / "dist" / "tickerdesk"
    if result.returncode != 0 or not (bundle / "tickerdesk").exists():
        raise BuildError(f"PyInstaller failed (exit {result.returncode})")
    return bundle


def deb_depends(bundle: Path) -> str:
    """Depends: line from what the bundle needs from the system; unknown sonames fail."""
    packages: set[str] = set()
    unknown: list[str] = []
    for soname, users in sorted(trim.needed_from_system(bundle).items()):
        xcb = _XCB_RE.match(soname)
        if soname in DEB_PACKAGE_OF:
            packages.add(DEB_PACKAGE_OF[soname])
        elif xcb:
            packages.add(f"libxcb-{xcb.group(1)}{xcb.group(2)}")
        else:
            unknown.append(f"{soname} (needed by {users[0]})")
    if unknown:
        raise BuildError("no Debian package known for: " + ", ".join(unknown))
    glibc = trim.min_glibc(bundle)
    head = [f"libc6 (>= {glibc})"] if glibc else ["libc6"]
    return ", ".join(head + sorted(packages))


def _normalise_modes(root: Path) -> None:
    """0755 for directories and executables, 0644 for other files (Debian policy)."""
    for path in [root, *root.rglob("*")]:
        if path.is_symlink():
            continue
        if path.is_dir() or path.stat().st_mode & 0o111:
            path.chmod(0o755)
        else:
            path.chmod(0o644)


def _install_desktop_files(share: Path) -> None:
    """Desktop entry, hicolor icons (PNG sizes + scalable SVG) and AppStream metainfo."""
    (share / "applications").mkdir(parents=True)
    shutil.copy2(RESOURCES / "tickerdesk.desktop", share / "applications" / "tickerdesk.desktop")
    for size in ICON_SIZES:
        rel = Path(f"{size}x{size}") / "apps" / "tickerdesk.png"
        dest = share / "icons" / "hicolor" / rel
        dest.parent.mkdir(parents=True)
        shutil.copy2(RESOURCES / "icons" / "hicolor" / rel, dest)
    scalable = share / "icons" / "hicolor" / "scalable" / "apps"
    scalable.mkdir(parents=True)
    shutil.copy2(RESOURCES / "tickerdesk.svg", scalable / "tickerdesk.svg")
    (share / "metainfo").mkdir(parents=True)
    meta = f"{APP_ID}.metainfo.xml"
    shutil.copy2(RESOURCES / meta, share / "metainfo" / meta)


def build_deb(bundle: Path, out: Path, version: str) -> Path:
    """tickerdesk_VERSION_ARCH.deb: /opt/tickerdesk, /usr/bin symlink, desktop integration."""
    if shutil.which("dpkg-deb") is None:
        raise BuildError("dpkg-deb not found (Debian/Ubuntu only); use --skip-deb")
    arch = subprocess.run(
        ["dpkg", "--print-architecture"], capture_output=True, text=True, check=True
    ).stdout.strip()
    root = out / "build" / "deb-root"
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(bundle, root / "opt" / "tickerdesk", symlinks=True)
    (root / "usr" / "bin").mkdir(parents=True)
    # Relative, so the link also works in a `dpkg-deb -x` tree; the bootloader resolves
    # its real location through /proc/self/exe and finds _internal/ beside it.
    (root / "usr" / "bin" / "tickerdesk").symlink_to("../../opt/tickerdesk/tickerdesk")
    share = root / "usr" / "share"
    _install_desktop_files(share)
    doc = share / "doc" / "tickerdesk"
    doc.mkdir(parents=True)
    (doc / "copyright").write_text(COPYRIGHT)
    _normalise_modes(root)
    installed_kib = (tree_size(root) + 1023) // 1024
    control = root / "DEBIAN"
    control.mkdir()
    (control / "control").write_text(
        f"Package: tickerdesk\n"
        f"Version: {version}\n"
        f"Architecture: {arch}\n"
        f"Maintainer: {os.environ.get('TICKERDESK_MAINTAINER', MAINTAINER)}\n"
        f"Installed-Size: {installed_kib}\n"
        f"Depends: {deb_depends(bundle)}\n"
        # nats-server: `--bus` shares one Alpaca connection across machines (docs/bus.md).
        f"Recommends: fonts-dejavu-core | fonts-freefont-ttf, nats-server\n"
        f"Suggests: gnome-keyring\n"
        f"Section: misc\n"
        f"Priority: optional\n"
        f"Description: real-time US stock quotes from Alpaca's market data stream\n"
        f" Tickerdesk is a desktop monitor for Alpaca's real-time stock data stream:\n"
        f" a live watchlist of trades, quotes, day statistics and halts, with the\n"
        f" connection state and the age of every number always visible. A built-in\n"
        f" market simulator (--demo) works without an account.\n"
    )
    for name, text in (("postinst", POSTINST), ("postrm", POSTRM)):
        (control / name).write_text(text)
        (control / name).chmod(0o755)
    deb = out / "dist" / f"tickerdesk_{version}_{arch}.deb"
    deb.unlink(missing_ok=True)
    subprocess.run(
        ["dpkg-deb", "--build", "--root-owner-group", "-Zxz", "-z6", str(root), str(deb)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return deb


def _root_owned(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    return info


def build_tarball(bundle: Path, out: Path, version: str) -> Path:
    """tickerdesk-VERSION-linux-MACHINE.tar.gz: bundle, install.sh and resources/."""
    top = f"tickerdesk-{version}"
    tarball = out / "dist" / f"{top}-linux-{platform.machine()}.tar.gz"
    tarball.unlink(missing_ok=True)
    stage = out / "build" / "tar-root" / top
    shutil.rmtree(stage.parent, ignore_errors=True)
    stage.mkdir(parents=True)
    shutil.copytree(bundle, stage / "tickerdesk", symlinks=True)
    shutil.copy2(PACKAGING / "install.sh", stage / "install.sh")
    res = stage / "resources"
    res.mkdir()
    for name in ("tickerdesk.desktop", "tickerdesk.svg", f"{APP_ID}.metainfo.xml"):
        shutil.copy2(RESOURCES / name, res / name)
    shutil.copytree(RESOURCES / "icons", res / "icons")
    _normalise_modes(stage)
    with tarfile.open(tarball, "w:gz", compresslevel=6) as tar:
        tar.add(stage, arcname=top, filter=_root_owned)
    return tarball


def smoke(launcher: Path, scratch: Path, runs: int = 3) -> list[float]:
    """Wall seconds of `launcher --demo --smoke-test` runs (offscreen, throwaway HOME)."""
    home = scratch / "smoke-home"
    times = []
    for _ in range(runs):
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir(parents=True)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_DATA_HOME": str(home / ".local" / "share"),
            "XDG_CACHE_HOME": str(home / ".cache"),
            "QT_QPA_PLATFORM": "offscreen",
            "LANG": "C.UTF-8",
        }
        start = time.perf_counter()
        result = subprocess.run(
            [str(launcher), "--demo", "--smoke-test"], env=env, check=False, timeout=120
        )
        times.append(time.perf_counter() - start)
        if result.returncode != 0:
            raise BuildError(f"smoke test of {launcher} failed (exit {result.returncode})")
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-deb", action="store_true", help="do not build the .deb")
    parser.add_argument("--skip-tar", action="store_true", help="do not build the .tar.gz")
    parser.add_argument(
        "--out", type=Path, default=PACKAGING, help="output root (default: packaging/)"
    )
    parser.add_argument(
        "--no-trim", action="store_true", help="keep every Qt plugin and library (for sizes)"
    )
    parser.add_argument(
        "--smoke", action="store_true", help="run the bundle's --smoke-test 3 times, time it"
    )
    args = parser.parse_args(argv)
    out: Path = args.out.resolve()
    version = project_version()
    info: dict[str, object] = {"version": version, "trimmed": not args.no_trim}
    try:
        if not sys.platform.startswith("linux") and not (args.skip_deb and args.skip_tar):
            raise BuildError("the .deb and .tar.gz are Linux artifacts: pass --skip-deb --skip-tar")
        started = time.perf_counter()
        bundle = run_pyinstaller(out, trimmed=not args.no_trim)
        info["bundle"] = str(bundle)
        bundle_bytes = tree_size(bundle)
        info["bundle_bytes"] = bundle_bytes
        info["pyinstaller_seconds"] = round(time.perf_counter() - started, 1)
        print(f"bundle: {bundle} {bundle_bytes / 2**20:.1f} MiB unpacked")
        if not args.skip_deb:
            t0 = time.perf_counter()
            deb = build_deb(bundle, out, version)
            info.update(deb=str(deb), deb_bytes=deb.stat().st_size)
            info["deb_seconds"] = round(time.perf_counter() - t0, 1)
            print(f"deb:    {deb} {deb.stat().st_size / 2**20:.1f} MiB")
        if not args.skip_tar:
            t0 = time.perf_counter()
            tarball = build_tarball(bundle, out, version)
            info.update(tarball=str(tarball), tarball_bytes=tarball.stat().st_size)
            info["tarball_seconds"] = round(time.perf_counter() - t0, 1)
            print(f"tar.gz: {tarball} {tarball.stat().st_size / 2**20:.1f} MiB")
        info["total_seconds"] = round(time.perf_counter() - started, 1)
        print(f"built in {info['total_seconds']} s")
        if args.smoke:
            times = sorted(smoke(bundle / "tickerdesk", out / "build"))
            info["smoke_seconds"] = [round(t, 2) for t in times]
            print(f"smoke test: median {times[len(times) // 2]:.2f} s over {len(times)} runs")
    except (BuildError, subprocess.CalledProcessError, OSError) as exc:
        print(f"build.py: {exc}", file=sys.stderr)
        return 1
    (out / "dist" / "build-info.json").write_text(json.dumps(info, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
