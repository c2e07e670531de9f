"""The driven AlpacaSession as a conversation: server frames in, client frames out, no socket.

Each test plays the server by hand (docs/protocol.md, "Handshake" and "Errors") and reads
what the session queued with `data_to_send()`.
"""

from __future__ import annotations

import json
from typing import Any

import msgpack
import pytest

from engine.config import Credentials
from engine.events import Subscription
from engine.protocol import AlpacaSession, Encoding, HandshakeState
from engine.protocol.session import DEMO_AUTH, Refusal, Request
from engine.protocol.subscription import (
    DEFAULT_CHANNELS,
    diff,
    for_symbols,
    is_empty,
    symbol_count,
)

BOTH = pytest.mark.parametrize("encoding", [Encoding.JSON, Encoding.MSGPACK])
CREDS = Credentials("PKTESTKEY", "TOPSECRET-value")
WELCOME = {"T": "success", "msg": "connected"}
AUTHED = {"T": "success", "msg": "authenticated"}
ALL_WIRE_CHANNELS = ["trades", "quotes", "bars", "dailyBars", "statuses", "lulds"]


def to_wire(encoding: Encoding, *messages: dict[str, Any]) -> str | bytes:
    if encoding is Encoding.JSON:
        return json.dumps(list(messages))
    packed: bytes = msgpack.packb(list(messages))
    return packed


def read(data: str | bytes, encoding: Encoding) -> dict[str, Any]:
    if encoding is Encoding.JSON:
        assert isinstance(data, str)
        decoded: dict[str, Any] = json.loads(data)
    else:
        assert isinstance(data, bytes)
        decoded = msgpack.unpackb(data)
    return decoded


def error(code: int) -> dict[str, Any]:
    return {"T": "error", "code": code, "msg": f"error {code}"}


def reply(**channels: list[str]) -> dict[str, Any]:
    """A full subscription reply; corrections and cancelErrors follow trades."""
    trades = channels.get("trades", [])
    return {"T": "subscription", **channels, "corrections": trades, "cancelErrors": trades}


class Peer:
    """The server side of one connection, played by hand."""

    def __init__(self, session: AlpacaSession) -> None:
        self.session = session
        self.encoding = session.encoding

    def says(self, *messages: dict[str, Any]) -> list[dict[str, Any]]:
        """Deliver one server frame; return the client frames it caused, decoded."""
        self.session.receive(to_wire(self.encoding, *messages))
        return self.sent()

    def sent(self) -> list[dict[str, Any]]:
        return [read(data, self.encoding) for data in self.session.data_to_send()]


def driven(
    encoding: Encoding = Encoding.JSON,
    symbols: tuple[str, ...] = ("AAPL", "MSFT"),
    credentials: Credentials | None = CREDS,
    channels: tuple[str, ...] = DEFAULT_CHANNELS,
) -> Peer:
    session = AlpacaSession(
        encoding, drive=True, credentials=credentials, symbols=symbols, channels=channels
    )
    return Peer(session)


def streaming(peer: Peer) -> None:
    """Welcome, auth, subscribe and confirm everything asked: the usual start."""
    assert [f["action"] for f in peer.says(WELCOME)] == ["auth"]
    (subscribe,) = peer.says(AUTHED)
    peer.says(reply(**{k: v for k, v in subscribe.items() if k != "action"}))
    assert peer.session.ready


def state(session: AlpacaSession) -> HandshakeState:
    return session.state  # a call: mypy would keep an earlier assert's narrowing


# --- the handshake ---------------------------------------------------------------------


@BOTH
def test_welcome_auth_subscribe_confirm(encoding: Encoding) -> None:
    peer = driven(encoding)
    session = peer.session
    assert peer.sent() == []  # nothing before the server speaks
    assert peer.says(WELCOME) == [
        {"action": "auth", "key": "PKTESTKEY", "secret": "TOPSECRET-value"}
    ]
    assert state(session) is HandshakeState.AUTHENTICATING
    assert not session.ready

    frames = peer.says(AUTHED)
    expected = {"action": "subscribe"} | {ch: ["AAPL", "MSFT"] for ch in ALL_WIRE_CHANNELS}
    assert frames == [expected]
    assert session.subscription == Subscription()  # only the server's reply confirms
    assert [r.action for r in session.pending] == ["subscribe"]
    assert not session.ready

    confirmed = {ch: ["AAPL", "MSFT"] for ch in ALL_WIRE_CHANNELS}
    assert peer.says(reply(**confirmed)) == []
    assert state(session) is HandshakeState.SUBSCRIBED
    assert session.ready
    assert session.pending == ()
    assert session.subscription.trades == {"AAPL", "MSFT"}
    assert session.subscription.daily_bars == {"AAPL", "MSFT"}
    assert session.subscription.cancel_errors == {"AAPL", "MSFT"}


