"""`AlpacaSession.set_extra`: other programs' symbols ride the same connection (docs/gateway.md).

The wanted set is the watched symbols on the session's channels plus the extra subscription,
per channel; removals and additions go out as one diff like any other change.
"""

from __future__ import annotations

from engine.events import Subscription
from tests.engine.protocol.test_session import WELCOME, driven, error, reply, streaming


def test_extra_symbols_are_subscribed_on_their_own_channels_only() -> None:
    peer = driven(symbols=("AAPL",), channels=("trades", "quotes"))
    streaming(peer)
    peer.session.set_extra(Subscription(trades=frozenset({"TSLA"}), bars=frozenset({"AAPL"})))
    assert peer.sent() == [{"action": "subscribe", "trades": ["TSLA"], "bars": ["AAPL"]}]
    peer.says(reply(trades=["AAPL", "TSLA"], quotes=["AAPL"], bars=["AAPL"]))
    assert peer.session.ready
    wanted = peer.session.wanted
    assert wanted.trades == {"AAPL", "TSLA"}
    assert wanted.quotes == {"AAPL"}
    assert wanted.bars == {"AAPL"}


def test_a_symbol_both_watch_and_extra_want_stays_until_neither_does() -> None:
    peer = driven(symbols=("AAPL", "MSFT"), channels=("trades", "quotes"))
    streaming(peer)
    both = frozenset({"MSFT"})
    peer.session.set_extra(Subscription(trades=both, quotes=both))
    assert peer.sent() == []  # already streaming for the watchlist: nothing to ask
    peer.session.set_wanted(["AAPL"])  # the watchlist drops MSFT; the extra keeps it
    assert peer.sent() == []
    peer.session.set_extra(Subscription())
    assert peer.sent() == [{"action": "unsubscribe", "trades": ["MSFT"], "quotes": ["MSFT"]}]


def test_extra_survives_a_new_connection() -> None:
    peer = driven(symbols=("AAPL",), channels=("trades",))
    peer.session.set_extra(Subscription(quotes=frozenset({"SPY"})))
    assert peer.sent() == []  # not authenticated yet
    assert [f["action"] for f in peer.says(WELCOME)] == ["auth"]
    (subscribe,) = peer.says({"T": "success", "msg": "authenticated"})
    assert subscribe == {"action": "subscribe", "trades": ["AAPL"], "quotes": ["SPY"]}


def test_after_a_410_fallback_extra_loses_the_refused_channels_too() -> None:
    peer = driven(symbols=("AAPL",), channels=("trades", "quotes", "statuses"))
    peer.session.set_extra(Subscription(lulds=frozenset({"TSLA"}), trades=frozenset({"TSLA"})))
    peer.says(WELCOME)
    (first,) = peer.says({"T": "success", "msg": "authenticated"})
    assert first["lulds"] == ["TSLA"]
    (retry,) = peer.says(error(410))
    assert retry == {"action": "subscribe", "trades": ["AAPL", "TSLA"], "quotes": ["AAPL"]}
