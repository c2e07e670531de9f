"""The simulator's TLS: wss:// and https:// on its one port from a certificate and key.

Tests make the certificates (a test CA, a server certificate for 127.0.0.1 and localhost,
expired, wrong-host and self-signed ones) and the client trusts the test CA through
its explicit CA-file setting, never by turning verification off (docs/reliability.md,
"TLS").
"""

from __future__ import annotations

import ssl

from engine.simulator.config import SimulatorConfig

__all__ = ["server_context"]


def server_context(config: SimulatorConfig) -> ssl.SSLContext | None:
    """A server context from `tls_cert`/`tls_key` (None: plain ws/http). Raises ValueError
    in words when the files cannot be used."""
    if config.tls_cert is None or config.tls_key is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(config.tls_cert, config.tls_key)
    except FileNotFoundError as exc:
        raise ValueError(f"TLS certificate or key not found: {exc.filename}") from None
    except (ssl.SSLError, OSError) as exc:
        raise ValueError(
            f"TLS certificate {config.tls_cert} and key {config.tls_key} cannot be used "
            f"together: {getattr(exc, 'reason', None) or exc}"
        ) from None
    return context
