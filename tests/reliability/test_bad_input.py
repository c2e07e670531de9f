"""Bad user input never crashes: every bad symbol text and every bad settings file gets
a specific message, and the app keeps the last good state."""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import string
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from engine.core.tasks import TaskSet
from engine.net.health import ConnectionState
from gui.runtime import Runtime, RuntimeOptions
from gui.settings.persistence import AppSettings
from gui.watchlists.bar import WatchlistBar

OFFSCREEN_SHOW = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def _bar(qtbot: QtBot, existing: list[str]) -> tuple[WatchlistBar, list[list[str]]]:
    bar = WatchlistBar(TaskSet(), lambda: existing)
    qtbot.addWidget(bar)
    accepted: list[list[str]] = []

    def on_accepted(symbols: list[str]) -> None:
        accepted.append(symbols)
        existing.extend(symbols)

    bar.symbols_accepted.connect(on_accepted)
    return bar, accepted


def _submit(bar: WatchlistBar, text: str) -> str:
    bar.add_field.setText(text)
    bar.submit()
    return bar.message.text()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Type one or more symbols"),
        ("   ,, ;", "Type one or more symbols"),
        ("A" * 200, "too long"),
        ("ÄPFEL", "only the letters A-Z"),
        ("株式", "only the letters A-Z"),
        ("'; DROP TABLE symbols;--", "Not added"),
        ("<h1>BIG</h1>", "Not added"),
        ("<img src=x onerror=alert(1)>", "Not added"),
        ("BRK..B", "share class"),
        ("1BAD", "digits"),
    ],
)
def test_bad_symbol_text_is_refused_with_a_message(qtbot: QtBot, text: str, message: str) -> None:
    existing = ["AAPL"]
    bar, accepted = _bar(qtbot, existing)
    shown = _submit(bar, text)
    assert message in shown
    assert accepted == []
    assert existing == ["AAPL"]  # the last good state
    # Echoed user text is plain: "<h1>" must not render as a heading.
    assert bar.message.textFormat() is Qt.TextFormat.PlainText


def test_good_spellings_are_normalised(qtbot: QtBot) -> None:
    existing: list[str] = []
    bar, accepted = _bar(qtbot, existing)
    assert "Added AAPL" in _submit(bar, "aapl")
    assert "Added BRK.B" in _submit(bar, "BRK.B")
    assert "Already watched: BRK.B" in _submit(bar, "brk/b")
    assert accepted == [["AAPL"], ["BRK.B"]]


def test_thousand_symbols_pasted_at_once(qtbot: QtBot) -> None:
    existing: list[str] = []
    bar, accepted = _bar(qtbot, existing)
    symbols = ["".join(p) for p in itertools.islice(
        itertools.product(string.ascii_uppercase, repeat=4), 1000)]  # fmt: skip
    shown = _submit(bar, "\n".join(symbols))
    assert len(accepted) == 1
    assert len(accepted[0]) == 500
    assert "500 more not added" in shown  # nothing dropped silently


def _write_ini(path: Path, text: str | bytes) -> None:
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)


def test_out_of_range_and_wrong_type_settings(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "hand.ini"
    _write_ini(path, "[watchlist]\nsymbols=123, 1BAD, aapl, <b>x</b>, brk/b\n"
                     "[stream]\nflush_ms=99999\nfeed=bogus\nencoding=xml\n"
                     "[table]\nsort_column=banana\n")  # fmt: skip
    with caplog.at_level(logging.WARNING, logger="gui.settings.persistence"):
        settings = AppSettings(path)
        assert settings.watchlist() == ["AAPL", "BRK.B"]
        assert settings.flush_ms() == 1000
        assert settings.feed() == "iex"
        assert settings.encoding() == "json"
        assert settings.sort() is None
    text = caplog.text
    for words in ("invalid symbols", "1BAD", "outside 10-1000", "unknown feed 'bogus'",
                  "unknown encoding 'xml'"):  # fmt: skip
        assert words in text
    _write_ini(path, "[stream]\nflush_ms=fast\n")
    assert AppSettings(path).flush_ms() == 50


def test_binary_junk_settings_file(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "junk.ini"
    _write_ini(path, os.urandom(4096) + b"\n[watchlist]\nsymbols=\xff\xfe\x00\n")
    with caplog.at_level(logging.WARNING, logger="gui.settings.persistence"):
        settings = AppSettings(path)
    assert "corrupt" in (settings.last_error or "")
    assert "corrupt" in caplog.text
    assert settings.feed() == "iex"
    watch = settings.watchlist()
    assert watch is None or all(s.isascii() for s in watch)
    settings.set_watchlist(["MSFT"])  # the next write leaves a good state behind
    assert AppSettings(path).watchlist() == ["MSFT"]


def test_unwritable_settings_directory(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # A file where the directory should be: unwritable even for root (CI runs as root,
    # so chmod alone would not stop it).
    (tmp_path / "cfg").write_text("not a directory")
    with caplog.at_level(logging.WARNING, logger="gui.settings.persistence"):
        settings = AppSettings(tmp_path / "cfg" / "tickerdesk" / "t.ini")
        settings.set_watchlist(["AAPL"])
    assert "settings not saved" in (settings.last_error or "")
    assert "cannot create" in caplog.text


@OFFSCREEN_SHOW
def test_app_runs_on_a_bad_settings_file_and_says_so(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    path = tmp_path / "bad.ini"
    _write_ini(
        path, "[stream]\nencoding=xml\nflush_ms=-5\nfeed=nope\n[watchlist]\nsymbols=aapl, $$$\n"
    )

    async def scenario() -> None:
        session = Runtime(RuntimeOptions(demo=True, settings_path=path, simulator_rate=100.0),
                          asyncio.Event())  # fmt: skip
        try:
            await session.start()
            assert session.window is not None
            assert session.window.symbols() == ["AAPL"]
            assert session.window.statusBar().currentMessage() == session.settings.last_error
            assert session.settings.last_error
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 15
            while session.health.state is not ConnectionState.STREAMING:
                assert loop.time() < deadline, "never streamed"
                await asyncio.sleep(0.05)
        finally:
            await session.close()

    qloop.run_until_complete(scenario())


def test_hand_edited_watchlist_tabs_keep_good_symbols(tmp_path: Path) -> None:
    from gui.settings.persistence import AppSettings

    path = tmp_path / "settings.ini"
    first = AppSettings(path)
    first.set_watchlists([("Tech", ["AAPL", "MSFT"]), ("ETFs", ["SPY"])], 1)
    first.sync()
    text = path.read_text()
    text = text.replace("MSFT", "<script>").replace("active=1", "active=7")
    path.write_text(text)
    again = AppSettings(path)
    saved = again.watchlists()
    assert saved is not None
    lists, active = saved
    assert lists == [("Tech", ["AAPL"]), ("ETFs", ["SPY"])]
    assert active == 1  # out of range clamped to the last tab
    assert again.last_error is not None
    assert "<script>" in again.last_error
