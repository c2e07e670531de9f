"""The client's TLS settings: certificate verification is always on.

Tickerdesk never turns verification off and has no option to. A server with a
certificate from a private CA (the simulator in a test, a lab server) is trusted only
through an explicit setting, a CA file (`StreamConfig.ca_file`, `RestConfig.ca_file`,
`--ca-file`, Settings > "Trust CA file (test servers)"): the context verifies against that
CA and the system's CAs, with host name checking on (docs/reliability.md, "TLS").

The context is built once per configuration, never per connection: reading the file is
blocking I/O, and a configuration with an unusable file is refused at once, in words.

Without a CA file the REST clients (market data, account) share one default context
(`shared_default_context`), built at the first HTTPS-capable client, not at start-up and
not once per client: each build reads the whole CA bundle (~25-65 ms; docs/performance.md,
"Start-up, second round").
"""

from __future__ import annotations

import functools
import os
import ssl

__all__ = ["TlsConfigError", "client_context", "shared_default_context", "websocket_tls"]


class TlsConfigError(ValueError):
    """A CA file that cannot be used; the message says why in words."""


def client_context(ca_file: str | os.PathLike[str] | None) -> ssl.SSLContext | None:
    """A verifying context that also trusts `ca_file`'s CAs; None without a CA file (the
    library's own default context is used: the system's CAs, verification on)."""
    if ca_file is None or not os.fspath(ca_file):
        return None
    path = os.fspath(ca_file)
    try:
        # create_default_context: CERT_REQUIRED and check_hostname, as for any server.
        context = ssl.create_default_context(cafile=path)
    except FileNotFoundError:
        raise TlsConfigError(f"CA file not found: {path}") from None
    except IsADirectoryError:
        raise TlsConfigError(f"CA file is a folder, not a file: {path}") from None
    except PermissionError:
        raise TlsConfigError(f"CA file not readable (permission denied): {path}") from None
    except ssl.SSLError:
        raise TlsConfigError(f"CA file holds no PEM certificate: {path}") from None
    except OSError as exc:
        raise TlsConfigError(f"CA file not readable ({exc.strerror or 'error'}): {path}") from None
    # "Extra" trust: the system's CAs stay trusted too (the same setting still reaches
    # Alpaca). With a cafile, create_default_context loads only that file.
    context.load_default_certs()
    return context


@functools.cache
def shared_default_context() -> ssl.SSLContext:
    """The one verifying context of the REST clients without a CA file: httpx's own
    default (certifi's CAs, or SSL_CERT_FILE / SSL_CERT_DIR), the trust `verify=True`
    gave each client, built once for all of them. Verification and host name checking on."""
    from httpx import create_ssl_context

    return create_ssl_context(verify=True)


def websocket_tls(context: ssl.SSLContext | None, url: str) -> ssl.SSLContext | bool | None:
    """`websockets.connect`'s `ssl` argument: for wss:// the context, or True (websockets'
    default context: the system's CAs, verification on); for ws:// None (no TLS)."""
    if not url.startswith("wss://"):
        return None
    return context if context is not None else True
