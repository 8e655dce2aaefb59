"""Rate limits: slots spaced by the rate, bursts allowed, pauses honoured, per-chat buckets."""

from __future__ import annotations

import pytest

from bot.delivery.limits import Bucket, DeliveryLimits, RateSettings
from db.enums import Channel


class Ticks:
    """A monotonic clock moved by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_sends_are_spaced_by_the_rate_after_the_burst() -> None:
    """At 25/s with a burst of 5, the 6th send waits 1/25 s, the 7th 2/25 s."""
    ticks = Ticks()
    bucket = Bucket(25, burst=5, clock=ticks)
    waits = [bucket.reserve() for _ in range(7)]
    assert waits[:5] == pytest.approx([0, 0, 0, 0, 0])
    assert waits[5] == pytest.approx(0.04)
    assert waits[6] == pytest.approx(0.08)


def test_rate_over_a_long_run_matches_the_limit() -> None:
    """1,000 sends at 25/s need 40 s less the burst, never less."""
    ticks = Ticks()
    bucket = Bucket(25, burst=5, clock=ticks)
    last = max(bucket.reserve() for _ in range(1000))
    assert last == pytest.approx((1000 - 5) / 25)


def test_idle_time_refills_the_burst_but_no_more() -> None:
    """After a quiet spell the burst is available again, but not a bigger one."""
    ticks = Ticks()
    bucket = Bucket(1, burst=3, clock=ticks)
    for _ in range(3):
        bucket.reserve()
    ticks.now += 60
    assert [bucket.reserve() for _ in range(4)] == pytest.approx([0, 0, 0, 1.0])


def test_pause_holds_every_send_exactly_that_long() -> None:
    """A 429 with retry_after=7 makes the next send wait 7 s."""
    ticks = Ticks()
    bucket = Bucket(100, burst=10, clock=ticks)
    bucket.pause(7)
    assert bucket.reserve() == pytest.approx(7)
    assert bucket.paused_for() == pytest.approx(7)
    ticks.now += 7
    assert bucket.paused_for() == 0


def test_weight_takes_several_slots() -> None:
    """A reply of three messages uses three slots."""
    ticks = Ticks()
    bucket = Bucket(1, burst=1, clock=ticks)
    assert bucket.reserve(3) == 0
    assert bucket.reserve() == pytest.approx(3)


def test_telegram_groups_and_chats_and_line_multicast_have_their_own_buckets() -> None:
    """Telegram sends draw on the global and the chat's bucket; LINE batches on multicast."""
    ticks = Ticks()
    limits = DeliveryLimits(RateSettings(telegram_group_per_minute=20), clock=ticks)
    private = limits.buckets(Channel.TELEGRAM, ["123"])
    group = limits.buckets(Channel.TELEGRAM, ["-100200"])
    assert len(private) == 2 and private[0] is group[0]
    assert group[1].reserve() == 0
    assert group[1].reserve() == pytest.approx(3.0)  # 20 a minute
    batch = limits.buckets(Channel.LINE, ["U1", "U2"])
    single = limits.buckets(Channel.LINE, ["U1"])
    assert batch[0] is not single[0]
    assert limits.buckets(Channel.CONSOLE, ["x"]) == []


async def test_acquire_waits_out_a_pause_set_meanwhile() -> None:
    """A channel paused by a 429 holds later sends until the pause ends."""
    limits = DeliveryLimits()
    limits.pause(Channel.TELEGRAM, 0.05)
    await limits.acquire(Channel.TELEGRAM, ["1"])
    assert limits.buckets(Channel.TELEGRAM, ["1"])[0].paused_for() == 0