def test_no_credentials_sends_the_visible_demo_pair() -> None:
    peer = driven(credentials=None)
    assert peer.says(WELCOME) == [{"action": "auth", "key": DEMO_AUTH[0], "secret": DEMO_AUTH[1]}]


def test_nothing_wanted_is_ready_once_authenticated() -> None:
    peer = driven(symbols=())
    peer.says(WELCOME)
    assert peer.says(AUTHED) == []
    assert peer.session.ready
    assert state(peer.session) is HandshakeState.AUTHENTICATED


def test_wanted_before_authentication_waits_for_it() -> None:
    peer = driven(symbols=())
    peer.says(WELCOME)
    peer.session.set_wanted(["SPY"])
    assert peer.sent() == []  # not authenticated yet: a subscribe now would earn a 401
    (frame,) = peer.says(AUTHED)
    assert frame["action"] == "subscribe"
    assert frame["trades"] == ["SPY"]


def test_the_manual_session_queues_nothing() -> None:
    session = AlpacaSession(symbols=["AAPL"])
    peer = Peer(session)
    assert peer.says(WELCOME) == []
    assert state(session) is HandshakeState.CONNECTED
    session.auth("k", "s")
    assert peer.says(AUTHED) == []
    assert state(session) is HandshakeState.AUTHENTICATED


# --- changing what is wanted -----------------------------------------------------------


@BOTH
def test_a_change_of_wanted_sends_the_diff_per_channel(encoding: Encoding) -> None:
    peer = driven(encoding, channels=("trades", "quotes", "bars"))
    streaming(peer)
    peer.session.set_wanted(["AAPL", "NVDA"])
    assert peer.sent() == [
        {"action": "unsubscribe", "trades": ["MSFT"], "quotes": ["MSFT"], "bars": ["MSFT"]},
        {"action": "subscribe", "trades": ["NVDA"], "quotes": ["NVDA"], "bars": ["NVDA"]},
    ]
    assert [r.action for r in peer.session.pending] == ["unsubscribe", "subscribe"]
    peer.says(reply(trades=["AAPL"], quotes=["AAPL"], bars=["AAPL"]))
    assert not peer.session.ready  # the subscribe is still unanswered
    peer.says(reply(trades=["AAPL", "NVDA"], quotes=["AAPL", "NVDA"], bars=["AAPL", "NVDA"]))
    assert peer.session.ready
    assert peer.session.subscription.quotes == {"AAPL", "NVDA"}


def test_one_round_in_flight_then_the_latest_wanted() -> None:
    peer = driven(channels=("trades", "quotes"))
    streaming(peer)
    peer.session.set_wanted(["MSFT", "AAPL"])  # the same set: nothing to send
    assert peer.sent() == []
    peer.session.set_wanted(["AAPL", "MSFT", "SPY"])
    assert [f["action"] for f in peer.sent()] == ["subscribe"]
    # Two more changes while the round is unanswered: nothing goes out yet...
    peer.session.set_wanted(["AAPL", "MSFT", "SPY", "QQQ"])
    peer.session.set_wanted(["AAPL", "QQQ"])
    assert peer.sent() == []
    # ...and the answer brings one round for the latest wanted set, diffed against it.
    frames = peer.says(reply(trades=["AAPL", "MSFT", "SPY"], quotes=["AAPL", "MSFT", "SPY"]))
    assert frames == [
        {"action": "unsubscribe", "trades": ["MSFT", "SPY"], "quotes": ["MSFT", "SPY"]},
        {"action": "subscribe", "trades": ["QQQ"], "quotes": ["QQQ"]},
    ]


