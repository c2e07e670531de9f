"""Local gateway credentials: generated once, kept private, never the Alpaca pair.

docs/gateway.md, "Credentials": a file only the user can read (0600 in a 0700 folder),
written atomically; a looser mode is tightened; a corrupt file is replaced with a message
in words; TICKERDESK_GATEWAY_KEY/_SECRET win over the file; the secret never shows.
"""

from __future__ import annotations

import json
import logging
import os
import re
import stat
from pathlib import Path

import pytest

from engine.config import Credentials
from engine.gateway import credentials as gwc
from engine.gateway.credentials import (
    ENV_KEY,
    ENV_SECRET,
    LocalCredentials,
    default_path,
    from_env,
    generate,
    load_or_create,
    regenerate,
    resolve,
)

posix_only = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_generated_key_has_the_prefix_and_the_secret_is_long_and_fresh() -> None:
    first, second = generate(), generate()
    assert re.fullmatch(r"TDGW[0-9A-F]{16}", first.key_id)
    assert len(first.secret) >= 40  # token_urlsafe(32): 256 bits
    assert first.key_id != second.key_id
    assert first.secret != second.secret


def test_repr_and_str_hide_the_secret() -> None:
    creds = LocalCredentials("TDGWKEY", "very-secret-value")
    for text in (repr(creds), str(creds), f"{creds}", repr([creds])):
        assert "very-secret-value" not in text
        assert "TDGWKEY" in text


def test_matches_needs_both_halves() -> None:
    creds = LocalCredentials("TDGWKEY", "s3cret")
    assert creds.matches("TDGWKEY", "s3cret")
    assert not creds.matches("TDGWKEY", "wrong")
    assert not creds.matches("OTHER", "s3cret")
    assert not creds.matches("", "")


