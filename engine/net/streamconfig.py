"""The stream client's settings, and the client's words about them for the status bar.

`StreamConfig` says where and how to connect. `describe_change` says why a settings
change closes the connection ("switching to feed sip", "new credentials"): such a close
is a deliberate reconnect, neither an error nor a counted reconnect. `refused_symbols`
names what a refused subscribe asked for. `engine.net.stream` re-exports the config names.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field, replace

from engine.config import DEFAULT_FEED, LIVE_STREAM_URL, Credentials, stream_url
from engine.net.retry import BackoffPolicy
from engine.net.tls import TlsConfigError, client_context
from engine.protocol import Encoding
from engine.protocol.session import Refusal
from engine.protocol.subscription import DEFAULT_CHANNELS

__all__ = [
    "ConfigError",
    "StreamConfig",
    "describe_change",
    "refused_symbols",
    "tls_context",
    "with_credentials",
]

_REFUSED_SHOWN = 5  # symbols named in a 405 message; the rest are counted


class ConfigError(ValueError):
    """A stream configuration that must not be used (e.g. ws:// to a remote host)."""


@dataclass(frozen=True, slots=True)
class StreamConfig:
    """Where and how to connect. `credentials` is None only for an open simulator."""

    url: str = LIVE_STREAM_URL
    feed: str = DEFAULT_FEED.value
    encoding: Encoding = Encoding.JSON
    credentials: Credentials | None = None
    compression: bool = False
    insecure: bool = False
    channels: tuple[str, ...] = DEFAULT_CHANNELS
    ping_interval: float = 10.0
    ping_timeout: float = 10.0
    open_timeout: float = 10.0
    close_timeout: float = 2.0
    backoff: BackoffPolicy = field(default_factory=BackoffPolicy)
    # A PEM file of CAs to trust besides the system's (a test server's private CA);
    # verification itself is never off (engine.net.tls, docs/reliability.md "TLS").
    ca_file: str | None = None

    @property
    def endpoint(self) -> str:
        return stream_url(self.url, self.feed)


def tls_context(config: StreamConfig) -> ssl.SSLContext | None:
    """The verifying context that also trusts `config.ca_file` (None: none given);
    an unusable CA file is a ConfigError in words (engine.net.tls)."""
    try:
        return client_context(config.ca_file)
    except TlsConfigError as exc:
        raise ConfigError(str(exc)) from None


def with_credentials(config: StreamConfig, creds: Credentials | None) -> StreamConfig:
    """A copy of `config` with other credentials."""
    return replace(config, credentials=creds)


def describe_change(old: StreamConfig, new: StreamConfig) -> str:
    """Why a reconnect for `new` happens, in words (never naming a secret)."""
    parts: list[str] = []
    if new.feed != old.feed:
        parts.append(f"switching to feed {new.feed}")
    if new.url != old.url:
        parts.append("new server address")
    if new.credentials != old.credentials:
        parts.append("new credentials" if new.credentials is not None else "no credentials")
    if new.encoding != old.encoding:
        parts.append(f"switching to {new.encoding.value} frames")
    if new.ca_file != old.ca_file:
        parts.append("new trusted CA file" if new.ca_file else "system CAs only")
    if not parts:
        parts.append("new connection settings")
    return ", ".join(parts)


def refused_symbols(refusal: Refusal) -> str:
    """`AAPL, MSFT, ... (+26 more)`: which symbols the refused request named."""
    names = sorted(refusal.request.channels.all_symbols())
    shown = ", ".join(names[:_REFUSED_SHOWN])
    more = len(names) - _REFUSED_SHOWN
    return f"{refusal.request.action} {shown}" + (f" (+{more} more)" if more > 0 else "")