def test_a_narrower_answer_is_the_truth_not_a_reason_to_ask_again() -> None:
    # The test feed's short form: trades [] for FAKEPACA, no daily bars, statuses, lulds.
    peer = driven(symbols=("FAKEPACA",))
    peer.says(WELCOME)
    (asked,) = peer.says(AUTHED)
    assert asked["trades"] == ["FAKEPACA"]
    short = {"T": "subscription", "trades": [], "quotes": ["FAKEPACA"], "bars": ["FAKEPACA"]}
    assert peer.says(short) == []
    assert peer.session.ready
    assert peer.session.subscription.trades == frozenset()
    # More replies (or the same wanted again) still do not make it loop.
    assert peer.says(short) == []
    peer.session.set_wanted(["FAKEPACA"])
    assert peer.sent() == []
    # A real change is sent, diffed against what the server said it has.
    peer.session.set_wanted([])
    assert peer.sent() == [{"action": "unsubscribe", "quotes": ["FAKEPACA"], "bars": ["FAKEPACA"]}]


# --- errors ----------------------------------------------------------------------------


@BOTH
def test_405_keeps_the_subscription_and_a_smaller_wanted_set_is_sent(encoding: Encoding) -> None:
    peer = driven(encoding, channels=("trades", "quotes"))
    streaming(peer)
    before = peer.session.subscription
    many = [f"S{chr(65 + i // 26)}{chr(65 + i % 26)}" for i in range(31)]
    peer.session.set_wanted(["AAPL", "MSFT", *many])
    (asked,) = peer.sent()
    assert asked["action"] == "subscribe"
    assert peer.says(error(405)) == []  # refused as a whole; no reply follows
    session = peer.session
    assert session.subscription == before
    assert session.ready
    assert state(session) is HandshakeState.SUBSCRIBED  # usable, not stuck authenticating
    refusal = session.last_refusal
    assert refusal is not None
    assert refusal.code == 405
    assert refusal.request.action == "subscribe"
    assert refusal.request.channels.trades == frozenset(many)
    assert not refusal.fallback
    # The server answered: the same wanted set is not asked for again...
    peer.says(reply(trades=["AAPL", "MSFT"], quotes=["AAPL", "MSFT"]))
    assert peer.sent() == []
    # ...but the user removing symbols is.
    peer.session.set_wanted(many[:10])
    assert peer.sent() == [
        {"action": "unsubscribe", "trades": ["AAPL", "MSFT"], "quotes": ["AAPL", "MSFT"]},
        {"action": "subscribe", "trades": many[:10], "quotes": many[:10]},
    ]


def test_405_on_the_first_subscribe_leaves_the_session_authenticated_and_ready() -> None:
    peer = driven(symbols=("AAPL",), channels=("trades",))
    peer.says(WELCOME)
    peer.says(AUTHED)
    request = Request("subscribe", Subscription(trades=frozenset({"AAPL"})))
    assert peer.session.pending == (request,)
    peer.says(error(405))
    assert state(peer.session) is HandshakeState.AUTHENTICATED
    assert peer.session.ready
    assert peer.session.subscription == Subscription()
    refused = peer.session.last_error
    assert refused is not None
    assert peer.session.last_refusal == Refusal(refused, request)


@BOTH
def test_401_reauthenticates_then_resubscribes(encoding: Encoding) -> None:
    peer = driven(encoding, channels=("trades", "quotes"))
    peer.says(WELCOME)
    (asked,) = peer.says(AUTHED)
    assert peer.says(error(401)) == [
        {"action": "auth", "key": "PKTESTKEY", "secret": "TOPSECRET-value"}
    ]
    assert state(peer.session) is HandshakeState.AUTHENTICATING
    assert peer.session.pending == ()  # the 401 answered the request: it is void
    # A second 401 (for another request of the same round) does not auth twice.
    assert peer.says(error(401)) == []
    assert peer.says(AUTHED) == [asked]
    peer.says(reply(trades=["AAPL", "MSFT"], quotes=["AAPL", "MSFT"]))
    assert peer.session.ready


def test_401_after_streaming_resends_only_what_is_missing() -> None:
    peer = driven(channels=("trades", "quotes"))
    streaming(peer)
    peer.says(error(401))
    assert peer.says(AUTHED) == []  # everything wanted is confirmed already
    assert peer.session.ready


