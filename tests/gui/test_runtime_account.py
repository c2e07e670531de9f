"""Which Trading API the app opens (gui.runtime_account.endpoint): Alpaca's paper or live
by the key or the Settings choice, the server of the user's own `--url`/`--rest-url`
(e.g. tickerdesk-sim, with the demo key when none is given), or none."""

from __future__ import annotations

from pathlib import Path

from engine.account.client import LIVE_TRADING_URL, PAPER_TRADING_URL
from engine.config import LIVE_REST_URL, Credentials
from engine.protocol.session import DEMO_AUTH
from gui.runtime_account import endpoint
from gui.settings.persistence import AppSettings

PAPER_KEY = Credentials("PKTEST", "s")
LIVE_KEY = Credentials("AKTEST", "s")


def test_alpaca_by_the_key_or_the_choice(tmp_path: Path) -> None:
    settings = AppSettings(tmp_path / "a.ini")
    paper = endpoint(settings, PAPER_KEY, None, LIVE_REST_URL)
    assert paper is not None
    assert (paper.rest_url, paper.paper) == (PAPER_TRADING_URL, True)
    assert paper.stream_url == "wss://paper-api.alpaca.markets/stream"
    live = endpoint(settings, LIVE_KEY, None, LIVE_REST_URL)
    assert live is not None
    assert (live.rest_url, live.paper) == (LIVE_TRADING_URL, False)
    assert endpoint(settings, None, None, LIVE_REST_URL) is None  # no key, no account
    settings.set_trading_api("paper")
    chosen = endpoint(settings, LIVE_KEY, None, LIVE_REST_URL)
    assert chosen is not None
    assert chosen.paper  # the user's choice wins (a live key then fails in words)
    settings.set_trading_api("off")
    assert endpoint(settings, PAPER_KEY, None, LIVE_REST_URL) is None


def test_a_server_of_the_users_own_serves_its_trading_api(tmp_path: Path) -> None:
    settings = AppSettings(tmp_path / "b.ini")
    own = endpoint(settings, None, None, "http://127.0.0.1:8765", "ws://127.0.0.1:8765")
    assert own is not None
    assert own.rest_url == "http://127.0.0.1:8765"
    assert own.stream_url == "ws://127.0.0.1:8765/stream"
    assert own.paper
    assert own.credentials == Credentials(*DEMO_AUTH)
    assert not own.demo  # not the built-in simulator
    keyed = endpoint(settings, PAPER_KEY, None, "http://127.0.0.1:8765", "ws://127.0.0.1:8765/")
    assert keyed is not None
    assert keyed.credentials == PAPER_KEY
    assert keyed.stream_url == "ws://127.0.0.1:8765/stream"
