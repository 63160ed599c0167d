"""Benchmark the relay: the same streams read directly from the upstream and
through the workbench websocket, side by side, in one run.

    python bench/relay.py [--trials 200] [--concurrency 1,100,500] [--baseline REV]
    python bench/relay.py --workers 2 --clients 2 --upstreams 2 --sweep 100,150,200

Starts the fake upstream (tests/fake_upstream.py, under uvicorn) and the real
workbench app under daphne (as `python -m workbench.serve` runs it, on uvloop),
each in its own process, on loopback. By default: one workbench process on
SQLite and the in-memory channel layer, reached directly. With ``--workers N``:
N workbench processes on a fresh PostgreSQL database and Redis, behind nginx as
deploy/nginx.conf has it (TLS, round-robin), as production runs them.
``--upstreams K`` runs K fake upstreams (one port and one catalog provider
each: stream i goes to upstream i mod K, directly and relayed) and
``--clients K`` splits the concurrent streams across K load-generator
processes, so that the measuring rig is not what is measured. Where taskset is
there and cores are left over, the workers get a core each and everything else
(nginx, fake upstreams, clients) the remaining cores (``--pin off``: no pinning).

Prints:
- added time to first token (median, p99) for one stream,
- the throughput ratio (relayed / direct) for one fast stream,
- compare: one page with 6 columns (``--compare N``), one Run streaming every
  column on its one socket: added time to first token per column and the
  steady inter-token p99,
- for N concurrent streams of 50 tokens/s: added inter-token delay p99,
  errors, and the workbench processes' CPU and RSS per stream; also the
  relayed p99 of the steady part (tokens sent after the first and before
  the last second, when no run is starting or ending), the p99 time to first
  token of the N runs released together (the start burst) and how busy each
  process was (100 % = one core). The direct p99 is flagged (*) above 10 ms:
  then the rig, not the relay, sets that row's delays.
- with ``--sweep N1,N2,...``: the same rows, raising N until the steady p99
  passes 50 ms or a stream fails, and the capacity: the largest N that held.
With ``--baseline REV`` the same figures come for that commit too (checked out
in a temporary git worktree), trial by trial beside this tree's.
"""

import argparse
import asyncio
import json
import multiprocessing
import os
import re
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import django
import httpx
import websockets

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The wire format's patterns come from the app; reading them needs Django set up
# (the servers below get an environment of their own).
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workbench.settings")
os.environ.setdefault("SECRET_KEY", "bench-" + "x" * 50)
os.environ.setdefault("LOG_LEVEL", "WARNING")
django.setup()

from tests import nginx  # noqa: E402
from tests.databases import fresh_postgres  # noqa: E402
from tests.ports import free_port  # noqa: E402
from tests.processes import stop, wait_for_port  # noqa: E402
from workbench.relay.frames import FINISHED, NOTICE, STARTED, TEXT  # noqa: E402

