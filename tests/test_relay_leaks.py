"""No connection or task outlives its run: 200 stopped and failed runs leave nothing."""

import asyncio
import json

import pytest

from tests.relay_helpers import (
    connect,
    next_frame,
    open_connections_to,
    run_frame,
    run_id_of,
    start_draft,
    until_finished,
)
from tests.testenv import FAKE_PORT

pytestmark = pytest.mark.django_db(transaction=True)


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0.01)


async def test_200_stopped_and_failed_runs_leak_nothing(fake):
    comm = await connect(await start_draft())

    async def stop_then_fail(i: int) -> None:
        fake.configure(tokens=1000, rate=200)
        await comm.send_to(text_data=run_frame(f"stop {i}"))
        run_id = run_id_of(await next_frame(comm))
        await next_frame(comm)  # streaming has begun
        await comm.send_to(text_data=json.dumps({"type": "stop", "run": run_id}))
        await until_finished(comm)
        fake.configure(fault=["http_500", "garbage", "no_done", "http_429"][i % 4])
        await comm.send_to(text_data=run_frame(f"fail {i}"))
        frames = await until_finished(comm)
        assert 'data-status="error"' in frames[-1]

    await stop_then_fail(0)  # warm up: the pool now holds its idle keep-alive connection
    await settle()
    connections_before = open_connections_to(FAKE_PORT)
    tasks_before = len(asyncio.all_tasks())
    for i in range(100):
        await stop_then_fail(i)
    await settle()

    assert open_connections_to(FAKE_PORT) <= connections_before
    assert len(asyncio.all_tasks()) == tasks_before
    await comm.disconnect()
