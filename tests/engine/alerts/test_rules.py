"""engine.alerts.rules: firing and re-arming of one rule as a pure function (no book, no store)."""

from __future__ import annotations

import pytest

from engine.alerts.rules import Alert, AlertError, AlertKind, Verdict, evaluate_rule, validate


def rule(kind: AlertKind, threshold: float) -> Alert:
    return Alert(1, "AAPL", kind, threshold)


def verdicts(alert: Alert, prices: list[float], pct: float | None = None) -> list[Verdict]:
    return [evaluate_rule(alert, price, pct, hysteresis=0.01) for price in prices]


def test_above_fires_once_and_rearms_only_below_the_band() -> None:
    alert = rule(AlertKind.ABOVE, 100.0)
    got = verdicts(alert, [99.0, 100.0, 101.0, 99.5, 98.9, 99.5, 100.2])
    Q, M, F = Verdict.QUIET, Verdict.MOVED, Verdict.FIRED
    assert got == [Q, F, Q, Q, M, Q, F]
    assert not alert.armed


def test_below_mirrors_above() -> None:
    alert = rule(AlertKind.BELOW, 100.0)
    got = verdicts(alert, [101.0, 100.0, 100.5, 101.1, 99.0])
    Q, M, F = Verdict.QUIET, Verdict.MOVED, Verdict.FIRED
    assert got == [Q, F, Q, M, F]


def test_crosses_learns_its_side_first_then_fires_each_way_outside_the_band() -> None:
    alert = rule(AlertKind.CROSSES, 100.0)
    got = verdicts(alert, [98.0, 100.5, 101.5, 100.5, 98.5])
    Q, M, F = Verdict.QUIET, Verdict.MOVED, Verdict.FIRED
    assert got == [M, Q, F, Q, F]
    assert alert.side == -1


@pytest.mark.parametrize(
    ("kind", "threshold", "pcts", "expected"),
    [
        (AlertKind.PCT_ABOVE, 3.0, [None, 2.0, 3.0, 2.95, 2.85], "QQFQM"),
        (AlertKind.PCT_BELOW, -3.0, [-2.0, -3.5, -2.95, -2.85], "QFQM"),
    ],
)
def test_percent_rules_use_change_pct_and_point_hysteresis(
    kind: AlertKind, threshold: float, pcts: list[float | None], expected: str
) -> None:
    alert = rule(kind, threshold)
    got = [evaluate_rule(alert, 100.0, pct, pct_hysteresis=0.1) for pct in pcts]
    assert "".join(v.name[0] for v in got) == expected


def test_validate_normalises_and_names_the_bad_field() -> None:
    assert validate(" aapl ", "above", 10) == ("AAPL", AlertKind.ABOVE)
    with pytest.raises(AlertError) as caught:
        validate("AAPL", "above", 0)
    assert caught.value.field == "threshold"
    assert validate("AAPL", AlertKind.PCT_BELOW, -3.0)[1] is AlertKind.PCT_BELOW