# A database of its own on the Redis the suite uses (tests/relay_helpers.py has 3),
# emptied when a run starts.
REDIS_URL = "redis://127.0.0.1:6379/5"
STEADY_LIMIT_MS = 50  # capacity: the steady p99 a row may reach
DIRECT_LIMIT_MS = 10  # above this the direct path is not flat: the rig is loaded
# nginx's certificate is self-signed (tests/nginx.py).
INSECURE = ssl.create_default_context()
INSECURE.check_hostname, INSECURE.verify_mode = False, ssl.CERT_NONE
STAMP = re.compile(r"@(\d+\.\d+)")


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile; nan when there is nothing to measure."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def proc_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def family(pid: int) -> list[int]:
    """``pid`` and its descendants: nginx's CPU is its master's and its workers'."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
        children.setdefault(parent, []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        found.append(todo.pop())
        todo += children.get(found[-1], [])
    return found


@dataclass
class Layout:
    """Which cores the workbench processes get, and which the load: the fake
    upstreams, nginx and the load generator. Pinned apart, the rig's CPU does
    not come out of the relay's cores, so the direct path stays flat while the
    relay is measured; ``serve`` is empty when nothing is pinned (and ``why``
    says why)."""

    cores: list[int]
    serve: list[int] = field(default_factory=list)
    load: list[int] = field(default_factory=list)
    why: str = ""

    @classmethod
    def choose(cls, workers: int, pin: bool) -> "Layout":
        """A core for each worker, the rest for the load, when there is a rest."""
        cores = sorted(os.sched_getaffinity(0))
        if not pin:
            return cls(cores, why="--pin off")
        if not shutil.which("taskset"):
            return cls(cores, why="taskset is missing")
        if len(cores) <= workers:
            return cls(cores, why=f"{workers} worker(s) on {len(cores)} core(s) leave none over")
        return cls(cores, cores[:workers], cores[workers:])

    def worker(self, i: int) -> list[str]:
        """The launcher for worker ``i``: ``taskset`` onto its own core."""
        return _taskset([self.serve[i % len(self.serve)]]) if self.serve else []

    def loader(self) -> list[str]:
        """The launcher for the fake upstreams and nginx: ``taskset`` onto the load's cores."""
        return _taskset(self.load) if self.load else []

    def pin_self(self) -> None:
        """This process (and so the client processes it starts) onto the load's cores."""
        if self.load:
            cores = ",".join(map(str, self.load))
            taskset = ["taskset", "-a", "-pc", cores, str(os.getpid())]
            subprocess.run(taskset, check=True, stdout=subprocess.DEVNULL)

    def describe(self, workers: int, upstreams: int, clients: int) -> str:
        web = f"workbench x{max(workers, 1)}" + (" behind nginx" if workers else "")
        rig = f"fake upstream x{upstreams}, load generator x{clients}"
        rig = ("nginx, " if workers else "") + rig
        cores = f"{len(self.cores)} cores ({_cores(self.cores)})"
        if not self.serve:
            return f"{cores}, not pinned ({self.why}): {web}; {rig}"
        return f"{cores}, taskset: {web} on {_cores(self.serve)}; {rig} on {_cores(self.load)}"


def _taskset(cores: list[int]) -> list[str]:
    return ["taskset", "-c", ",".join(map(str, cores))]


def _cores(cores: list[int]) -> str:
    return ("core " if len(cores) == 1 else "cores ") + ",".join(map(str, cores))


def model_of(upstream: int) -> str:
    """The catalog's model for fake upstream ``upstream`` (the first keeps the old name)."""
    return "fake-chat" if upstream == 0 else f"fake-chat-{upstream}"


@dataclass
class Site:
    """One source tree's workbench as the clients reach it: a worker's own
    address, or nginx's in front of the workers."""

    url: str
    workers: list[subprocess.Popen]
    nginx: subprocess.Popen | None = None

    def pids(self) -> dict[str, list[int]]:
        """The processes whose CPU a row reports, by what they are."""
        pids = {"web": [w.pid for w in self.workers]}
        if self.nginx:
            pids["nginx"] = [self.nginx.pid]
        return pids


