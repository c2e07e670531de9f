#!/bin/sh
# Install Tickerdesk for the current user from the unpacked tarball (no root needed).
#
#   ./install.sh              install or upgrade
#   ./install.sh --uninstall  remove everything this script installed
#
# Installs the bundle into ~/.local/opt/tickerdesk, a ~/.local/bin/tickerdesk launcher,
# and the desktop entry, icons and AppStream metadata under ${XDG_DATA_HOME:-~/.local/share}.
set -eu

APP=tickerdesk
APP_ID=io.github.tickerdesk.Tickerdesk
SIZES="16 32 48 64 128 256"

HERE=$(cd "$(dirname "$0")" && pwd)
OPT_DIR="$HOME/.local/opt/$APP"
BIN_DIR="$HOME/.local/bin"
DATA_DIR="${XDG_DATA_HOME:-$HOME/.local/share}"
ICON_DIR="$DATA_DIR/icons/hicolor"

usage() {
    sed -n '2,8s/^# \{0,1\}//p' "$0"
}

refresh_caches() {
    # Optional desktop tools: menus pick the entry up without them, just later.
    if command -v update-desktop-database >/dev/null 2>&1; then
        update-desktop-database -q "$DATA_DIR/applications" 2>/dev/null || true
    fi
    if command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -f "$ICON_DIR/index.theme" ]; then
        gtk-update-icon-cache -q -t -f "$ICON_DIR" 2>/dev/null || true
    fi
}

uninstall() {
    rm -rf "$OPT_DIR"
    # Only remove the launcher if it is ours (a link into the bundle), never a user's file.
    if [ -L "$BIN_DIR/$APP" ]; then
        case "$(readlink "$BIN_DIR/$APP")" in
            "$OPT_DIR"/*) rm -f "$BIN_DIR/$APP" ;;
        esac
    fi
    rm -f "$DATA_DIR/applications/$APP.desktop"
    rm -f "$DATA_DIR/metainfo/$APP_ID.metainfo.xml"
    for size in $SIZES; do
        rm -f "$ICON_DIR/${size}x${size}/apps/$APP.png"
    done
    rm -f "$ICON_DIR/scalable/apps/$APP.svg"
    refresh_caches
    # Tidy directories this script created, if nothing else lives in them now.
    for size in $SIZES scalable; do
        dir="$ICON_DIR/$size"
        [ "$size" = scalable ] || dir="$ICON_DIR/${size}x${size}"
        rmdir "$dir/apps" "$dir" 2>/dev/null || true
    done
    rmdir "$DATA_DIR/metainfo" "$HOME/.local/opt" 2>/dev/null || true
    echo "Tickerdesk uninstalled (settings in ~/.config/tickerdesk are kept)."
}

install() {
    if [ ! -x "$HERE/$APP/$APP" ]; then
        echo "install.sh: $HERE/$APP/$APP not found; run me from the unpacked tarball" >&2
        exit 1
    fi
    mkdir -p "$HOME/.local/opt" "$BIN_DIR" "$DATA_DIR/applications" "$DATA_DIR/metainfo"
    # Copy beside the old version, then swap: an interrupted upgrade leaves a working app.
    staging="$OPT_DIR.new.$$"
    rm -rf "$staging"
    cp -R "$HERE/$APP" "$staging"
    rm -rf "$OPT_DIR"
    mv "$staging" "$OPT_DIR"
    ln -sfn "$OPT_DIR/$APP" "$BIN_DIR/$APP"

    # ~/.local/bin is often missing from a graphical session's PATH: use absolute paths.
    sed -e "s|^Exec=$APP|Exec=$BIN_DIR/$APP|" -e "s|^TryExec=$APP|TryExec=$BIN_DIR/$APP|" \
        "$HERE/resources/$APP.desktop" >"$DATA_DIR/applications/$APP.desktop"
    cp "$HERE/resources/$APP_ID.metainfo.xml" "$DATA_DIR/metainfo/"
    for size in $SIZES; do
        mkdir -p "$ICON_DIR/${size}x${size}/apps"
        cp "$HERE/resources/icons/hicolor/${size}x${size}/apps/$APP.png" \
            "$ICON_DIR/${size}x${size}/apps/"
    done
    mkdir -p "$ICON_DIR/scalable/apps"
    cp "$HERE/resources/$APP.svg" "$ICON_DIR/scalable/apps/"
    refresh_caches

    echo "Tickerdesk installed in $OPT_DIR"
    case ":$PATH:" in
        *":$BIN_DIR:"*) echo "Run it with: $APP   (or from your desktop's menu)" ;;
        *) echo "Run it with: $BIN_DIR/$APP   ($BIN_DIR is not on your PATH)" ;;
    esac
}

case "${1:-}" in
    "") install ;;
    --uninstall) uninstall ;;
    -h | --help) usage ;;
    *)
        echo "install.sh: unknown option $1" >&2
        usage >&2
        exit 2
        ;;
esac
