"""AppSettings: every setter lands on disk at once; the secret never does."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QByteArray
from PySide6.QtWidgets import QApplication

from gui.settings.persistence import FLUSH_MS_DEFAULT, FLUSH_MS_RANGE, AppSettings


def test_defaults_when_file_is_new(qapp: QApplication, tmp_path: Path) -> None:
    settings = AppSettings(tmp_path / "sub" / "t.ini")
    assert settings.watchlist() is None
    assert settings.header_state() is None
    assert settings.hidden_columns() is None
    assert settings.sort() is None
    assert settings.geometry() is None
    assert settings.feed() == "iex"
    assert settings.encoding() == "json"
    assert settings.flush_ms() == FLUSH_MS_DEFAULT


def test_values_survive_a_new_instance_without_explicit_sync(
    qapp: QApplication, tmp_path: Path
) -> None:
    path = tmp_path / "t.ini"
    first = AppSettings(path)
    first.set_watchlist(["AAPL", "BRK.B", "MSFT"])
    first.set_hidden_columns(["vwap"])
    first.set_sort(3, True)
    first.set_feed("sip")
    first.set_encoding("msgpack")
    first.set_flush_ms(120)
    first.set_header_state(QByteArray(b"\x00\x01header"))
    # Written when changed: the file already holds it, before any shutdown.
    text = path.read_text()
    assert "BRK.B" in text
    assert "sip" in text
    second = AppSettings(path)
    assert second.watchlist() == ["AAPL", "BRK.B", "MSFT"]
    assert second.hidden_columns() == ["vwap"]
    assert second.sort() == (3, True)
    assert second.feed() == "sip"
    assert second.encoding() == "msgpack"
    assert second.flush_ms() == 120
    state = second.header_state()
    assert state is not None
    assert bytes(state.data()) == b"\x00\x01header"


def test_single_and_empty_lists_round_trip(qapp: QApplication, tmp_path: Path) -> None:
    path = tmp_path / "t.ini"
    AppSettings(path).set_watchlist(["SPY"])
    assert AppSettings(path).watchlist() == ["SPY"]
    AppSettings(path).set_watchlist([])
    assert AppSettings(path).watchlist() == []


def test_bad_values_fall_back_to_defaults(qapp: QApplication, tmp_path: Path) -> None:
    path = tmp_path / "t.ini"
    path.write_text("[stream]\nflush_ms=fast\nfeed=\n[table]\nsort_column=abc\n")
    settings = AppSettings(path)
    assert settings.flush_ms() == FLUSH_MS_DEFAULT
    assert settings.feed() == "iex"
    assert settings.sort() is None
    settings.set_flush_ms(100_000)
    assert settings.flush_ms() == FLUSH_MS_RANGE[1]


def test_unsorted_is_stored_as_none(qapp: QApplication, tmp_path: Path) -> None:
    settings = AppSettings(tmp_path / "t.ini")
    settings.set_sort(2, False)
    settings.set_sort(-1, False)
    assert settings.sort() is None


def test_settings_env_variable_redirects_default_path(
    qapp: QApplication, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TICKERDESK_SETTINGS", str(tmp_path / "env.ini"))
    settings = AppSettings()
    settings.set_feed("test")
    assert (tmp_path / "env.ini").exists()
    assert settings.status_ok()


def test_plan_round_trip_and_bad_value(qapp: QApplication, tmp_path: Path) -> None:
    from engine.plan import MarketDataPlan, PlanLimit

    path = tmp_path / "plan.ini"
    settings = AppSettings(path)
    assert settings.plan() is None  # never chosen: the feed decides
    settings.set_plan(PlanLimit(MarketDataPlan.CUSTOM, 12))
    assert AppSettings(path).plan() == PlanLimit(MarketDataPlan.CUSTOM, 12)
    settings.set_plan(PlanLimit(MarketDataPlan.ALGO_TRADER_PLUS))
    assert AppSettings(path).plan() == PlanLimit(MarketDataPlan.ALGO_TRADER_PLUS)
    path.write_text(path.read_text().replace("algo_trader_plus", "platinum"))
    broken = AppSettings(path)
    assert broken.plan() is None
    assert broken.last_error is not None
    assert "unknown plan" in broken.last_error