class Servers:
    """The fake upstreams and one workbench per source tree (this one, and a
    ``--baseline`` commit checked out beside it), each on its own database.
    ``stop`` stops everything started and removes what was made for the run."""

    def __init__(
        self,
        baseline: str | None = None,
        workers: int = 0,
        upstreams: int = 1,
        layout: Layout | None = None,
    ) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="workbench-bench-"))
        self.stack = ExitStack()
        self.workers = workers
        self.layout = layout or Layout.choose(workers, pin=False)
        self.fake_ports = [free_port() for _ in range(upstreams)]
        (self.tmp / "catalog.toml").write_text(
            "".join(
                f'[providers.fake{i}]\nname = "Fake {i}"\n'
                f'base_url = "http://127.0.0.1:{port}/v1"\n'
                f'[[models]]\nid = "{model_of(i)}"\nprovider = "fake{i}"\n'
                f'display_name = "Fake {i}"\n'
                for i, port in enumerate(self.fake_ports)
            )
        )
        self.env = {
            **os.environ,
            "DEBUG": "0",
            "WORKBENCH_HTTPS": "0",
            "SECRET_KEY": "bench-" + "x" * 50,
            "ALLOWED_HOSTS": "127.0.0.1",
            "WORKBENCH_CONFIG": str(self.tmp / "catalog.toml"),
            "LOG_LEVEL": "WARNING",
            # Every bench client comes from 127.0.0.1: no per-address quotas here.
            "WORKBENCH_MAX_SOCKETS_PER_ADDRESS": "0",
            "WORKBENCH_MAX_RUNS_PER_ADDRESS": "0",
        }
        self.env.pop("REDIS_URL", None)
        self.env.pop("DATABASE_URL", None)
        self.trees = {"current": ROOT}
        if baseline:
            tree = self.tmp / "baseline"
            git = ["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(tree), baseline]
            subprocess.run(git, check=True)
            remove = ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)]
            self.stack.callback(subprocess.run, remove)
            self.trees[f"baseline {baseline}"] = tree
        self.sites: dict[str, Site] = {}
        self.fakes: list[subprocess.Popen] = []

    def start(self) -> None:
        try:
            # The fake upstream runs under uvicorn (uvloop, httptools): under daphne
            # it took most of a core at 500 streams, CPU the relay then lacked.
            for i, port in enumerate(self.fake_ports):
                fake = ["uvicorn", "--loop", "uvloop", "--http", "httptools", "--no-access-log"]
                fake += ["--host", "127.0.0.1", "--port", str(port), "tests.fake_upstream:app"]
                proc = self._spawn(f"fake{i}", fake, ROOT, self.env, self.layout.loader())
                self.fakes.append(proc)
                wait_for_port(port, proc)
            if self.workers:
                import redis  # channels-redis's client

                redis.Redis.from_url(REDIS_URL).flushdb()
            for name, tree in self.trees.items():
                self.sites[name] = self._site(name, tree)
                httpx.get(f"{self.sites[name].url}/", verify=False).raise_for_status()
        except BaseException:
            self.stop()
            raise

    def _site(self, name: str, tree: Path) -> Site:
        """``tree``'s workbench, migrated and serving: one process, or
        ``--workers`` of them behind nginx."""
        label = name.split()[0]
        env = {**self.env, **self._storage(label)}
        env["PYTHONPATH"] = str(tree)  # the tree's own workbench, not the installed one
        manage = [sys.executable, "manage.py"]
        subprocess.run([*manage, "migrate", "-v0"], cwd=tree, env=env, check=True)
        collect = [*manage, "collectstatic", "--noinput", "-v0"]
        subprocess.run(collect, cwd=tree, env=env, check=True)
        ports = [free_port() for _ in range(max(self.workers, 1))]
        procs = []
        for i, port in enumerate(ports):
            web = ["workbench.serve", "-v0", "-b", "127.0.0.1", "-p", str(port)]
            command = [*web, "workbench.asgi:application"]
            procs.append(self._spawn(f"{label}-web{i}", command, tree, env, self.layout.worker(i)))
            wait_for_port(port, procs[-1])
        if not self.workers:
            return Site(f"http://127.0.0.1:{ports[0]}", procs)
        http_port, https_port = free_port(), free_port()
        front = nginx.running(
            self.tmp / f"nginx-{label}", http_port, https_port, ports, self.layout.loader()
        )
        return Site(f"https://127.0.0.1:{https_port}", procs, self.stack.enter_context(front))

    def _storage(self, label: str) -> dict[str, str]:
        """The environment naming a tree's database and channel layer: a SQLite
        file and the in-memory layer for one process, as before; for workers,
        a fresh PostgreSQL database (dropped at the end), Redis, and nginx as
        the trusted proxy terminating TLS, as deploy/nginx.conf has them."""
        if not self.workers:
            return {"DATABASE_URL": f"sqlite:///{self.tmp / label}.sqlite3"}
        name = f"workbench_bench_{uuid.uuid4().hex[:8]}_{label}"
        return {
            "DATABASE_URL": self.stack.enter_context(fresh_postgres(name)),
            "REDIS_URL": REDIS_URL,
            "WORKBENCH_HTTPS": "1",
            "WORKBENCH_TRUSTED_PROXIES": "127.0.0.1",
        }

    def _spawn(
        self, name: str, command: list[str], cwd: Path, env: dict, launcher: list[str]
    ) -> subprocess.Popen:
        """``python -m command``, its output in ``<tmp>/<name>.log``, stopped with the rest."""
        with open(self.tmp / f"{name}.log", "ab") as log:
            proc = subprocess.Popen(
                [*launcher, sys.executable, "-m", *command],
                cwd=cwd,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.stack.callback(stop, proc)
        return proc

    def web_url(self, name: str = "current") -> str:
        return self.sites[name].url

    def upstream(self, stream: int) -> tuple[str, str]:
        """(the fake upstream's URL, the model that reaches it) for stream number ``stream``."""
        i = stream % len(self.fake_ports)
        return f"http://127.0.0.1:{self.fake_ports[i]}", model_of(i)

    def stop(self) -> None:
        self.stack.close()

    def configure(self, **cfg) -> None:
        """Every fake upstream alike: each keeps its configuration in its own process."""
        for port in self.fake_ports:
            httpx.post(f"http://127.0.0.1:{port}/_control/config", json=cfg).raise_for_status()


Delays = list[tuple[float, float]]  # (when the upstream sent a token, its delay)


def stamped(text: str, received: float) -> Delays:
    return [(sent, received - sent) for sent in map(float, STAMP.findall(text))]


def steady(delays: Delays) -> list[float]:
    """The delays of tokens sent after the first and before the last second:
    the relay's own pace, without the burst of runs starting and ending."""
    sent = [s for s, _ in delays]
    first, last = min(sent, default=0), max(sent, default=0)
    return [d for s, d in delays if first + 1 <= s <= last - 1]


async def direct_stream(
    client: httpx.AsyncClient, url: str, model: str = "fake-chat"
) -> tuple[float, float, Delays]:
    """(ttft, last token time, delays of stamped tokens) read straight from the upstream."""
    body = {"model": model, "stream": True, "messages": [{"role": "user", "content": "hi"}]}
    start = time.perf_counter()
    first = last = 0.0
    delays: Delays = []
    async with client.stream("POST", f"{url}/v1/chat/completions", json=body) as response:
        async for line in response.aiter_lines():
            if not line.startswith("data: {"):
                continue
            now_wall, now = time.time(), time.perf_counter()
            choices = json.loads(line[6:])["choices"]
            text = "".join((c["delta"].get("content") or "") for c in choices)
            if text:
                first = first or now - start
                last = now - start
                delays += stamped(text, now_wall)
    return first, last, delays


def run_frame(model: str, **more: Any) -> dict[str, Any]:
    """What the workbench page sends when Run is pressed on "hi", streamed."""
    frame = {"type": "run", "model": model, "system_prompt": "", "message": "hi"}
    return {**frame, "param-stream-shown": "1", "param-stream": "true", **more}


class Browser:
    """One workbench page: a session with its draft, and its websocket."""

    def __init__(self, base: str, model: str = "fake-chat"):
        self.base = base
        self.model = model

    async def open(self) -> None:
        # Its own cookie jar: each page is a separate browser with its own draft.
        async with httpx.AsyncClient(timeout=60, verify=False) as client:
            response = await client.get(f"{self.base}/workbench?model={self.model}")
        response.raise_for_status()  # a page that did not load is an error, socket or not
        cookie = "; ".join(f"{k}={v}" for k, v in response.cookies.items())
        ws_url = self.base.replace("http", "ws", 1) + "/ws/relay"
        self.ws = await websockets.connect(
            ws_url,
            additional_headers={"Cookie": cookie, "Origin": self.base},
            max_size=None,
            ssl=INSECURE if ws_url.startswith("wss:") else None,
        )

    async def run(self) -> tuple[float, float, Delays, str]:
        frame = run_frame(self.model)
        start = time.perf_counter()
        await self.ws.send(json.dumps(frame))
        first = last = 0.0
        delays: Delays = []
        while True:
            message = await asyncio.wait_for(self.ws.recv(), 60)
            now_wall, now = time.time(), time.perf_counter()
            found = FINISHED.search(message)
            if found:
                return first, last, delays, found.group(1)
            if NOTICE.search(message) and "run-" not in message:
                raise RuntimeError(f"run refused: {message}")
            if text := TEXT.match(message):
                first = first or now - start
                last = now - start
                delays += stamped(text.group(2), now_wall)

    async def close(self) -> None:
        await self.ws.close()


class ComparePage(Browser):
    """A page comparing ``columns`` columns (the same model in each): one Run, one
    stream per column, all on its one socket."""

    def __init__(self, base: str, columns: int):
        super().__init__(base)
        self.columns = columns

    async def run_columns(self) -> list[tuple[float, Delays]]:
        """Per column, in order: (time to its first text, its delays)."""
        models = ["fake-chat"] * self.columns
        frame = run_frame(
            "fake-chat",
            column="0",
            opened=models,  # the comparison, stored by this first action
            **{f"model-{i}": m for i, m in enumerate(models)},
        )
        start = time.perf_counter()
        await self.ws.send(json.dumps(frame))
        order: list[str] = []
        first: dict[str, float] = {}
        delays: dict[str, Delays] = {}
        ended = 0
        while ended < self.columns:
            message = await asyncio.wait_for(self.ws.recv(), 60)
            now_wall, now = time.time(), time.perf_counter()
            if not order and (ids := STARTED.findall(message)):
                order = ids
            if found := FINISHED.search(message):
                if found.group(1) != "done":
                    raise RuntimeError(f"a column ended {found.group(1)}")
                ended += 1
            elif NOTICE.search(message) and "run-" not in message:
                raise RuntimeError(f"run refused: {message}")
            elif text := TEXT.match(message):
                run = text.group(1)
                first.setdefault(run, now - start)
                delays.setdefault(run, []).extend(stamped(text.group(2), now_wall))
        if len(order) != self.columns:
            raise RuntimeError(f"{len(order)} columns started, not {self.columns}")
        return [(first[run], delays.get(run, [])) for run in order]


async def ttft(servers: Servers, trials: int) -> dict[str, dict]:
    """Time to first token of one stream, direct and through each workbench,
    trial by trial in turn, so drift hits all alike; added = relayed - direct."""
    servers.configure(tokens=5)
    up, _ = servers.upstream(0)
    direct: list[float] = []
    relayed: dict[str, list[float]] = {name: [] for name in servers.trees}
    async with httpx.AsyncClient(timeout=30) as client:
        for _ in range(trials):
            direct.append((await direct_stream(client, up))[0])
            for name in servers.trees:
                page = Browser(servers.web_url(name))  # a new conversation
                await page.open()
                relayed[name].append((await page.run())[0])
                await page.close()
    figures = {"direct": {"ms": _spread(direct)}}
    for name, times in relayed.items():
        added = [r - d for r, d in zip(times, direct, strict=True)]
        figures[name] = {"ms": _spread(times), "added_ms": _spread(added)}
    return figures


def _spread(seconds: list[float]) -> tuple[float, float]:
    """(median, p99) in milliseconds."""
    return statistics.median(seconds) * 1e3, percentile(seconds, 99) * 1e3


async def throughput(servers: Servers, name: str = "current", tokens: int = 5000) -> dict:
    servers.configure(tokens=tokens)
    up, _ = servers.upstream(0)
    async with httpx.AsyncClient(timeout=60) as client:
        _, direct_last, _ = await direct_stream(client, up)
        page = Browser(servers.web_url(name))
        await page.open()
        _, relayed_last, _, _ = await page.run()
        await page.close()
    return {
        "direct_tps": tokens / direct_last,
        "relayed_tps": tokens / relayed_last,
        "ratio": direct_last / relayed_last,
    }


@dataclass
class Share:
    """One load-generator process's part of a row: the workbench its pages open,
    and its streams, each as (fake upstream URL, model reaching that upstream)."""

    base: str
    streams: list[tuple[str, str]]
    timeout: float  # how long to wait for the other processes at each step


def client_process(share: Share, gate, results) -> None:
    """A load-generator process (``--clients``): runs its share of the row and
    puts its figures on ``results``. On failure it breaks the barrier, so the
    others stop waiting for it at once."""
    try:
        results.put(asyncio.run(run_share(share, gate)))
    except BaseException:
        gate.abort()
        raise


async def run_share(share: Share, gate) -> dict:
    """The share's streams read directly, then through the workbench, each phase
    started together across every client process at the barrier ``gate``
    (where the parent waits too: it reads the servers' CPU at the relayed
    phase's start and end). Its own CPU in that phase comes back with it."""

    async def together() -> None:
        await asyncio.to_thread(gate.wait, share.timeout)

    limits = httpx.Limits(max_connections=len(share.streams) + 10)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        await together()
        direct = await asyncio.gather(*(direct_stream(client, u, m) for u, m in share.streams))
    pages = [Browser(share.base, model) for _, model in share.streams]
    opened: list = []
    for start in range(0, len(pages), 50):  # open pages in waves, as people would
        wave = pages[start : start + 50]
        opened += await asyncio.gather(*(p.open() for p in wave), return_exceptions=True)
    failed = [repr(e) for e in opened if isinstance(e, BaseException)]
    pages = [p for p, e in zip(pages, opened, strict=True) if not isinstance(e, BaseException)]
    await together()
    cpu = time.process_time()
    runs = await asyncio.gather(*(p.run() for p in pages), return_exceptions=True)
    cpu = time.process_time() - cpu
    await together()
    await asyncio.gather(*(p.close() for p in pages), return_exceptions=True)
    return {
        "direct": [d for r in direct for d in r[2]],
        "runs": [r for r in runs if not isinstance(r, BaseException)],
        "errors": failed + [repr(r) for r in runs if isinstance(r, BaseException)],
        "cpu": cpu,
    }


def cpu_of(groups: dict[str, list[list[int]]]) -> dict[str, list[float]]:
    """CPU seconds so far of each process (with its descendants), by group."""
    return {
        group: [sum(proc_cpu_seconds(pid) for pid in pids) for pids in procs]
        for group, procs in groups.items()
    }


async def concurrent(
    servers: Servers, name: str, n: int, tokens: int, rate: float, clients: int = 1
) -> dict:
    """N streams at ``rate`` tokens/s, direct and then relayed, split across
    ``clients`` load-generator processes; all N runs are released together."""
    servers.configure(tokens=tokens, rate=rate, stamp=True)
    site = servers.sites[name]
    k = max(1, min(clients, n))
    timeout = 120 + (3 * tokens / rate if rate else 0)
    shares = [
        Share(site.url, [servers.upstream(i) for i in range(j, n, k)], timeout) for j in range(k)
    ]
    pids = {**site.pids(), "fake": [f.pid for f in servers.fakes]}
    groups = {group: [family(pid) for pid in of] for group, of in pids.items()}
    context = multiprocessing.get_context("spawn")  # not a fork of this running loop
    gate, results = context.Barrier(k + 1), context.Queue()
    procs = [context.Process(target=client_process, args=(s, gate, results)) for s in shares]
    for proc in procs:
        proc.start()
    try:
        await asyncio.to_thread(gate.wait, timeout)  # the direct phase starts
        await asyncio.to_thread(gate.wait, timeout)  # the relayed phase starts
        rss_before = sum(proc_rss_mb(w.pid) for w in site.workers)
        cpu_before = cpu_of(groups)
        started = time.perf_counter()
        await asyncio.to_thread(gate.wait, timeout)  # every run has ended
        wall = time.perf_counter() - started
        cpu_after = cpu_of(groups)
        rss = sum(proc_rss_mb(w.pid) for w in site.workers) - rss_before
        shared = [await asyncio.to_thread(results.get, True, timeout) for _ in procs]
    finally:
        for proc in procs:
            proc.join(10)
            if proc.is_alive():
                proc.kill()
    cpu = {g: [a - b for a, b in zip(cpu_after[g], cpu_before[g], strict=True)] for g in groups}
    cpu["clients"] = [s["cpu"] for s in shared]
    ok = [r for s in shared for r in s["runs"] if r[3] == "done"]
    direct_delays = [d for s in shared for _, d in s["direct"]]
    relayed_delays = [d for r in ok for d in r[2]]
    return {
        "n": n,
        "errors": n - len(ok),
        "why": Counter(e[:120] for s in shared for e in s["errors"])
        + Counter(f"ended {r[3]}" for s in shared for r in s["runs"] if r[3] != "done"),
        "direct_p99_ms": percentile(direct_delays, 99) * 1e3,
        "relayed_p99_ms": percentile([d for _, d in relayed_delays], 99) * 1e3,
        "steady_p99_ms": percentile(steady(relayed_delays), 99) * 1e3,
        # The runs were released together: their first tokens measure the start burst.
        "burst_ttft_p99_ms": percentile([r[0] for r in ok], 99) * 1e3,
        "cpu_ms_per_stream": sum(cpu["web"]) / n * 1e3,
        "busy": {g: [seconds / wall for seconds in of] for g, of in cpu.items()},
        "rss_kb_per_stream": rss / n * 1024,
    }


def row(name: str, c: dict) -> str:
    """One line of the concurrent table; the direct p99 starred when the rig was loaded."""
    flag = "*" if not c["direct_p99_ms"] <= DIRECT_LIMIT_MS else " "
    added = c["relayed_p99_ms"] - c["direct_p99_ms"]
    busy = ", ".join(
        f"{group} " + "+".join(f"{v:.0%}" for v in of) for group, of in c["busy"].items()
    )
    return (
        f"  {name:24} {c['n']:5}  {c['errors']:6}  {c['direct_p99_ms']:8.1f}ms{flag}"
        f" {c['relayed_p99_ms']:9.1f}ms  {added:7.1f}ms  {c['steady_p99_ms']:8.1f}ms"
        f"  {c['burst_ttft_p99_ms']:12.1f}ms"
        f"  {c['cpu_ms_per_stream']:7.1f}ms  {c['rss_kb_per_stream']:7.1f}KB"
        f"   busy: {busy}"
    )


def held(c: dict) -> bool:
    """Whether a row is within capacity: no stream failed, steady p99 within the limit."""
    return c["errors"] == 0 and c["steady_p99_ms"] <= STEADY_LIMIT_MS


async def compare(servers: Servers, name: str, columns: int, trials: int, tokens: int) -> dict:
    """One page comparing ``columns`` columns: each column's time to first token beside
    that many direct streams started together (added = column - the direct median of
    its trial), then one long run at 50 tok/s per column for the steady p99."""
    servers.configure(tokens=5)
    up, _ = servers.upstream(0)
    added: list[list[float]] = [[] for _ in range(columns)]
    async with httpx.AsyncClient(timeout=30) as client:
        for _ in range(trials):
            direct = await asyncio.gather(*(direct_stream(client, up) for _ in range(columns)))
            page = ComparePage(servers.web_url(name), columns)
            await page.open()
            firsts = await page.run_columns()
            await page.close()
            baseline = statistics.median(d[0] for d in direct)
            for i, (first, _) in enumerate(firsts):
                added[i].append(first - baseline)
    servers.configure(tokens=tokens, rate=50, stamp=True)
    page = ComparePage(servers.web_url(name), columns)
    await page.open()
    long_run = await page.run_columns()
    await page.close()
    delays = [d for _, column in long_run for d in column]
    return {
        "added_ms": [_spread(column) for column in added],
        "steady_p99_ms": percentile(steady(delays), 99) * 1e3,
        "p99_ms": percentile([d for _, d in delays], 99) * 1e3,
    }


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=200, help="0: skip TTFT and throughput")
    parser.add_argument("--concurrency", default="1,100,500")
    parser.add_argument(
        "--sweep",
        help="N1,N2,...: concurrent rows in this order until one does not hold "
        f"(steady p99 over {STEADY_LIMIT_MS} ms or an error), then the capacity",
    )
    parser.add_argument("--tokens", type=int, help="per concurrent stream (100; 500 to sweep)")
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument(
        "--baseline", help="a commit to measure beside this tree, trial by trial (e.g. HEAD~3)"
    )
    parser.add_argument(
        "--compare", type=int, default=6, help="columns of the compare case (0: skip it)"
    )
    parser.add_argument("--compare-tokens", type=int, default=300)
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="N workbench processes behind nginx on PostgreSQL and Redis "
        "(0: one process reached directly, on SQLite and the in-memory layer)",
    )
    parser.add_argument("--clients", type=int, default=1, help="load-generator processes")
    parser.add_argument("--upstreams", type=int, default=1, help="fake upstream processes")
    parser.add_argument(
        "--pin",
        choices=("auto", "off"),
        default="auto",
        help="auto: with taskset and cores to spare, the workers on cores of their own",
    )
    args = parser.parse_args()
    args.tokens = args.tokens or (500 if args.sweep else 100)
    return args


