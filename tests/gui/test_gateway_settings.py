"""Issue 15, GUI side without a running gateway: the "Share connection" page, the saved
switch and port, the status-bar indicators and the command-line options.

The secret is masked until Reveal, Copy puts it on the clipboard without showing it, and
it never reaches the settings file (docs/gateway.md, "Credentials").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication, QLineEdit

from gui.app import build_parser, options_from_args
from gui.settings.dialog import SettingsDialog, StreamSettings
from gui.settings.gateway_page import MASK, GatewayPage, GatewayPageState, alpaca_py_line
from gui.settings.persistence import GATEWAY_PORT_DEFAULT, AppSettings
from gui.statusbar.gateway import BusIndicator, BusView, GatewayIndicator, GatewayView
from gui.statusbar.style import Level

SECRET = "s3cr3t-local-only-Zq9"
STATE = GatewayPageState(
    enabled=True, port=8767, key_id="TDGW0123456789ABCDEF", secret=SECRET,
    where="Local credentials stored in /x (mode 0600).", status="Serving 2 clients.",
)  # fmt: skip


def _page(qtbot: Any, state: GatewayPageState = STATE, **kwargs: Any) -> GatewayPage:
    page = GatewayPage(state, **kwargs)
    qtbot.addWidget(page)
    return page


def _shown_text(page: GatewayPage) -> str:
    """Every text the page shows on screen (what a screenshot would hold)."""
    texts = [label.text() for label in page.findChildren(type(page.url_label))]
    texts += [f.displayText() for f in page.findChildren(QLineEdit)]
    return "\n".join(texts)


def test_secret_is_masked_until_reveal(qtbot: Any) -> None:
    page = _page(qtbot)
    assert page.secret_field.echoMode() is QLineEdit.EchoMode.Password
    assert SECRET not in _shown_text(page)
    assert MASK in page.line_label.text()
    assert page.url_label.text() == "ws://127.0.0.1:8767/v2/iex"
    assert page.key_field.text() == "TDGW0123456789ABCDEF"

    page.reveal_button.setChecked(True)
    assert page.secret_field.echoMode() is QLineEdit.EchoMode.Normal
    assert page.line_label.text() == alpaca_py_line(STATE.key_id, SECRET, page.url())
    assert page.reveal_button.text() == "Hide"

    page.reveal_button.setChecked(False)
    assert SECRET not in _shown_text(page)


def test_copy_puts_the_secret_on_the_clipboard_without_showing_it(qtbot: Any) -> None:
    page = _page(qtbot)
    page.copy_button.click()
    assert QApplication.clipboard().text() == SECRET
    assert SECRET not in _shown_text(page)
    page.copy_line_button.click()
    assert QApplication.clipboard().text() == (
        f'StockDataStream("{STATE.key_id}", "{SECRET}", url_override="ws://127.0.0.1:8767/v2/iex")'
    )
    QApplication.clipboard().clear()


def test_port_change_moves_the_url_and_the_line(qtbot: Any) -> None:
    page = _page(qtbot)
    page.port_spin.setValue(9000)
    assert page.url_label.text() == "ws://127.0.0.1:9000/v2/iex"
    assert "ws://127.0.0.1:9000/v2/iex" in page.line_label.text()
    page.enabled_box.setChecked(False)
    assert page.values() == (False, 9000)


def test_new_credentials_shows_the_new_key(qtbot: Any) -> None:
    renewed = GatewayPageState(enabled=True, port=8767, key_id="TDGWNEW", secret="other")
    page = _page(qtbot, regenerate=lambda: renewed)
    page.new_button.click()
    assert page.key_field.text() == "TDGWNEW"
    assert "other" not in _shown_text(page)


def test_without_credentials_nothing_to_reveal_or_renew(qtbot: Any) -> None:
    page = _page(qtbot, GatewayPageState(enabled=False, port=8767, where="cannot read"))
    assert not page.reveal_button.isEnabled()
    assert not page.copy_button.isEnabled()
    assert not page.new_button.isEnabled()


def test_dialog_takes_the_page_as_a_tab(qtbot: Any) -> None:
    from engine.core.tasks import TaskSet

    dialog = SettingsDialog(StreamSettings(None, "iex", "json", 50), TaskSet())
    qtbot.addWidget(dialog)
    assert dialog.pages.tabBar().isHidden() or dialog.pages.count() == 1
    dialog.add_page("Share connection", GatewayPage(STATE, parent=dialog))
    assert [dialog.pages.tabText(i) for i in range(dialog.pages.count())] == [
        "Stream",
        "Share connection",
    ]


def test_switch_and_port_are_saved_never_the_secret(tmp_path: Path) -> None:
    path = tmp_path / "s.ini"
    settings = AppSettings(path)
    assert settings.gateway() == (False, GATEWAY_PORT_DEFAULT)  # off by default
    settings.set_gateway(True, 9123)
    assert AppSettings(path).gateway() == (True, 9123)
    text = path.read_text()
    assert "9123" in text
    assert SECRET not in text


@pytest.mark.parametrize("bad", ["0", "70000", "abc", "-5"])
def test_a_bad_saved_port_falls_back_with_a_message(tmp_path: Path, bad: str) -> None:
    path = tmp_path / "bad.ini"
    path.write_text(f"[share]\ngateway_enabled=true\ngateway_port={bad}\n")
    settings = AppSettings(path)
    assert settings.gateway() == (True, GATEWAY_PORT_DEFAULT)
    assert settings.last_error is not None
    assert "gateway port" in settings.last_error


def test_gateway_indicator_counts_clients_and_hides_when_off(qtbot: Any) -> None:
    view: list[GatewayView | None] = [None]
    label = GatewayIndicator(lambda: view[0])
    qtbot.addWidget(label)
    label.refresh()
    assert label.isHidden()
    report = [
        {"id": 1, "remote": "127.0.0.1:5000", "encoding": "json", "symbols": ["AAPL", "NVDA"],
         "pending": 3, "conflated": 12, "messages_out": 99},
    ]  # fmt: skip
    view[0] = GatewayView("ws://127.0.0.1:8767/v2/iex", 3, report, slow_closed=1)
    assert label.needs_refresh()
    label.refresh()
    assert not label.isHidden()
    assert label.text() == "gateway: 3 clients"
    tip = label.toolTip()
    assert "ws://127.0.0.1:8767/v2/iex" in tip
    assert "AAPL, NVDA" in tip
    assert "3 pending" in tip
    assert "12 conflated" in tip
    assert "1 slow clients closed" in tip
    assert not label.needs_refresh()
    view[0] = GatewayView("ws://127.0.0.1:8767/v2/iex", 1, simulated=True)
    label.refresh()
    assert label.text() == "gateway: 1 client · simulated"
    assert "simulated data" in label.toolTip()
    view[0] = GatewayView("ws://127.0.0.1:8767/v2/iex", error="port in use")
    label.refresh()
    assert label.text() == "gateway: not serving"
    assert label.level is Level.BAD


def test_bus_indicator(qtbot: Any) -> None:
    view: list[BusView | None] = [None]
    label = BusIndicator(lambda: view[0])
    qtbot.addWidget(label)
    label.refresh()
    assert label.isHidden()
    view[0] = BusView("nats://127.0.0.1:4222", "owner silent 6 s", Level.WARN)
    label.refresh()
    assert label.text() == "bus: nats://127.0.0.1:4222 · owner silent 6 s"
    assert label.level is Level.WARN


def test_command_line_options() -> None:
    args = build_parser().parse_args(
        ["--gateway", "0", "--gateway-host", "0.0.0.0", "--bus", "nats://h:4222",
         "--bus-user", "me", "--bus-ca", "/tmp/ca.pem"]
    )  # fmt: skip
    options = options_from_args(args)
    assert options.gateway_port == 0
    assert options.gateway_host == "0.0.0.0"
    assert options.bus_url == "nats://h:4222"
    assert options.bus_user == "me"
    assert options.bus_ca == Path("/tmp/ca.pem")
    plain = options_from_args(build_parser().parse_args([]))
    assert plain.gateway_port is None  # the saved switch decides
    assert plain.gateway_host == "127.0.0.1"  # loopback unless asked
    assert plain.bus_url is None


@pytest.mark.parametrize("bad", ["70000", "x", "-1"])
def test_bad_gateway_port_is_refused_in_words(bad: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--gateway", bad])
    assert "not a port number" in capsys.readouterr().err
