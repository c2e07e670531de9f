#!/bin/sh
# Build Tickerdesk.app and a compressed .dmg on macOS. UNTESTED here (written on Linux for
# the macos-latest job in .github/workflows/release.yml); needs Xcode's command line
# tools (iconutil, hdiutil, ditto) and a Python 3.12+ with `pip install ".[packaging]"`.
#
#   sh packaging/macos/build-dmg.sh      -> packaging/dist/tickerdesk-VERSION-macos-ARCH.dmg
#
# The .app is ad-hoc signed by PyInstaller, not notarised: Gatekeeper asks users to
# confirm the first start (right-click > Open). Info.plist keys are in the spec's BUNDLE.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
PYTHON=${PYTHON:-python3}
VERSION=$("$PYTHON" -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
ARCH=$(uname -m)
BUILD=packaging/build
DIST=packaging/dist

# 1. The .icns icon from the committed hicolor PNGs (the spec picks it up if present).
ICONSET="$BUILD/tickerdesk.iconset"
PNG=resources/icons/hicolor
rm -rf "$ICONSET"
mkdir -p "$ICONSET"
cp "$PNG/16x16/apps/tickerdesk.png" "$ICONSET/icon_16x16.png"
cp "$PNG/32x32/apps/tickerdesk.png" "$ICONSET/icon_16x16@2x.png"
cp "$PNG/32x32/apps/tickerdesk.png" "$ICONSET/icon_32x32.png"
cp "$PNG/64x64/apps/tickerdesk.png" "$ICONSET/icon_32x32@2x.png"
cp "$PNG/128x128/apps/tickerdesk.png" "$ICONSET/icon_128x128.png"
cp "$PNG/256x256/apps/tickerdesk.png" "$ICONSET/icon_128x128@2x.png"
cp "$PNG/256x256/apps/tickerdesk.png" "$ICONSET/icon_256x256.png"
iconutil -c icns "$ICONSET" -o packaging/macos/tickerdesk.icns

# 2. Freeze: one-folder bundle wrapped as Tickerdesk.app (BUNDLE in the spec).
"$PYTHON" -m PyInstaller --noconfirm --distpath "$DIST" --workpath "$BUILD" packaging/tickerdesk.spec
APP="$DIST/Tickerdesk.app"
test -x "$APP/Contents/MacOS/tickerdesk"

# 3. Smoke test: embedded simulator, data for every default symbol, exit 0.
QT_QPA_PLATFORM=offscreen "$APP/Contents/MacOS/tickerdesk" --demo --smoke-test

# 4. The disk image: the app plus an /Applications link to drag it onto.
STAGE="$BUILD/dmg"
rm -rf "$STAGE"
mkdir -p "$STAGE"
ditto "$APP" "$STAGE/Tickerdesk.app"
ln -s /Applications "$STAGE/Applications"
DMG="$DIST/tickerdesk-$VERSION-macos-$ARCH.dmg"
rm -f "$DMG"
hdiutil create -volname "Tickerdesk $VERSION" -srcfolder "$STAGE" -fs HFS+ -format UDZO -ov "$DMG"
du -sh "$APP" "$DMG"
