"""Symbol parsing, credential resolution and URL safety (engine/config.py)."""

from __future__ import annotations

import pytest

from engine.config import (
    KEYRING_SERVICE,
    Credentials,
    InvalidSymbol,
    check_url_security,
    credentials_from_env,
    credentials_from_keyring,
    is_loopback_host,
    normalise_symbol,
    parse_symbols,
    resolve_credentials,
    save_credentials,
    stream_url,
)
from tests.keyrings import MemoryKeyring


@pytest.mark.parametrize(
    ("text", "expected"),
    [("aapl", "AAPL"), (" MSFT ", "MSFT"), ("BRK.B", "BRK.B"), ("brk/b", "BRK.B"), ("F", "F")],
)
def test_normalise_accepts_and_upper_cases(text: str, expected: str) -> None:
    assert normalise_symbol(text) == expected


@pytest.mark.parametrize(
    ("text", "reason_part"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("A" * 200, "too long"),
        ("ÄPFEL", "only the letters"),
        ("AAPL1", "digits"),
        ("BRK..B", "share class"),
        ("DROP;", "only the letters"),
        ("<b>X", "only the letters"),
        ("TOOLONG", "1-5 letters"),
    ],
)
def test_normalise_refuses_with_a_reason(text: str, reason_part: str) -> None:
    with pytest.raises(InvalidSymbol) as info:
        normalise_symbol(text)
    assert reason_part in info.value.reason
    assert len(info.value.text) <= 20  # a 200-character paste is not echoed whole


def test_parse_symbols_splits_dedupes_and_reports() -> None:
    result = parse_symbols("aapl, msft\nAAPL;tsla  123 brk/b")
    assert result.valid == ["AAPL", "MSFT", "TSLA", "BRK.B"]
    assert [text for text, _ in result.invalid] == ["123"]


def test_parse_symbols_limits_a_huge_paste() -> None:
    letters = [chr(65 + i) for i in range(26)]
    names = [a + b + c for a in letters for b in letters for c in letters][:1000]
    result = parse_symbols(",".join(names), limit=300)
    assert len(result.valid) == 300
    assert result.truncated == 700


def test_credentials_repr_hides_secret() -> None:
    creds = Credentials("AKEXAMPLE1234", "s3cr3t-value")
    for text in (repr(creds), str(creds), f"{creds}", repr([creds])):
        assert "s3cr3t-value" not in text
    assert creds.masked_key_id.endswith("1234")
    assert "AKEX" not in creds.masked_key_id


def test_env_credentials_prefer_apca_names() -> None:
    env = {
        "APCA_API_KEY_ID": "K1",
        "APCA_API_SECRET_KEY": "S1",
        "ALPACA_API_KEY": "K2",
        "ALPACA_API_SECRET": "S2",
    }
    assert credentials_from_env(env) == Credentials("K1", "S1")
    assert credentials_from_env({"ALPACA_API_KEY": "K2", "ALPACA_API_SECRET": "S2"}) == Credentials(
        "K2", "S2"
    )
    # Half a pair is no pair.
    assert credentials_from_env({"APCA_API_KEY_ID": "K1"}) is None


def test_resolve_without_anything_is_none() -> None:
    assert resolve_credentials({}, use_keyring=False) == (None, "none")
    creds, origin = resolve_credentials({"APCA_API_KEY_ID": "K", "APCA_API_SECRET_KEY": "S"})
    assert origin == "environment"
    assert creds == Credentials("K", "S")


@pytest.mark.parametrize(
    ("url", "insecure", "ok"),
    [
        ("wss://stream.data.alpaca.markets", False, True),
        ("ws://127.0.0.1:8765", False, True),
        ("ws://localhost:1", False, True),
        ("ws://[::1]:1", False, True),
        ("ws://127.9.9.9:1", False, True),
        ("ws://example.com", False, False),
        ("ws://10.0.0.5:80", False, False),
        ("ws://example.com", True, True),
        ("http://example.com", False, False),
        ("ftp://example.com", True, False),
    ],
)
def test_url_security(url: str, insecure: bool, ok: bool) -> None:
    assert (check_url_security(url, insecure) is None) is ok


def test_loopback_and_stream_url() -> None:
    assert is_loopback_host("127.0.0.1")
    assert not is_loopback_host("192.168.1.1")
    assert stream_url("ws://127.0.0.1:9/", "iex") == "ws://127.0.0.1:9/v2/iex"
    assert stream_url("wss://h", "v1beta1/boats") == "wss://h/v1beta1/boats"


def test_saving_a_new_key_pair_removes_the_previous_secret(memory_keyring: MemoryKeyring) -> None:
    """Issue 12, #16: a rotated secret must not stay stored in the keyring."""
    assert save_credentials(Credentials("OLDKEY", "old-secret"))
    assert credentials_from_keyring() == Credentials("OLDKEY", "old-secret")
    assert save_credentials(Credentials("NEWKEY", "new-secret"))
    assert credentials_from_keyring() == Credentials("NEWKEY", "new-secret")
    stored = set(memory_keyring.entries.values())
    assert "old-secret" not in stored
    assert memory_keyring.entries == {
        (KEYRING_SERVICE, "NEWKEY"): "new-secret",
        (KEYRING_SERVICE, "__key_id__"): "NEWKEY",
    }


def test_saving_a_new_secret_for_the_same_key_replaces_it(memory_keyring: MemoryKeyring) -> None:
    assert save_credentials(Credentials("KEY", "first"))
    assert save_credentials(Credentials("KEY", "second"))
    assert memory_keyring.entries == {
        (KEYRING_SERVICE, "KEY"): "second",
        (KEYRING_SERVICE, "__key_id__"): "KEY",
    }


def test_a_previous_entry_already_gone_is_fine(memory_keyring: MemoryKeyring) -> None:
    assert save_credentials(Credentials("OLDKEY", "old-secret"))
    del memory_keyring.entries[(KEYRING_SERVICE, "OLDKEY")]  # removed by another tool
    assert save_credentials(Credentials("NEWKEY", "new-secret"))
    assert credentials_from_keyring() == Credentials("NEWKEY", "new-secret")
