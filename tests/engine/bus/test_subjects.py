"""Subjects, control bodies and bus options, pure (engine.bus.subjects, engine.bus.options):
bad input is refused in words, never crashes."""

from __future__ import annotations

import pytest

from engine.bus.options import BusOptions
from engine.bus.subjects import (
    ControlError,
    Heartbeat,
    SubscribeRequest,
    data_wildcard,
    decode_heartbeat,
    decode_reply,
    decode_request,
    encode_heartbeat,
    encode_reply,
    encode_request,
    owner_subject,
    stream_name,
    subject,
    subject_symbol,
    subscribe_subject,
    symbol_subjects,
)
from engine.protocol.subscription import for_symbols


def test_subject_names() -> None:
    assert subject("iex", "trades", "AAPL") == "alpaca.iex.trades.AAPL"
    assert subject("sip", "quotes", "BRK.B") == "alpaca.sip.quotes.BRK_B"
    assert subject_symbol("alpaca.sip.quotes.BRK_B") == "BRK.B"
    assert subject_symbol("tickerdesk.iex.owner") is None
    assert data_wildcard("iex", "MSFT") == "alpaca.iex.*.MSFT"
    assert subscribe_subject("iex") == "tickerdesk.iex.subscribe"
    assert owner_subject("iex") == "tickerdesk.iex.owner"
    assert stream_name("delayed_sip") == "TICKERDESK_DELAYED_SIP"
    assert symbol_subjects("iex", "AAPL")[-2:] == [
        "alpaca.iex.trades.AAPL",
        "alpaca.iex.quotes.AAPL",
    ]


@pytest.mark.parametrize("symbol", ["*", ">", "A B", "aapl", "AAPL.>", "", "A" * 30])
def test_a_symbol_no_subject_can_carry_is_refused(symbol: str) -> None:
    with pytest.raises(ControlError, match="not a stock symbol"):
        subject("iex", "trades", symbol)


def test_requests_round_trip_and_bad_ones_are_refused_in_words() -> None:
    request = SubscribeRequest("host-1-ab", ("AAPL", "BRK.B"), ("trades", "quotes"))
    assert decode_request(encode_request(request)) == request
    assert request.subscription() == for_symbols(("AAPL", "BRK.B"), ("trades", "quotes"))
    release = SubscribeRequest("host-1-ab", release=True)
    assert decode_request(encode_request(release)).release
    bad = {
        b"{nope": "not JSON",
        b"[1]": "not a JSON object",
        b'{"symbols":[]}': "'instance'",
        b'{"instance":"a b"}': "'instance'",
        b'{"instance":"x","symbols":"AAPL"}': "list of strings",
        b'{"instance":"x","symbols":["*"]}': "wildcard",
        b'{"instance":"x","symbols":["AAPL"],"channels":["orders"]}': "unknown channel",
        b'{"instance":"x","symbols":["aapl"]}': "not a stock symbol",
        b"\xff\xfe": "not JSON",
        b" " * 300_000: "over",
    }
    for data, words in bad.items():
        with pytest.raises(ControlError, match=words):
            decode_request(data)
    many = encode_request(SubscribeRequest("x", tuple(f"A{i}" for i in range(10_001))))
    with pytest.raises(ControlError, match="over 10000"):
        decode_request(many)


def test_replies_and_heartbeats() -> None:
    assert decode_reply(encode_reply(None)) == (None, "")
    assert encode_reply(405, "symbol limit exceeded") == (
        b'{"error": 405, "msg": "symbol limit exceeded"}'
    )
    assert decode_reply(encode_reply(405, "symbol limit exceeded")) == (
        405,
        "symbol limit exceeded",
    )
    assert decode_reply(b'{"error":"x"}') == (500, "unreadable reply")
    beat = Heartbeat("owner-1", "streaming", 12)
    assert decode_heartbeat(encode_heartbeat(beat)) == beat
    with pytest.raises(ControlError, match="heartbeat"):
        decode_heartbeat(b'{"state":"streaming"}')


def test_bus_options_are_checked_in_words() -> None:
    secret = "s3cret-pw"
    assert BusOptions("nats://127.0.0.1:4222").problem() is None
    assert "nats:// or tls://" in (BusOptions("http://host:4222").problem() or "")
    assert "no credentials in the bus URL" in (
        BusOptions(f"nats://u:{secret}@host:4222").problem() or ""
    )
    assert "no --bus-user" in (BusOptions("nats://127.0.0.1", password=secret).problem() or "")
    remote = BusOptions("nats://10.1.2.3:4222", user="u", password=secret)
    assert "unencrypted" in (remote.problem() or "")
    assert BusOptions("tls://10.1.2.3:4222", user="u", password=secret).problem() is None
    assert BusOptions("nats://10.1.2.3:4222").problem() is None  # no secret to leak
    assert "no such file" in (BusOptions("tls://h:1", ca_file="/nonexistent.pem").problem() or "")
    options = BusOptions.from_env("nats://h:4222", {"TICKERDESK_BUS_PASSWORD": secret}, user="desk")
    assert options.password == secret
    assert secret not in repr(options)
    assert BusOptions.from_env("nats://h:4222", {"TICKERDESK_BUS_TOKEN": secret}).token == secret
    assert BusOptions("tls://h:1").ssl_context() is not None
    assert BusOptions("nats://h:1").ssl_context() is None