def test_default_path_honours_xdg_config_home(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert default_path() == tmp_path / "tickerdesk" / "gateway-credentials.json"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_path() == tmp_path / "home" / ".config" / "tickerdesk" / gwc.FILE_NAME


@posix_only
def test_created_once_with_private_modes_then_read_back(tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "tickerdesk" / "gateway-credentials.json"
    creds, where, created = load_or_create(path)
    assert created
    assert where == path
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700
    assert json.loads(path.read_text()) == {"key_id": creds.key_id, "secret": creds.secret}
    again, _, created_again = load_or_create(path)
    assert again == creds
    assert not created_again
    # Atomic write: no temporary file is left beside it.
    assert [p.name for p in path.parent.iterdir()] == [path.name]


@posix_only
def test_default_location_is_created_private(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    creds, path, created = load_or_create()
    assert created
    assert path == tmp_path / "tickerdesk" / gwc.FILE_NAME
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700
    assert load_or_create()[0] == creds


@posix_only
def test_a_file_readable_by_others_is_tightened_and_kept(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "creds.json"
    path.write_text(json.dumps({"key_id": "TDGWOLD", "secret": "old-secret"}))
    os.chmod(path, 0o644)
    before = gwc.file_stats.tightened
    with caplog.at_level(logging.WARNING, logger="engine.gateway.credentials"):
        creds, _, created = load_or_create(path)
    assert creds == LocalCredentials("TDGWOLD", "old-secret")
    assert not created
    assert mode(path) == 0o600
    assert gwc.file_stats.tightened == before + 1
    assert "readable by others" in caplog.text
    assert "old-secret" not in caplog.text


@posix_only
def test_the_apps_own_folder_is_tightened_but_a_chosen_folder_is_not(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    own = tmp_path / "tickerdesk"
    own.mkdir(mode=0o755)
    os.chmod(own, 0o755)
    load_or_create()
    assert mode(own) == 0o700
    chosen = tmp_path / "shared"
    chosen.mkdir()
    os.chmod(chosen, 0o755)
    load_or_create(chosen / "gw.json")
    assert mode(chosen) == 0o755  # a folder the user picked is theirs to set
    assert mode(chosen / "gw.json") == 0o600


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"\xff\xfe\x00garbage",
        b"[1, 2, 3]",
        b'{"key_id": "TDGW"}',
        b'{"key_id": "", "secret": "x"}',
        b'{"key_id": "has space", "secret": "x"}',
        b'{"key_id": 5, "secret": "x"}',
        b"",
    ],
)
def test_a_corrupt_file_is_replaced_with_a_message_in_words(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, content: bytes
) -> None:
    path = tmp_path / "creds.json"
    path.write_bytes(content)
    before = gwc.file_stats.replaced_bad
    with caplog.at_level(logging.WARNING, logger="engine.gateway.credentials"):
        creds, _, created = load_or_create(path)
    assert created
    assert creds.key_id.startswith("TDGW")
    assert gwc.file_stats.replaced_bad == before + 1
    assert "new local credentials generated" in caplog.text
    assert str(path) in caplog.text
    assert creds.secret not in caplog.text
    assert load_or_create(path)[0] == creds  # the replacement is a good file


def test_an_oversized_file_is_not_read_into_memory(tmp_path: Path) -> None:
    path = tmp_path / "creds.json"
    path.write_bytes(b" " * 100_000 + b'{"key_id": "TDGWX", "secret": "y"}')
    creds, _, created = load_or_create(path)
    assert created
    assert creds.key_id != "TDGWX"


@posix_only
def test_a_symlink_is_replaced_never_followed(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text(json.dumps({"key_id": "TDGWPLANTED", "secret": "known"}))
    link = tmp_path / "creds.json"
    link.symlink_to(elsewhere)
    creds, _, created = load_or_create(link)
    assert created
    assert creds.key_id != "TDGWPLANTED"
    assert not link.is_symlink()
    assert json.loads(elsewhere.read_text())["key_id"] == "TDGWPLANTED"  # untouched


@posix_only
def test_regenerate_replaces_the_stored_pair(tmp_path: Path) -> None:
    path = tmp_path / "creds.json"
    old, _, _ = load_or_create(path)
    new = regenerate(path)
    assert new != old
    assert load_or_create(path)[0] == new
    assert mode(path) == 0o600


def test_from_env_both_neither_or_one() -> None:
    assert from_env({}) is None
    assert from_env({ENV_KEY: " ", ENV_SECRET: ""}) is None
    assert from_env({ENV_KEY: "mykey", ENV_SECRET: "mysecret"}) == LocalCredentials(
        "mykey", "mysecret"
    )
    with pytest.raises(ValueError, match="TICKERDESK_GATEWAY_SECRET is not"):
        from_env({ENV_KEY: "mykey"})
    with pytest.raises(ValueError, match="TICKERDESK_GATEWAY_KEY is not"):
        from_env({ENV_SECRET: "mysecret"})


def test_from_env_refuses_a_secret_with_spaces_without_naming_it() -> None:
    with pytest.raises(ValueError, match="secret must be") as info:
        from_env({ENV_KEY: "k", ENV_SECRET: "two words"})
    assert "two words" not in str(info.value)


def test_resolve_prefers_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "creds.json"
    creds, where = resolve({ENV_KEY: "envkey", ENV_SECRET: "envsecret"}, path, alpaca=None)
    assert creds == LocalCredentials("envkey", "envsecret")
    assert where == "from TICKERDESK_GATEWAY_KEY"
    assert not path.exists()  # nothing stored when the environment gives the pair


def test_resolve_says_where_the_file_is_and_whether_it_is_new(tmp_path: Path) -> None:
    path = tmp_path / "creds.json"
    first, where = resolve({}, path, alpaca=Credentials("PKALPACA", "alpaca-secret"))
    assert where == f"stored in {path} (mode 0600, new)"
    again, where_again = resolve({}, path, alpaca=None)
    assert again == first
    assert where_again == f"stored in {path} (mode 0600)"


@pytest.mark.parametrize(
    ("key", "secret"),
    [
        ("PKALPACA", "local-secret"),  # the Alpaca key id as the local key
        ("localkey", "alpaca-secret"),  # the Alpaca secret as the local secret
        ("alpaca-secret", "local-secret"),  # the Alpaca secret as the local key
        ("localkey", "PKALPACA"),
    ],
)
def test_resolve_refuses_the_alpaca_pair_as_local_credentials(
    tmp_path: Path, key: str, secret: str
) -> None:
    alpaca = Credentials("PKALPACA", "alpaca-secret")
    with pytest.raises(ValueError, match="repeat the Alpaca key id or secret") as info:
        resolve({ENV_KEY: key, ENV_SECRET: secret}, tmp_path / "c.json", alpaca=alpaca)
    assert "alpaca-secret" not in str(info.value)
    assert "local-secret" not in str(info.value)


def test_resolve_refuses_a_stored_file_holding_the_alpaca_secret(tmp_path: Path) -> None:
    path = tmp_path / "creds.json"
    path.write_text(json.dumps({"key_id": "TDGWLOCAL", "secret": "alpaca-secret"}))
    os.chmod(path, 0o600)
    with pytest.raises(ValueError, match=f"delete {re.escape(str(path))}") as info:
        resolve({}, path, alpaca=Credentials("PKALPACA", "alpaca-secret"))
    assert "alpaca-secret" not in str(info.value)
