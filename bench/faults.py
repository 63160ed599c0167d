"""The fault run: many runs over the real relay, across every fault the fake
upstream knows, some stopped at a random moment; then what must hold.

    python bench/faults.py [--runs 1000] [--concurrency 4] [--seed 0]

Checks and prints: runs left "streaming" (must be 0), runs whose page never
got the finished frame, partial answers lost (the text the page was sent must
equal the stored message and Run.text), frames of a MiB or more, and whether
upstream connections and asyncio tasks are back to their baseline. Exits
non-zero on any violation. Not in CI; tests/test_fault_run.py runs 50.

The relay runs in this process, driven through channels' WebsocketCommunicator
(as tests/relay_helpers.py does), not under daphne: the leak checks need the
relay's own event loop and sockets, which only this process can see. The fake
upstream is a separate process, as a real upstream would be.
"""

import argparse
import asyncio
import contextlib
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEADLINE = 2.0  # the bench provider's deadline: keepalives forever end here
READ_TIMEOUT = 1.0  # the bench catalog's: a stalled upstream ends here
STOP_WITHIN = 0.3  # a stopped run is stopped this many seconds after it starts, at most
PATIENCE = DEADLINE + READ_TIMEOUT + 4  # then a run that has not ended is "hung"


@dataclass
class Report:
    """What the fault run saw; ``violations`` says what must not happen."""

    runs: int = 0
    stopped_asked: int = 0
    statuses: Counter = field(default_factory=Counter)
    hung: list[str] = field(default_factory=list)  # fault: the page never got "finished"
    lost: list[str] = field(default_factory=list)  # fault: page text != stored text
    oversized: list[str] = field(default_factory=list)  # fault: a frame of a MiB or more
    failures: list[str] = field(default_factory=list)  # fault: the consumer raised
    streaming: int = 0  # runs (Run rows or messages) left "streaming"
    leaked_connections: int = 0
    tasks: tuple[int, int] = (0, 0)  # before, after
    new_tasks: list[str] = field(default_factory=list)  # names of those left over

    def violations(self) -> list[str]:
        found = [
            f"{len(self.hung)} runs never finished on the page: {_tally(self.hung)}",
            f"{len(self.lost)} answers differ from what the page was sent: {_tally(self.lost)}",
            f"{len(self.oversized)} frames of a MiB or more: {_tally(self.oversized)}",
            f"{len(self.failures)} consumer failures: {_tally(self.failures)}",
            f"{self.streaming} runs left streaming",
            f"{self.leaked_connections} upstream connections leaked",
            f"asyncio tasks {self.tasks[0]} before, {self.tasks[1]} after: {self.new_tasks}",
        ]
        bad = [
            self.hung,
            self.lost,
            self.oversized,
            self.failures,
            self.streaming,
            self.leaked_connections,
            self.tasks[1] > self.tasks[0],
        ]
        return [text for text, is_bad in zip(found, bad, strict=True) if is_bad]

    def summary(self) -> str:
        return "\n".join(
            [
                f"runs: {self.runs} ({self.stopped_asked} with a Stop at a random moment)",
                "statuses: " + ", ".join(f"{k} {v}" for k, v in sorted(self.statuses.items())),
                f"left streaming: {self.streaming}",
                f"never finished on the page: {len(self.hung)} {_tally(self.hung)}",
                f"lost partial answers: {len(self.lost)} {_tally(self.lost)}",
                f"frames >= 1 MiB: {len(self.oversized)} {_tally(self.oversized)}",
                f"consumer failures: {len(self.failures)} {_tally(self.failures)}",
                f"upstream connections leaked: {self.leaked_connections}",
                f"asyncio tasks: {self.tasks[0]} before, {self.tasks[1]} after {self.new_tasks}",
            ]
        )


def _tally(faults: list[str]) -> str:
    return str(dict(Counter(faults))) if faults else ""


def fault_classes() -> list[str | None]:
    """Every fault of the fake upstream, and no fault at all."""
    from tests.fake_upstream import FAULTS

    return sorted(FAULTS, key=str)


