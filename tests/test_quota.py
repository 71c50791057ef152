"""The per-user quota limiter (connectors/quota.py) on a fake clock: the units spent
and the waits it asks for, never wall time."""

from __future__ import annotations

import pytest

from connectors import quota
from connectors.gmail import GmailSettings
from connectors.quota import QuotaLimiter


class FakeClock:
    """``clock()`` and ``sleep()`` for the limiter: sleeping moves the clock."""

    def __init__(self) -> None:
        self.now = 1_000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(quota, "clock", fake)
    monkeypatch.setattr(quota, "sleep", fake.sleep)
    return fake


def test_a_minutes_budget_goes_at_once_then_the_rate_holds(clock: FakeClock) -> None:
    limiter = QuotaLimiter(600)  # 10 units a second
    for _ in range(120):
        limiter.spend(5)
    assert clock.sleeps == []
    limiter.spend(5)
    limiter.spend(5)
    assert clock.sleeps == pytest.approx([0.5, 0.5])
    clock.now += 2.0
    limiter.spend(20)  # two idle seconds refilled exactly 20 units
    assert len(clock.sleeps) == 2
    assert limiter.spent == 630 and limiter.waited == pytest.approx(1.0)


def test_a_request_dearer_than_the_bucket_waits_off_its_debt(clock: FakeClock) -> None:
    """A 50-part batch is 250 units: it goes, and the wait keeps the long-run rate."""
    limiter = QuotaLimiter(60)  # one unit a second, at most 60 at once
    limiter.spend(250)
    assert clock.sleeps == pytest.approx([190.0])
    limiter.spend(250)
    assert clock.sleeps == pytest.approx([190.0, 250.0])
    assert clock.now - 1_000.0 == pytest.approx((500 - 60) / 1.0)


def test_idle_time_refills_no_more_than_the_burst(clock: FakeClock) -> None:
    limiter = QuotaLimiter(600, burst=100)
    limiter.spend(100)
    clock.now += 3_600
    limiter.spend(101)
    assert clock.sleeps == pytest.approx([0.1])


def test_the_gmail_default_is_googles_per_user_limit(clock: FakeClock) -> None:
    """15,000 units a minute: 3,000 messages before the first wait, then 50 a second."""
    limiter = QuotaLimiter(GmailSettings.model_fields["quota_per_minute"].default)
    for _ in range(3_000):
        limiter.spend(5)
    assert clock.sleeps == []
    limiter.spend(5)
    assert clock.sleeps == pytest.approx([5 / 250])


def test_a_budget_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        QuotaLimiter(0)
