"""The frozen app and its Linux installers: build once, inspect the .deb and .tar.gz,
install each into a temporary root/HOME and run the installed launcher's smoke test.

Slow (one PyInstaller build + xz compression, ~1.5 min on 2 cores): deselect with
-m 'not packaging'. Skips with the reason when PyInstaller or dpkg-deb is missing.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
import tomllib
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD_PY = ROOT / "packaging" / "build.py"
APP_ID = "io.github.tickerdesk.Tickerdesk"
ICON_SIZES = (16, 32, 48, 64, 128, 256)
BUNDLE_BUDGET = 110 * 2**20  # unpacked bundle, bytes (issue: "at or under 110 MB")
DEB_BUDGET = 35 * 2**20
RUN_TIMEOUT = 90  # seconds for one launcher run; the app's own smoke limit is 20 s

pytestmark = [
    pytest.mark.packaging,
    pytest.mark.slow,
    pytest.mark.timeout(900),  # the module fixture builds everything (~1.5 min)
    pytest.mark.skipif(
        importlib.util.find_spec("PyInstaller") is None,
        reason="PyInstaller not installed: pip install '.[packaging]'",
    ),
    pytest.mark.skipif(sys.platform != "linux", reason="Linux installers only"),
]
needs_dpkg = pytest.mark.skipif(
    shutil.which("dpkg-deb") is None, reason="dpkg-deb not found (Debian/Ubuntu tool)"
)


def version() -> str:
    with (ROOT / "pyproject.toml").open("rb") as fh:
        return str(tomllib.load(fh)["project"]["version"])


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Run packaging/build.py once into a temporary --out; its build-info.json."""
    out = tmp_path_factory.mktemp("build")
    cmd = [sys.executable, str(BUILD_PY), "--out", str(out)]
    if shutil.which("dpkg-deb") is None:
        cmd.append("--skip-deb")
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=800, check=False)
    assert result.returncode == 0, f"build.py failed:\n{result.stdout}\n{result.stderr}"
    print(result.stdout)
    info: dict[str, Any] = json.loads((out / "dist" / "build-info.json").read_text())
    return info


@pytest.fixture(scope="module")
def deb_root(built: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The .deb unpacked with dpkg-deb -x into a temporary root."""
    if "deb" not in built:
        pytest.skip("no .deb built (dpkg-deb not found)")
    root = tmp_path_factory.mktemp("deb-root")
    subprocess.run(["dpkg-deb", "-x", built["deb"], str(root)], check=True)
    return root


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """A minimal environment: no display, no session bus, a throwaway HOME and XDG dirs."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "LANG": "C.UTF-8",
        "QT_QPA_PLATFORM": "offscreen",
    }
    env.update(extra)
    return env


