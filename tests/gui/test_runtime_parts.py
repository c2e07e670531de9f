"""gui.runtime_parts: the pure helpers of the composition root."""

from __future__ import annotations

from gui.runtime_parts import changes_timeline


def test_which_feed_changes_move_the_timeline() -> None:
    assert changes_timeline("iex", "delayed_sip")
    assert changes_timeline("delayed_sip", "sip")
    assert changes_timeline("sip", "test")  # FAKEPACA: a market of its own
    # iex and sip are both real time: rows stay (stale until the new feed refreshes them).
    assert not changes_timeline("iex", "sip")
    assert not changes_timeline("sip", "iex")
    assert not changes_timeline("delayed_sip", "delayed_sip")
