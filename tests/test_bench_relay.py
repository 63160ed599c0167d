"""The relay benchmark, small: every case runs against real daphne and the fake
upstream and prints its figures with no errors (the figures themselves are
judged in docs/benchmarks.md, never here)."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SMALL = ["--trials", "3", "--tokens", "20", "--compare", "3", "--compare-tokens", "150"]
COLUMNS = (
    "N  errors  direct p99  relayed p99  added p99  steady p99  burst TTFT p99  CPU/stream"
    "  RSS/stream"
)


def bench(*args: str) -> str:
    """bench/relay.py's output, after checking that it ended well."""
    command = [sys.executable, "bench/relay.py", *args]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def assert_every_case(out: str, n: int) -> re.Match:
    """Every case printed its figures, and the concurrent row (of ``n``
    streams) had no errors; the row's match, for its busy column."""
    # An added time may come out below zero, when the direct trials were the slower.
    assert re.search(r"current .* added +-?\d+\.\d+ / +-?\d+\.\d+ ms", out), out
    assert re.search(r"Throughput, one stream, current: direct \d+ tok/s", out), out
    per_column = re.search(r"added TTFT ms +1: [-\d.]+ / [-\d.]+ +2: [-\d.]+ / [-\d.]+ +3: ", out)
    assert per_column, out
    assert re.search(r"steady p99 \d+\.\d ms", out)
    assert COLUMNS in out, out
    row = re.search(rf"^  current +{n} +(\d+) .*busy: (.*)$", out, flags=re.M)
    assert row and row.group(1) == "0", out  # no errors among the concurrent streams
    return row


def test_the_relay_benchmark_runs_every_case():
    out = bench(*SMALL, "--concurrency", "3")
    assert "Layout: " in out
    assert re.search(r"busy: web \d+%, fake \d+%, clients \d+%$", assert_every_case(out, 3)[0])


def test_the_relay_benchmark_runs_workers_behind_nginx_with_several_clients_and_upstreams():
    """Two workers on PostgreSQL and Redis behind nginx, fed by two fake
    upstreams and two load-generator processes: every process's CPU shown."""
    shape = ["--workers", "2", "--clients", "2", "--upstreams", "2"]
    out = bench(*SMALL, "--concurrency", "4", *shape)
    assert re.search(r"Layout: .*workbench x2 behind nginx", out), out
    busy = assert_every_case(out, 4).group(2)
    assert re.fullmatch(r"web \d+%\+\d+%, nginx \d+%, fake \d+%\+\d+%, clients \d+%\+\d+%", busy)