def run_smoke(
    launcher: Path, home: Path, *wrapper: str, **extra: str
) -> subprocess.CompletedProcess[str]:
    home.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    result = subprocess.run(
        [*wrapper, str(launcher), "--demo", "--smoke-test"],
        env=clean_env(home, **extra),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    # A number for the report, not an assertion (timing is noisy here).
    print(f"{launcher}: exit {result.returncode} in {time.perf_counter() - start:.2f} s")
    return result


def assert_smoke_ok(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert "smoke test ok" in result.stdout
    assert re.search(r"\b\d+ symbols streaming", result.stdout)


# ------------------------------------------------------------------------------- .deb
@needs_dpkg
def test_deb_file_list(built: dict[str, Any]) -> None:
    listing = subprocess.run(
        ["dpkg-deb", "-c", built["deb"]], capture_output=True, text=True, check=True
    ).stdout
    rows = [line.split(None, 5) for line in listing.splitlines()]
    owners = {row[1] for row in rows}
    paths = {row[5].split(" -> ")[0] for row in rows}
    assert owners == {"root/root"}
    internal = "./opt/tickerdesk/_internal/"
    required = {
        "./opt/tickerdesk/tickerdesk",
        "./usr/bin/tickerdesk",
        "./usr/share/applications/tickerdesk.desktop",
        f"./usr/share/metainfo/{APP_ID}.metainfo.xml",
        "./usr/share/icons/hicolor/scalable/apps/tickerdesk.svg",
        "./usr/share/doc/tickerdesk/copyright",
        f"{internal}resources/tickerdesk.svg",
        f"{internal}resources/icons/hicolor/256x256/apps/tickerdesk.png",
        f"{internal}PySide6/Qt/plugins/platforms/libqxcb.so",
        f"{internal}PySide6/Qt/plugins/platforms/libqoffscreen.so",
        f"{internal}PySide6/Qt/plugins/iconengines/libqsvgicon.so",
        f"{internal}tzdata/zoneinfo/America/New_York",
    } | {f"./usr/share/icons/hicolor/{s}x{s}/apps/tickerdesk.png" for s in ICON_SIZES}
    assert required <= paths, sorted(required - paths)
    launcher = next(row for row in rows if row[5].startswith("./usr/bin/tickerdesk "))
    assert launcher[0].startswith("l")
    assert launcher[5].endswith("-> ../../opt/tickerdesk/tickerdesk")
    # Trimmed away: translations, unused plugins/modules, test-only dependencies.
    unwanted = re.compile(
        r"/translations/|libqgtk3|libqeglfs|libqvnc|/sqldrivers/|/qmltooling/|"
        r"QtNetwork|libQt6Network|libQt6Qml|libQt6Quick|/tkinter|/numpy|/pandas|/pydantic"
    )
    assert not [p for p in paths if unwanted.search(p)]


@needs_dpkg
def test_deb_control_fields(built: dict[str, Any]) -> None:
    def field(name: str) -> str:
        return subprocess.run(
            ["dpkg-deb", "-f", built["deb"], name], capture_output=True, text=True, check=True
        ).stdout.strip()

    arch = subprocess.run(
        ["dpkg", "--print-architecture"], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert field("Package") == "tickerdesk"
    assert field("Version") == version()
    assert field("Architecture") == arch
    assert Path(built["deb"]).name == f"tickerdesk_{version()}_{arch}.deb"
    assert re.fullmatch(r".+ <[^@\s]+@[^@\s]+>", field("Maintainer"))
    assert field("Section")
    assert field("Priority") == "optional"
    assert field("Description").splitlines()[0].strip()
    installed_kib = int(field("Installed-Size"))
    assert built["bundle_bytes"] / 1024 <= installed_kib <= built["bundle_bytes"] / 1024 + 1024
    depends = {re.sub(r"\s*\(.*\)", "", d.strip()) for d in field("Depends").split(",")}
    assert {"libc6", "libegl1", "libgl1", "libxcb1", "libfontconfig1"} <= depends


@needs_dpkg
def test_deb_depends_cover_what_the_bundle_lacks(deb_root: Path, built: dict[str, Any]) -> None:
    """Every library the bundled ELF files need but do not ship belongs to a Depends package."""
    depends = subprocess.run(
        ["dpkg-deb", "-f", built["deb"], "Depends"], capture_output=True, text=True, check=True
    ).stdout
    declared = {re.sub(r"\s*\(.*\)", "", d.strip()) for d in depends.split(",")}
    ldconfig = subprocess.run(
        ["/sbin/ldconfig", "-p"], capture_output=True, text=True, check=True
    ).stdout
    bundle = deb_root / "opt" / "tickerdesk"
    shipped = {p.name for p in bundle.rglob("*")}
    needed: set[str] = set()
    for path in bundle.rglob("*.so*"):
        if path.is_file() and not path.is_symlink():
            out = subprocess.run(
                ["readelf", "-d", "-W", str(path)], capture_output=True, text=True, check=False
            ).stdout
            needed |= set(re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out))
    checked = 0
    for soname in sorted(needed - shipped):
        found = re.findall(rf"^\s*{re.escape(soname)} \(([^)]*)\) => (\S+)", ldconfig, re.M)
        if not found:
            continue  # not installed here: nothing to look up
        # Prefer this machine's word size when multilib lists several.
        found.sort(key=lambda flags_path: "64" not in flags_path[0])
        owner = subprocess.run(
            ["dpkg", "-S", os.path.realpath(found[0][1])],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.split(":")[0]
        if not owner or owner == "libc6":
            continue
        assert owner in declared, f"{soname} comes from {owner}, missing from Depends"
        checked += 1
    assert checked >= 3  # libGL, libEGL, libxcb at least


@needs_dpkg
def test_deb_desktop_entry_and_metainfo_validate(deb_root: Path) -> None:
    if shutil.which("desktop-file-validate") is None:
        pytest.skip("desktop-file-validate not found: apt-get install desktop-file-utils")
    desktop = deb_root / "usr" / "share" / "applications" / "tickerdesk.desktop"
    result = subprocess.run(
        ["desktop-file-validate", str(desktop)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout
    assert not result.stdout.strip()  # no warnings either
    assert "Exec=tickerdesk" in desktop.read_text()
    metainfo = deb_root / "usr" / "share" / "metainfo" / f"{APP_ID}.metainfo.xml"
    if shutil.which("appstreamcli"):
        result = subprocess.run(
            ["appstreamcli", "validate", "--no-net", str(metainfo)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr


@needs_dpkg
def test_deb_maintainer_scripts_tolerate_missing_tools(
    built: dict[str, Any], tmp_path: Path
) -> None:
    """postinst/postrm refresh caches only when the tools exist; without them they exit 0."""
    control = tmp_path / "DEBIAN"
    subprocess.run(["dpkg-deb", "-e", built["deb"], str(control)], check=True)
    empty_path = tmp_path / "no-tools"
    empty_path.mkdir()
    for script, arg in (("postinst", "configure"), ("postrm", "remove"), ("postrm", "purge")):
        path = control / script
        assert path.stat().st_mode & 0o111
        text = path.read_text()
        assert "command -v update-desktop-database" in text
        assert "command -v gtk-update-icon-cache" in text
        sh = shutil.which("sh") or "/bin/sh"
        result = subprocess.run(
            [sh, str(path), arg], env={"PATH": str(empty_path)}, capture_output=True, check=False
        )
        assert result.returncode == 0, result.stderr


@needs_dpkg
def test_deb_installed_launcher_smoke_test(deb_root: Path, tmp_path: Path) -> None:
    """The /usr/bin launcher starts the embedded simulator and gets data for every symbol."""
    assert_smoke_ok(run_smoke(deb_root / "usr" / "bin" / "tickerdesk", tmp_path / "home"))


@needs_dpkg
def test_deb_launcher_on_real_xcb_display(deb_root: Path, tmp_path: Path) -> None:
    """The xcb platform plugin loads with the system's libraries (under Xvfb)."""
    if shutil.which("xvfb-run") is None:
        pytest.skip("xvfb-run not found: apt-get install xvfb")
    launcher = deb_root / "usr" / "bin" / "tickerdesk"
    assert_smoke_ok(run_smoke(launcher, tmp_path / "home", "xvfb-run", "-a", QT_QPA_PLATFORM="xcb"))


@needs_dpkg
def test_bundled_tz_database_is_used_without_the_system_one(deb_root: Path, tmp_path: Path) -> None:
    """America/New_York comes from the bundled tzdata when no system zoneinfo exists (Windows)."""
    launcher = deb_root / "usr" / "bin" / "tickerdesk"
    assert_smoke_ok(run_smoke(launcher, tmp_path / "home", PYTHONTZPATH=str(tmp_path / "none")))


@needs_dpkg
@pytest.mark.parametrize(
    ("victim", "extra_env"),
    [
        ("_internal/PySide6/Qt/plugins/platforms/libqoffscreen.so", {}),
        ("_internal/tzdata/zoneinfo/America/New_York", {"PYTHONTZPATH": "/nonexistent"}),
    ],
    ids=["platform-plugin", "tz-data"],
)
def test_broken_bundle_fails_smoke_test(
    deb_root: Path, tmp_path: Path, victim: str, extra_env: dict[str, str]
) -> None:
    """The smoke test is not vacuous: remove one thing the app needs and it must fail."""
    copy = tmp_path / "tickerdesk"
    # Hard links: a cheap copy; deleting a link in it leaves the original intact.
    shutil.copytree(deb_root / "opt" / "tickerdesk", copy, symlinks=True, copy_function=os.link)
    (copy / victim).unlink()
    result = run_smoke(copy / "tickerdesk", tmp_path / "home", **extra_env)
    assert result.returncode != 0
    assert "smoke test ok" not in result.stdout
    assert (deb_root / "opt" / "tickerdesk" / victim).exists()


# ----------------------------------------------------------------------------- .tar.gz
def test_tarball_layout(built: dict[str, Any]) -> None:
    top = f"tickerdesk-{version()}"
    with tarfile.open(built["tarball"]) as tar:
        names = set(tar.getnames())
        members = tar.getmembers()
    assert {n.split("/")[0] for n in names} == {top}
    assert {
        f"{top}/install.sh",
        f"{top}/tickerdesk/tickerdesk",
        f"{top}/resources/tickerdesk.desktop",
        f"{top}/resources/tickerdesk.svg",
        f"{top}/resources/{APP_ID}.metainfo.xml",
        f"{top}/resources/icons/hicolor/48x48/apps/tickerdesk.png",
    } <= names
    assert all(m.uid == 0 and m.gid == 0 for m in members)
    install = next(m for m in members if m.name == f"{top}/install.sh")
    assert install.mode & 0o111


def test_tarball_install_run_uninstall(built: dict[str, Any], tmp_path: Path) -> None:
    unpack, home = tmp_path / "unpack", tmp_path / "home"
    home.mkdir()
    with tarfile.open(built["tarball"]) as tar:
        tar.extractall(unpack, filter="tar")
    install_sh = unpack / f"tickerdesk-{version()}" / "install.sh"
    env = clean_env(home)
    result = subprocess.run([str(install_sh)], env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr

    launcher = home / ".local" / "bin" / "tickerdesk"
    share = home / ".local" / "share"
    desktop = share / "applications" / "tickerdesk.desktop"
    assert (home / ".local" / "opt" / "tickerdesk" / "tickerdesk").is_file()
    assert f"Exec={launcher}" in desktop.read_text()
    for size in ICON_SIZES:
        assert (share / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "tickerdesk.png").exists()
    if shutil.which("desktop-file-validate"):
        check = subprocess.run(["desktop-file-validate", str(desktop)], check=False)
        assert check.returncode == 0

    assert_smoke_ok(run_smoke(launcher, home))

    # Reinstalling over an existing install works (upgrade path).
    again = subprocess.run([str(install_sh)], env=env, capture_output=True, text=True, check=False)
    assert again.returncode == 0, again.stderr

    removed = subprocess.run(
        [str(install_sh), "--uninstall"], env=env, capture_output=True, text=True, check=False
    )
    assert removed.returncode == 0, removed.stderr
    assert not launcher.exists()
    assert not launcher.is_symlink()
    assert not (home / ".local" / "opt" / "tickerdesk").exists()
    assert not desktop.exists()
    assert not list(share.rglob("tickerdesk.png"))
    assert not list(share.rglob("*.metainfo.xml"))


# ------------------------------------------------------------------------------ budget
def test_bundle_within_size_budget(built: dict[str, Any]) -> None:
    """The lean bundle stays lean (needs icupkg for the ICU data trim, see trim.py)."""
    if shutil.which("icupkg") is None:
        pytest.skip("icupkg not found (apt-get install icu-devtools): ICU data not trimmed")
    print(
        f"bundle {built['bundle_bytes'] / 2**20:.1f} MiB, "
        f"deb {built.get('deb_bytes', 0) / 2**20:.1f} MiB, "
        f"tar.gz {built['tarball_bytes'] / 2**20:.1f} MiB, build {built['total_seconds']} s"
    )
    assert built["bundle_bytes"] <= BUNDLE_BUDGET
    if "deb_bytes" in built:
        assert built["deb_bytes"] <= DEB_BUDGET