def test_403_while_authenticating_counts_as_authenticated() -> None:
    peer = driven(channels=("trades",))
    peer.says(WELCOME)
    assert peer.says(error(403)) == [{"action": "subscribe", "trades": ["AAPL", "MSFT"]}]


@BOTH
def test_410_drops_the_optional_channels_once(encoding: Encoding) -> None:
    peer = driven(encoding)
    peer.says(WELCOME)
    (first,) = peer.says(AUTHED)
    assert set(first) == {"action", *ALL_WIRE_CHANNELS}
    assert peer.says(error(410)) == [
        {"action": "subscribe", "trades": ["AAPL", "MSFT"], "quotes": ["AAPL", "MSFT"]}
    ]
    session = peer.session
    assert session.channels == ("trades", "quotes")
    refusal = session.last_refusal
    assert refusal is not None
    assert (refusal.code, refusal.fallback) == (410, True)
    assert not session.ready  # the retry is in flight
    # A second 410: nothing more to drop, no third try, and not stuck either.
    assert peer.says(error(410)) == []
    refusal = session.last_refusal
    assert refusal is not None
    assert (refusal.code, refusal.fallback) == (410, False)
    assert session.ready
    assert session.subscription == Subscription()


def test_400_answers_the_request_without_a_loop() -> None:
    peer = driven()
    peer.says(WELCOME)
    peer.says(AUTHED)
    assert peer.says(error(400)) == []
    assert peer.session.ready
    refusal = peer.session.last_refusal
    assert refusal is not None
    assert refusal.code == 400
    # An error with no request pending refuses nothing (and sends nothing).
    assert peer.says(error(405)) == []
    assert peer.session.last_refusal is refusal


@pytest.mark.parametrize("code", [402, 404, 406, 409])
def test_a_session_ending_error_queues_nothing_more(code: int) -> None:
    peer = driven()
    peer.says(WELCOME)
    peer.says(error(code))
    assert state(peer.session) is HandshakeState.FAILED
    assert peer.says(AUTHED) == []
    peer.session.set_wanted(["SPY"])
    assert peer.sent() == []


def test_a_closed_session_drops_what_was_queued_and_queues_nothing() -> None:
    peer = driven()
    peer.session.receive(to_wire(Encoding.JSON, WELCOME))
    peer.session.close()
    assert peer.sent() == []
    peer.session.set_wanted(["SPY"])
    assert peer.says(AUTHED) == []
    assert state(peer.session) is HandshakeState.CLOSED


@BOTH
def test_credentials_never_in_repr_even_with_the_auth_frame_queued(encoding: Encoding) -> None:
    session = AlpacaSession(encoding, drive=True, credentials=CREDS, symbols=["AAPL"])
    session.receive(to_wire(encoding, WELCOME))  # the auth frame is queued, not taken
    for text in (repr(session), str(session), str(vars(session))):
        assert "TOPSECRET" not in text
    assert "PKTESTKEY" not in repr(session)
    frames = session.data_to_send()
    assert len(frames) == 1
    assert read(frames[0], encoding)["secret"] == "TOPSECRET-value"


# --- the pure diff ---------------------------------------------------------------------


def test_diff_is_per_channel_and_ignores_what_follows_trades() -> None:
    wanted = for_symbols(["AAPL", "NVDA"], ("trades", "quotes"))
    confirmed = Subscription(
        trades=frozenset({"AAPL", "MSFT"}),
        bars=frozenset({"AAPL"}),
        corrections=frozenset({"AAPL", "MSFT"}),
        cancel_errors=frozenset({"AAPL", "MSFT"}),
    )
    add, remove = diff(wanted, confirmed)
    assert add == Subscription(trades=frozenset({"NVDA"}), quotes=frozenset({"AAPL", "NVDA"}))
    assert remove == Subscription(trades=frozenset({"MSFT"}), bars=frozenset({"AAPL"}))
    assert diff(wanted, wanted) == (Subscription(), Subscription())
    assert is_empty(Subscription(corrections=frozenset({"AAPL"})))
    assert symbol_count(confirmed) == 2


def test_for_symbols_names_only_the_given_channels() -> None:
    assert for_symbols([], DEFAULT_CHANNELS) == Subscription()
    sub = for_symbols(["SPY"], ("quotes", "lulds", "nonsense"))
    assert sub == Subscription(quotes=frozenset({"SPY"}), lulds=frozenset({"SPY"}))
