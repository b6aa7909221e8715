"""Page render time of the day's worklists with 1,000 procedure appointments in one day.

Builds a scratch SQLite database in a temporary directory (migrated, 1,000 appointments with
their requests and questionnaires), then renders each page R times through Django's test
client, logged in as the right role. Prints p50/p95/p99 in milliseconds, and the same page
with 10 appointments as the baseline measured in the same run. Never asserts timings.

    .venv/bin/python bench/worklist.py [--n 1000] [--repeat 30]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="geste-bench-")
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    os.environ.setdefault("GESTE_DEBUG", "1")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geste.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import reverse
    from django.utils import timezone

    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["testserver"]
    setup_test_environment()
    call_command("migrate", verbosity=0)
    from tests.factories import make_user
    from tests.pathway.bulk import fill_day

    from geste.clinic.models import Role

    users = {
        "reception": make_user("b-rec", Role.RECEPTIONIST),
        "tech_worklist": make_user("b-tech", Role.TECHNOLOGIST),
        "dashboard": make_user("b-rad", Role.RADIOLOGIST, first_name="A", last_name="B"),
    }
    today = timezone.localdate()

    pages = [(name, name, "") for name in users] + [
        (f"{name} (all)", name, "?tout=1") for name in users
    ]

    def measure() -> dict[str, list[float]]:
        out = {}
        for label, name, query in pages:
            user = users[name]
            client = Client()
            client.force_login(user)
            url = reverse(f"pathway:{name}") + query
            client.get(url)  # warm-up (templates, caches)
            times = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                resp = client.get(url)
                times.append((time.perf_counter() - t0) * 1000)
                assert resp.status_code == 200
            out[label] = times
        return out

    fill_day(today, 10, users["dashboard"])
    base = measure()
    fill_day(today, args.n - 10, users["dashboard"])
    big = measure()
    print(f"day worklists, {args.n} procedure appointments today, {args.repeat} renders each")
    print("(default pages show arrivals and the next 40 patients; '(all)' renders every row)")
    print(f"{'page':<21} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'p50 @10':>9} {'ratio':>6}")
    for name, times in big.items():
        b50 = statistics.median(base[name])
        p50 = statistics.median(times)
        print(
            f"{name:<21} {p50:8.1f} {_pct(times, 95):8.1f} {_pct(times, 99):8.1f} "
            f"{b50:9.1f} {p50 / b50:6.1f}"
        )


if __name__ == "__main__":
    main()
