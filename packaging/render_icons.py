"""Render resources/tickerdesk.svg to the hicolor PNG sizes desktops look up.

Usage: python packaging/render_icons.py [--check]. Writes
resources/icons/hicolor/NxN/apps/tickerdesk.png for every size in SIZES and
packaging/windows/tickerdesk.ico (all sizes, PNG-compressed entries); with --check it
only verifies the PNGs exist and have the right dimensions (exit 1 otherwise).
Uses PySide6's QtSvg (part of PySide6-Essentials), so no extra tool is needed.
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SVG = ROOT / "resources" / "tickerdesk.svg"
ICON_DIR = ROOT / "resources" / "icons" / "hicolor"
SIZES = (16, 32, 48, 64, 128, 256)
ICO = ROOT / "packaging" / "windows" / "tickerdesk.ico"


def png_path(size: int, icon_dir: Path = ICON_DIR) -> Path:
    """Where the size x size PNG lives in the hicolor tree."""
    return icon_dir / f"{size}x{size}" / "apps" / "tickerdesk.png"


def render(svg: Path = SVG, icon_dir: Path = ICON_DIR) -> list[Path]:
    """Render every size; returns the written paths. Raises RuntimeError on a bad SVG."""
    # Offscreen: rendering needs a QGuiApplication for fonts/images but never a display.
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise RuntimeError(f"{svg} is not a valid SVG")
    written: list[Path] = []
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        renderer.render(painter)
        painter.end()
        out = png_path(size, icon_dir)
        out.parent.mkdir(parents=True, exist_ok=True)
        if not image.save(str(out)):
            raise RuntimeError(f"could not write {out}")
        written.append(out)
    return written


def write_ico(out: Path = ICO, icon_dir: Path = ICON_DIR) -> Path:
    """A Windows .ico holding every PNG size as-is (PNG entries: Windows Vista and later)."""
    pngs = [png_path(size, icon_dir).read_bytes() for size in SIZES]
    header = struct.pack("<HHH", 0, 1, len(pngs))  # reserved, type 1 = icon, count
    offset = len(header) + 16 * len(pngs)
    entries = b""
    for size, data in zip(SIZES, pngs, strict=True):
        side = 0 if size >= 256 else size  # 0 means 256 in the one-byte fields
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(data), offset)
        offset += len(data)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(header + entries + b"".join(pngs))
    return out


def check(icon_dir: Path = ICON_DIR) -> list[str]:
    """Problems with the rendered PNGs (missing or wrong size); empty when all is well."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication, QImage

    _app = QGuiApplication.instance() or QGuiApplication([])
    problems: list[str] = []
    for size in SIZES:
        path = png_path(size, icon_dir)
        image = QImage(str(path))
        if image.isNull():
            problems.append(f"{path}: missing or unreadable")
        elif (image.width(), image.height()) != (size, size):
            problems.append(f"{path}: {image.width()}x{image.height()}, expected {size}x{size}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="verify, do not write")
    args = parser.parse_args(argv)
    if args.check:
        problems = check()
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1 if problems else 0
    for path in [*render(), write_ico()]:
        print(path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
