"""The fault run (bench/faults.py) in small: 50 runs across every fault class."""

import pytest

from bench.faults import fault_run
from tests.testenv import FAKE_PORT

pytestmark = pytest.mark.django_db(transaction=True)


async def test_fifty_runs_across_every_fault_leave_nothing_wrong(fake):
    fake.configure(tokens=50, rate=200)  # long enough for a Stop to land mid-answer
    # fake-deadline: the fake upstream, with a run deadline of 1.5 s (tests/testenv.py)
    report = await fault_run(50, FAKE_PORT, seed=1, concurrency=4, model="fake-deadline")
    print(report.summary())
    assert report.violations() == []