def machine() -> str:
    """The CPU's model, the cores this run may use and the load before it starts."""
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, flags=re.M)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    cores = len(os.sched_getaffinity(0))
    return f"{model.group(1) if model else 'unknown CPU'}, {cores} cores, load average {load}"


async def single_stream(servers: Servers, trials: int) -> None:
    """Print the one-stream cases: TTFT, interleaved across the trees, and throughput."""
    t = await ttft(servers, trials)
    print(f"TTFT, one stream, {trials} interleaved trials (median / p99):")
    for name, f in t.items():
        added = (
            f"   added {f['added_ms'][0]:6.2f} / {f['added_ms'][1]:6.2f} ms"
            if name in servers.trees
            else ""
        )
        print(f"  {name:24} {f['ms'][0]:7.2f} / {f['ms'][1]:7.2f} ms{added}")
    for name in servers.trees:
        tp = await throughput(servers, name)
        print(
            f"Throughput, one stream, {name}: direct {tp['direct_tps']:.0f} tok/s, relayed "
            f"{tp['relayed_tps']:.0f} tok/s, ratio {tp['ratio']:.2f}"
        )


async def compare_case(servers: Servers, columns: int, trials: int, tokens: int) -> None:
    """Print the compare case for each tree."""
    print(
        f"Compare, {columns} columns on one socket, {trials} trials "
        "(added TTFT per column, median / p99; "
        f"then {tokens} tokens at 50 tok/s per column):"
    )
    for name in servers.trees:
        c = await compare(servers, name, columns, trials, tokens)
        per = "  ".join(f"{i}: {m:.2f} / {p:.2f}" for i, (m, p) in enumerate(c["added_ms"], 1))
        print(f"  {name:24} added TTFT ms  {per}")
        print(
            f"  {name:24} inter-token delay p99 {c['p99_ms']:.1f} ms, "
            f"steady p99 {c['steady_p99_ms']:.1f} ms"
        )


