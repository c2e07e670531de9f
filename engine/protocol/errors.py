"""Alpaca's stream error codes as data: what each means and what the client does about it.

Never branch on an error's text: `classify_error(code)` is the one table
(docs/protocol.md, "Errors").
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = ["ErrorAction", "ErrorPolicy", "classify_error"]


class ErrorAction(enum.StrEnum):
    """What the I/O shell should do about a server error."""

    RETRY = "retry"
    RETRY_SLOWLY = "retry_slowly"
    GIVE_UP = "give_up"
    REAUTHENTICATE = "reauthenticate"
    REPORT = "report"
    IGNORE = "ignore"


@dataclass(frozen=True)
class ErrorPolicy:
    """One error code's meaning: the action, whether the session is over, and why."""

    code: int
    action: ErrorAction
    ends_session: bool
    explanation: str


def _policy(code: int, action: ErrorAction, ends: bool, explanation: str) -> ErrorPolicy:
    return ErrorPolicy(code, action, ends, explanation)


# docs/protocol.md "Errors": 402, 404, 406 and 409 end the session; 407 is a drop.
_POLICIES: dict[int, ErrorPolicy] = {
    p.code: p
    for p in (
        _policy(400, ErrorAction.REPORT, False,
                "Alpaca could not parse a message Tickerdesk sent (invalid syntax). "
                "This is a bug in Tickerdesk: please report it."),
        _policy(401, ErrorAction.REAUTHENTICATE, False,
                "A request was sent before authentication; authenticating again."),
        _policy(402, ErrorAction.GIVE_UP, True,
                "Authentication failed: check the API key ID and secret (paper and live "
                "accounts have different keys), then reconnect."),
        _policy(403, ErrorAction.IGNORE, False,
                "Already authenticated on this connection; nothing to do."),
        _policy(404, ErrorAction.RETRY, True,
                "Authentication took longer than Alpaca's 10 s limit; reconnecting."),
        _policy(405, ErrorAction.REPORT, False,
                "Symbol limit exceeded: your plan allows fewer symbols (the free plan 30 "
                "for trades and quotes). Remove some symbols from the watchlist."),
        _policy(406, ErrorAction.RETRY_SLOWLY, True,
                "Connection limit exceeded: another client (another Tickerdesk, a script "
                "or a dropped connection Alpaca still holds for ~90 s) is using this "
                "account's one stream connection. Retrying slowly; close the other client."),
        _policy(407, ErrorAction.RETRY, True,
                "Alpaca dropped the connection because Tickerdesk did not read data fast "
                "enough (slow client); reconnecting. Fewer symbols may help."),
        _policy(408, ErrorAction.GIVE_UP, True,
                "Market data v2 is not enabled for this account; enable it in Alpaca's "
                "dashboard or contact Alpaca support."),
        _policy(409, ErrorAction.GIVE_UP, True,
                "Insufficient subscription: this feed is not in your Alpaca plan (e.g. "
                "'sip' on the free plan). Switch the feed to 'iex'."),
        _policy(410, ErrorAction.REPORT, False,
                "Alpaca refused a subscribe action for this feed (invalid subscribe "
                "action); a channel is not available on it."),
        _policy(411, ErrorAction.GIVE_UP, True,
                "Insufficient scope: these API keys may not read market data. Create "
                "keys with market data access."),
        _policy(500, ErrorAction.RETRY, True,
                "Alpaca reported an internal server error; reconnecting with backoff."),
    )
}  # fmt: skip


def classify_error(code: int) -> ErrorPolicy:
    """The policy for an Alpaca error code; unknown codes are reported, not fatal."""
    policy = _POLICIES.get(code)
    if policy is not None:
        return policy
    return ErrorPolicy(
        code,
        ErrorAction.REPORT,
        False,
        f"Alpaca sent error code {code}, which Tickerdesk does not know; the stream "
        "continues. Please report it.",
    )