def idle_pooled() -> int:
    """Connections the shared client's pool holds idle: kept for reuse, not leaked.

    aiohttp (the client's transport) has no public view of its pool; a leak is a
    connection open to the upstream that the pool does not hold idle once no
    run is going.
    """
    from workbench.relay import upstream

    session = upstream.client()._transport.client  # type: ignore[attr-defined]
    if session is None:  # nothing sent yet
        return 0
    return sum(len(idle) for idle in session.connector._conns.values())


async def fault_run(
    runs: int,
    upstream_port: int,
    *,
    seed: int = 0,
    concurrency: int = 4,
    model: str = "fake-chat",
) -> Report:
    """Drive ``runs`` runs through the relay; Django must be set up, the fake serving."""
    from tests.relay_helpers import open_connections_to

    rng = random.Random(seed)
    faults = fault_classes()
    # Every fault class in turn, left alone on one pass and stopped on the next,
    # at a random moment (which may fall after the run ended: then Stop is a no-op).
    plan = [
        (faults[i % len(faults)], rng.uniform(0, STOP_WITHIN) if (i // len(faults)) % 2 else None)
        for i in range(runs)
    ]
    rng.shuffle(plan)
    report = Report(runs=runs, stopped_asked=sum(stop is not None for _, stop in plan))
    await one_run(model, None, None, Report())  # warm up: the pool holds its idle connection
    await _settle()
    tasks_before = asyncio.all_tasks()
    # Connections open before the run and not in this loop's pool are not its
    # own (in the test suite: other tests' event loops); only new ones count.
    others = open_connections_to(upstream_port) - idle_pooled()
    queue = iter(plan)

    async def worker() -> None:
        for fault, stop in queue:
            await one_run(model, fault, stop, report)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    await _settle()
    # A connection being closed may take a moment on a busy machine: a leak is
    # one still open after that moment, not one caught mid-close.
    for _ in range(50):
        if open_connections_to(upstream_port) - idle_pooled() <= others:
            break
        await asyncio.sleep(0.1)
    tasks_after = asyncio.all_tasks()
    report.tasks = (len(tasks_before), len(tasks_after))
    report.new_tasks = sorted(t.get_name() for t in tasks_after - tasks_before)
    report.leaked_connections = max(0, open_connections_to(upstream_port) - idle_pooled() - others)
    report.streaming = await _left_streaming()
    return report


async def one_run(model: str, fault: str | None, stop_after: float | None, report: Report) -> None:
    """One run of ``fault``, stopped after ``stop_after`` seconds if given; noted in ``report``."""
    from tests.relay_helpers import WS_LIMIT, connect, delivered_text, run_frame, start_draft
    from workbench.relay import frames

    name = str(fault)
    draft = await start_draft(model)
    comm = await connect(draft)
    stopper: asyncio.Task | None = None
    try:
        tag = f" [fault={fault}]" if fault else ""
        await comm.send_to(text_data=run_frame("question" + tag, model=model))
        first = await comm.receive_from(timeout=PATIENCE)
        run = frames.STARTED.search(first)
        if run is None:
            report.failures.append(f"{name}: refused")
            return
        run_id, seen = run.group(1), [first]
        if stop_after is not None:
            stopper = asyncio.create_task(_stop(comm, run_id, stop_after))
        finished = await _collect(comm, run_id, seen, PATIENCE)
        if not finished:
            report.hung.append(name)
            await _stop(comm, run_id, 0)
            await _collect(comm, run_id, seen, 2)
        report.oversized += [name for f in seen if len(f.encode("utf-8", "replace")) >= WS_LIMIT]
        status, stored, run_text = await _stored(draft, run_id)
        report.statuses[status] += 1
        if not (delivered_text(seen) == stored == run_text):
            report.lost.append(name)
    except Exception as exc:  # the consumer raised: a socket closed without a notice
        report.failures.append(f"{name}: {exc!r}"[:200])
    finally:
        if stopper is not None:
            stopper.cancel()
            await asyncio.gather(stopper, return_exceptions=True)
        await comm.disconnect()


async def _stop(comm, run_id: str, after: float) -> None:
    import json

    await asyncio.sleep(after)
    await comm.send_to(text_data=json.dumps({"type": "stop", "run": run_id}))


async def _collect(comm, run_id: str, seen: list[str], patience: float) -> bool:
    """Frames into ``seen`` until this run's finished frame; False if it never came."""
    from workbench.relay import frames

    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(patience):
            while True:
                seen.append(await comm.receive_from(timeout=patience))
                found = frames.FINISHED.search(seen[-1])
                if found and found.group(2) == run_id:
                    return True
    return False


async def _stored(draft, run_id: str) -> tuple[str, str, str]:
    """(status, message content, Run.text) as stored. A run that failed before any
    text stores no message: its content is the Run's (none)."""
    from asgiref.sync import sync_to_async

    from workbench.chat.conversation import failed_before_text
    from workbench.chat.models import Draft, Run

    def read() -> tuple[str, str, str]:
        run = Run.objects.get(pk=run_id)
        column = Draft.objects.get(pk=draft.pk).column(run.column)
        index = column.find_run(run_id)
        if index is not None:
            content = column.messages[index]["content"]
        else:
            content = "" if failed_before_text(run.status, run.text) else "<missing>"
        return run.status, content, run.text

    return await sync_to_async(read)()


async def _left_streaming() -> int:
    from asgiref.sync import sync_to_async

    from workbench.chat.conversation import Column, Status
    from workbench.chat.models import Draft, Run

    def count() -> int:
        runs = Run.objects.filter(status=Status.STREAMING).count()
        messages = sum(
            len(Column.from_json(c).streaming()) for d in Draft.objects.all() for c in d.columns
        )
        return max(runs, messages)

    return await sync_to_async(count)()


async def _settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0.01)


def setup(tmp: Path, fake_port: int) -> None:
    """Django against a new SQLite file and a catalog whose provider is the fake."""
    (tmp / "catalog.toml").write_text(
        f'[providers.fake]\nname = "Fake upstream"\n'
        f'base_url = "http://127.0.0.1:{fake_port}/v1"\nread_timeout = {READ_TIMEOUT}\n'
        f"deadline = {DEADLINE}\n"
        '[[models]]\nid = "fake-chat"\nprovider = "fake"\ndisplay_name = "Fake Chat"\n'
    )
    os.environ.update(
        DJANGO_SETTINGS_MODULE="workbench.settings",
        SECRET_KEY="faults-" + "x" * 50,
        DEBUG="0",
        WORKBENCH_HTTPS="0",
        WORKBENCH_CONFIG=str(tmp / "catalog.toml"),
        DATABASE_URL=f"sqlite:///{tmp / 'faults.sqlite3'}",
        LOG_LEVEL="CRITICAL",  # the faults are meant: their tracebacks are noise here
    )
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def start_fake(port: int) -> subprocess.Popen:
    import httpx

    command = [sys.executable, "-m", "uvicorn", "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(
        [*command, "--no-access-log", "tests.fake_upstream:app"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(200):
        with contextlib.suppress(httpx.TransportError):
            httpx.get(f"http://127.0.0.1:{port}/")
            break
        time.sleep(0.05)
    return proc


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    from tests.ports import free_port

    port = free_port()
    setup(Path(tempfile.mkdtemp(prefix="workbench-faults-")), port)
    fake = start_fake(port)
    try:
        import httpx

        url = f"http://127.0.0.1:{port}/_control/config"
        httpx.post(url, json={"tokens": 50, "rate": 200}).raise_for_status()
        started = time.monotonic()
        report = asyncio.run(
            fault_run(
                args.runs,
                port,
                seed=args.seed,
                concurrency=args.concurrency,
            )
        )
    finally:
        fake.kill()  # not terminate: uvicorn would wait for streams that never end
        fake.wait(10)
    print(report.summary())
    print(f"took {time.monotonic() - started:.0f} s")
    for violation in report.violations():
        print("VIOLATION:", violation)
    return 1 if report.violations() else 0


if __name__ == "__main__":
    sys.exit(main())