async def concurrent_case(servers: Servers, args: argparse.Namespace) -> None:
    """Print the concurrent rows; with ``--sweep``, each tree's rows stop at the
    first that does not hold, and its capacity follows."""
    print(
        f"Concurrent streams of {args.tokens} tokens at {args.rate:g} tok/s "
        "(inter-token delay = token received - token sent):"
    )
    print(
        "  tree                          N  errors  direct p99  relayed p99  added p99"
        "  steady p99  burst TTFT p99  CPU/stream  RSS/stream"
    )
    held_rows: dict[str, dict] = {}
    failed_rows: dict[str, dict] = {}
    for n in (int(x) for x in (args.sweep or args.concurrency).split(",")):
        for name in [t for t in servers.trees if t not in failed_rows]:
            c = await concurrent(servers, name, n, args.tokens, args.rate, args.clients)
            print(row(name, c))
            for why, count in c["why"].most_common(3):
                print(f"      {count} x {why}")
            if args.sweep:
                (held_rows if held(c) else failed_rows)[name] = c
        if args.sweep and len(failed_rows) == len(servers.trees):
            break
    print(f"  * direct p99 over {DIRECT_LIMIT_MS} ms: the rig (clients, fake upstream) was loaded")
    if args.sweep:
        for name in servers.trees:
            print(capacity(name, held_rows.get(name), failed_rows.get(name), args.rate))


