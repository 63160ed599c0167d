"""The relay benchmark, small: every case runs against real daphne and the fake
upstream and prints its figures with no errors (the figures themselves are
judged in docs/benchmarks.md, never here)."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_relay_benchmark_runs_every_case():
    command = [sys.executable, "bench/relay.py", "--trials", "3", "--concurrency", "3"]
    command += ["--tokens", "20", "--compare", "3", "--compare-tokens", "150"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert re.search(r"current .* added +\d+\.\d+ / +\d+\.\d+ ms", out)
    per_column = re.search(r"added TTFT ms +1: [\d.]+ / [\d.]+ +2: [\d.]+ / [\d.]+ +3: ", out)
    assert per_column, out
    assert re.search(r"steady p99 \d+\.\d ms", out)
    row = re.search(r"^  current +3 +(\d+) ", out, flags=re.M)
    assert row and row.group(1) == "0", out  # no errors among the concurrent streams
