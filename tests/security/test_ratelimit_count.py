"""The rate limit's count (issue 16): one statement on PostgreSQL's database cache, Django's
add-then-increment elsewhere; the same answers either way."""

from __future__ import annotations

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from geste.security.ratelimit import hit

pytestmark = pytest.mark.django_db


def test_the_limit_refuses_past_its_count_and_counts_keys_apart() -> None:
    caches["default"].clear()
    assert [hit("t", "a", "3/m") for _ in range(3)] == [None, None, None]
    retry = hit("t", "a", "3/m")
    assert retry is not None and 1 <= retry <= 60
    assert hit("t", "b", "3/m") is None  # another key, its own count


@pytest.mark.postgres
def test_one_statement_per_request_on_postgresql() -> None:
    hit("t", "c", "100/m")  # the window's first hit also drops expired entries
    with CaptureQueriesContext(connection) as ctx:
        assert hit("t", "c", "100/m") is None
    assert len(ctx.captured_queries) == 1
    assert "ON CONFLICT" in ctx.captured_queries[0]["sql"]
