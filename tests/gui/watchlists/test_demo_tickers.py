"""The demo accepts any well-formed ticker (issue 18, #4): COIN, PLTR and RIVN typed into
the add field of the real demo (embedded simulator on 127.0.0.1, its asset list loaded)
are added and stream; a pasted list with an unknown ticker adds the good ones and names
the refused one."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from gui.runtime import Runtime, RuntimeOptions
from tests.waits import until

OFFSCREEN_SHOW = pytest.mark.qt_log_ignore(
    "This plugin does not support propagateSizeHints",
    r"This plugin does not support raise\(\)",
    "This plugin does not support grabbing the keyboard",
)


@OFFSCREEN_SHOW
def test_demo_adds_popular_tickers_outside_its_start_universe_and_they_stream(
    qloop: asyncio.AbstractEventLoop, qtbot: Any, tmp_path: Path
) -> None:
    async def scenario() -> None:
        options = RuntimeOptions(
            demo=True, settings_path=tmp_path / "demo.ini", simulator_rate=200.0,
            show_window=False, symbols=["AAPL"],
        )  # fmt: skip
        session = Runtime(options, asyncio.Event())
        try:
            await session.start()
            window, store = session.window, session.store
            assert window is not None
            assert store is not None
            bar = window.watchlist_bar
            directory = bar.directory
            assert directory is not None  # the demo account's asset list decides at once
            await until(lambda: directory.assets is not None, "asset list loaded")
            assets = directory.assets
            assert assets is not None
            assert "COIN" not in assets  # not in the simulator's universe at start
            field = bar.add_field
            qtbot.keyClicks(field, "COIN, PLTR, RIVN")
            field.hide_popup()
            qtbot.keyClick(field, Qt.Key.Key_Return)
            await until(lambda: not bar.busy, "symbol check")
            assert window.symbols() == ["AAPL", "COIN", "PLTR", "RIVN"], bar.message.text()
            assert bar.message.text() == "Added COIN, PLTR, RIVN"
            await until(lambda: all(_priced(store, s) for s in ("COIN", "PLTR", "RIVN")),
                        "COIN, PLTR and RIVN stream")  # fmt: skip
            # A pasted list with one refused ticker: the good ones go in, the bad one is
            # named and left in the field (ZZZ… is the simulator's unlisted block).
            field.setText("HOOD\nZZZZQ\nSOFI")
            qtbot.keyClick(field, Qt.Key.Key_Return)
            await until(lambda: not bar.busy, "symbol check")
            assert window.symbols()[-2:] == ["HOOD", "SOFI"]
            assert "ZZZZQ" not in window.symbols()
            text = bar.message.text()
            assert text.startswith("Added HOOD, SOFI · not added — unknown symbol: ZZZZQ"), text
            assert field.text() == "ZZZZQ"
        finally:
            await session.close()

    qloop.run_until_complete(scenario())


def _priced(store: Any, symbol: str) -> bool:
    snap = store.get(symbol)
    return snap is not None and snap.last_price is not None and snap.bid_price is not None
