"""How a rate-limit answer is read (GitHub's guidance), without waiting for any of it."""

from __future__ import annotations

import pytest

from stagecraft_github.pacing import SECONDARY_INTERVAL, Pacer, RateLimit, rate_limit_wait

NOW = 1_700_000_000.0


@pytest.mark.parametrize(("status", "headers", "message", "repeat", "expected"), [
    # retry-after wins, and means a secondary limit; repeats double it
    (429, {"retry-after": "7"}, "", 0, RateLimit(7.0, True)),
    (403, {"retry-after": "7"}, "", 2, RateLimit(28.0, True)),
    # the hourly budget spent: until the reset, plus a second
    (403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 30)},
     "API rate limit exceeded", 0, RateLimit(31.0, False)),
    (403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) - 5)},
     "API rate limit exceeded", 3, RateLimit(1.0, False)),
    # no time given: a minute, doubling
    (403, {}, "You have exceeded a secondary rate limit.", 0, RateLimit(60.0, True)),
    (429, {}, "", 1, RateLimit(120.0, False)),
    # not a rate limit: a permission problem, or no 403/429 at all
    (403, {"x-ratelimit-remaining": "4999"}, "Resource not accessible", 0, None),
    (404, {"retry-after": "1"}, "Not Found", 0, None),
    (500, {}, "rate limit", 0, None),
])
def test_rate_limit_answers(status: int, headers: dict[str, str], message: str, repeat: int,
                            expected: RateLimit | None) -> None:
    assert rate_limit_wait(status, headers, message, repeat, NOW) == expected


def test_the_pacer_spaces_writes_by_the_larger_interval() -> None:
    pacer = Pacer(0.25)
    assert pacer.interval == 0.25
    pacer.slow_down()
    assert pacer.interval == SECONDARY_INTERVAL
    assert Pacer(3.0).interval == 3.0