def capacity(name: str, ok: dict | None, failed: dict | None, rate: float) -> str:
    """The capacity line: the largest N that held, with that row's start burst and CPU."""
    limit = f"steady p99 <= {STEADY_LIMIT_MS} ms, no errors"
    n = ok["n"] if ok else 0
    line = f"Capacity, {name}: {n} streams x {rate:g} tok/s ({n * rate:,.0f} tok/s) at {limit}"
    if ok:
        line += f"; burst TTFT p99 {ok['burst_ttft_p99_ms']:.1f} ms"
    if failed:
        line += (
            f"; {failed['n']} did not hold (steady p99 {failed['steady_p99_ms']:.1f} ms, "
            f"{failed['errors']} errors)"
        )
    else:
        line += "; the largest N tried"
    return line


async def main() -> None:
    args = parse_args()
    layout = Layout.choose(max(args.workers, 1), args.pin == "auto")
    print(f"Machine: {machine()}")
    print(f"Layout: {layout.describe(args.workers, args.upstreams, args.clients)}")
    layout.pin_self()
    servers = Servers(args.baseline, args.workers, args.upstreams, layout)
    print(f"Servers' logs: {servers.tmp}")
    servers.start()
    try:
        if args.trials:
            await single_stream(servers, args.trials)
        if args.compare:
            trials = max(args.trials // 4, 5)
            await compare_case(servers, args.compare, trials, args.compare_tokens)
        await concurrent_case(servers, args)
    finally:
        servers.stop()


if __name__ == "__main__":
    asyncio.run(main())
