"""Benchmark the relay: the same streams read directly from the upstream and
through the workbench websocket, side by side, in one run.

    python bench/relay.py [--trials 200] [--concurrency 1,100,500] [--baseline REV]

Starts the fake upstream (tests/fake_upstream.py) and the real workbench app
under daphne (as `python -m workbench.serve` runs it, on uvloop), each in its
own process, on loopback. Prints:
- added time to first token (median, p99) for one stream,
- the throughput ratio (relayed / direct) for one fast stream,
- compare: one page with 6 columns (``--compare N``), one Run streaming every
  column on its one socket: added time to first token per column and the
  steady inter-token p99,
- for N concurrent streams of 50 tokens/s: added inter-token delay p99,
  errors, and the workbench process's CPU and RSS per stream; also the
  relayed p99 of the steady part (tokens sent after the first and before
  the last second, when no run is starting or ending), the p99 time to first
  token of the N runs released together (the start burst) and how busy each
  process was (100 % = one core).
With ``--baseline REV`` the same figures come for that commit too (checked out
in a temporary git worktree), trial by trial beside this tree's.
"""

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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

from tests.ports import free_port  # noqa: E402
from workbench.relay.frames import FINISHED, NOTICE, STARTED, TEXT  # noqa: E402

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


class Servers:
    """The fake upstream and one workbench per source tree (this one, and a
    ``--baseline`` commit checked out beside it), each on its own database."""

    def __init__(self, baseline: str | None = None) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="workbench-bench-"))
        self.fake_port = free_port()
        (self.tmp / "catalog.toml").write_text(
            f'[providers.fake]\nname = "Fake"\nbase_url = "http://127.0.0.1:{self.fake_port}/v1"\n'
            '[[models]]\nid = "fake-chat"\nprovider = "fake"\ndisplay_name = "Fake"\n'
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
        self.trees = {"current": ROOT}
        self.baseline = baseline
        if baseline:
            tree = self.tmp / "baseline"
            git = ["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(tree), baseline]
            subprocess.run(git, check=True)
            self.trees[f"baseline {baseline}"] = tree
        self.web_ports = {name: free_port() for name in self.trees}
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self) -> None:
        # The fake upstream runs under uvicorn (uvloop, httptools): under daphne
        # it took most of a core at 500 streams, CPU the relay then lacked.
        fake = ["uvicorn", "--loop", "uvloop", "--http", "httptools", "--no-access-log"]
        fake += ["--host", "127.0.0.1", "--port", str(self.fake_port), "tests.fake_upstream:app"]
        self._spawn("fake", fake, ROOT, self.env)
        for name, tree in self.trees.items():
            env = {**self.env, "DATABASE_URL": f"sqlite:///{self.tmp / name.split()[0]}.sqlite3"}
            env["PYTHONPATH"] = str(tree)  # the tree's own workbench, not the installed one
            manage = [sys.executable, "manage.py"]
            subprocess.run([*manage, "migrate", "-v0"], cwd=tree, env=env, check=True)
            collect = [*manage, "collectstatic", "--noinput", "-v0"]
            subprocess.run(collect, cwd=tree, env=env, check=True)
            web = ["workbench.serve", "-v0", "-b", "127.0.0.1", "-p", str(self.web_ports[name])]
            self._spawn(name, [*web, "workbench.asgi:application"], tree, env)
        for port in (self.fake_port, *self.web_ports.values()):
            for _ in range(200):
                try:
                    httpx.get(f"http://127.0.0.1:{port}/")
                    break
                except httpx.TransportError:
                    time.sleep(0.05)

    def _spawn(self, name: str, command: list[str], cwd: Path, env: dict) -> None:
        self.procs[name] = subprocess.Popen(
            [sys.executable, "-m", *command],
            cwd=cwd,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def web_url(self, name: str = "current") -> str:
        return f"http://127.0.0.1:{self.web_ports[name]}"

    def stop(self) -> None:
        for proc in self.procs.values():
            proc.terminate()
            proc.wait(10)
        if self.baseline:
            tree = self.trees[f"baseline {self.baseline}"]
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)])

    def configure(self, **cfg) -> None:
        httpx.post(
            f"http://127.0.0.1:{self.fake_port}/_control/config", json=cfg
        ).raise_for_status()


Delays = list[tuple[float, float]]  # (when the upstream sent a token, its delay)


def stamped(text: str, received: float) -> Delays:
    return [(sent, received - sent) for sent in map(float, STAMP.findall(text))]


def steady(delays: Delays) -> list[float]:
    """The delays of tokens sent after the first and before the last second:
    the relay's own pace, without the burst of runs starting and ending."""
    sent = [s for s, _ in delays]
    first, last = min(sent, default=0), max(sent, default=0)
    return [d for s, d in delays if first + 1 <= s <= last - 1]


async def direct_stream(client: httpx.AsyncClient, url: str) -> tuple[float, float, Delays]:
    """(ttft, last token time, delays of stamped tokens) read straight from the upstream."""
    body = {"model": "fake-chat", "stream": True, "messages": [{"role": "user", "content": "hi"}]}
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


class Browser:
    """One workbench page: a session with its draft, and its websocket."""

    def __init__(self, base: str):
        self.base = base

    async def open(self) -> None:
        # Its own cookie jar: each page is a separate browser with its own draft.
        async with httpx.AsyncClient(timeout=60) as client:
            response = await client.get(f"{self.base}/workbench?model=fake-chat")
        cookie = "; ".join(f"{k}={v}" for k, v in response.cookies.items())
        ws_url = self.base.replace("http", "ws") + "/ws/relay"
        self.ws = await websockets.connect(
            ws_url, additional_headers={"Cookie": cookie, "Origin": self.base}, max_size=None
        )

    async def run(self) -> tuple[float, float, Delays, str]:
        frame = {
            "type": "run",
            "model": "fake-chat",
            "system_prompt": "",
            "message": "hi",
            "param-stream-shown": "1",
            "param-stream": "true",
        }
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
        frame = {
            "type": "run",
            "model": "fake-chat",
            "column": "0",
            "opened": models,  # the comparison, stored by this first action
            **{f"model-{i}": m for i, m in enumerate(models)},
            "system_prompt": "",
            "message": "hi",
            "param-stream-shown": "1",
            "param-stream": "true",
        }
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
    up = f"http://127.0.0.1:{servers.fake_port}"
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
    up = f"http://127.0.0.1:{servers.fake_port}"
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


async def concurrent(servers: Servers, name: str, n: int, tokens: int, rate: float) -> dict:
    servers.configure(tokens=tokens, rate=rate, stamp=True)
    base = servers.web_url(name)
    up = f"http://127.0.0.1:{servers.fake_port}"
    limits = httpx.Limits(max_connections=n + 10)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        direct = await asyncio.gather(*(direct_stream(client, up) for _ in range(n)))
        pages = [Browser(base) for _ in range(n)]
        for start in range(0, n, 50):  # open pages in waves, as people would
            await asyncio.gather(*(p.open() for p in pages[start : start + 50]))
        web_pid = servers.procs[name].pid
        pids = {"web": web_pid, "fake": servers.procs["fake"].pid, "client": os.getpid()}
        rss_before = proc_rss_mb(web_pid)
        cpu_before = {name: proc_cpu_seconds(pid) for name, pid in pids.items()}
        started = time.perf_counter()
        results = await asyncio.gather(*(p.run() for p in pages), return_exceptions=True)
        wall = time.perf_counter() - started
        cpu = {name: proc_cpu_seconds(pid) - cpu_before[name] for name, pid in pids.items()}
        rss = proc_rss_mb(web_pid) - rss_before
        await asyncio.gather(*(p.close() for p in pages), return_exceptions=True)
    ok = [r for r in results if not isinstance(r, BaseException) and r[3] == "done"]
    direct_delays = [d for r in direct for d in r[2]]
    relayed_delays = [d for r in ok for d in r[2]]
    return {
        "n": n,
        "errors": n - len(ok),
        "direct_p99_ms": percentile([d for _, d in direct_delays], 99) * 1e3,
        "relayed_p99_ms": percentile([d for _, d in relayed_delays], 99) * 1e3,
        "steady_p99_ms": percentile(steady(relayed_delays), 99) * 1e3,
        # The runs were released together: their first tokens measure the start burst.
        "burst_ttft_p99_ms": percentile([r[0] for r in ok], 99) * 1e3,
        "cpu_ms_per_stream": cpu["web"] / n * 1e3,
        "busy": {name: seconds / wall for name, seconds in cpu.items()},
        "rss_kb_per_stream": rss / n * 1024,
    }


async def compare(servers: Servers, name: str, columns: int, trials: int, tokens: int) -> dict:
    """One page comparing ``columns`` columns: each column's time to first token beside
    that many direct streams started together (added = column - the direct median of
    its trial), then one long run at 50 tok/s per column for the steady p99."""
    servers.configure(tokens=5)
    up = f"http://127.0.0.1:{servers.fake_port}"
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


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--concurrency", default="1,100,500")
    parser.add_argument("--tokens", type=int, default=100)
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument(
        "--baseline", help="a commit to measure beside this tree, trial by trial (e.g. HEAD~3)"
    )
    parser.add_argument(
        "--compare", type=int, default=6, help="columns of the compare case (0: skip it)"
    )
    parser.add_argument("--compare-tokens", type=int, default=300)
    args = parser.parse_args()
    servers = Servers(args.baseline)
    servers.start()
    try:
        t = await ttft(servers, args.trials)
        print(f"TTFT, one stream, {args.trials} interleaved trials (median / p99):")
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
        if args.compare:
            trials = max(args.trials // 4, 5)
            print(
                f"Compare, {args.compare} columns on one socket, {trials} trials "
                "(added TTFT per column, median / p99; "
                f"then {args.compare_tokens} tokens at 50 tok/s per column):"
            )
            for name in servers.trees:
                c = await compare(servers, name, args.compare, trials, args.compare_tokens)
                per = "  ".join(
                    f"{i}: {m:.2f} / {p:.2f}" for i, (m, p) in enumerate(c["added_ms"], 1)
                )
                print(f"  {name:24} added TTFT ms  {per}")
                print(
                    f"  {name:24} inter-token delay p99 {c['p99_ms']:.1f} ms, "
                    f"steady p99 {c['steady_p99_ms']:.1f} ms"
                )
        print(
            f"Concurrent streams of {args.tokens} tokens at {args.rate:g} tok/s "
            "(inter-token delay = token received - token sent):"
        )
        print(
            "  tree                          N  errors  direct p99  relayed p99  added p99"
            "  steady p99  burst TTFT p99  CPU/stream  RSS/stream"
        )
        for n in (int(x) for x in args.concurrency.split(",")):
            for name in servers.trees:
                c = await concurrent(servers, name, n, args.tokens, args.rate)
                added = c["relayed_p99_ms"] - c["direct_p99_ms"]
                print(
                    f"  {name:24} {n:5}  {c['errors']:6}  {c['direct_p99_ms']:8.1f}ms"
                    f"  {c['relayed_p99_ms']:9.1f}ms  {added:7.1f}ms  {c['steady_p99_ms']:8.1f}ms"
                    f"  {c['burst_ttft_p99_ms']:12.1f}ms"
                    f"  {c['cpu_ms_per_stream']:7.1f}ms  {c['rss_kb_per_stream']:7.1f}KB"
                    "   busy: " + ", ".join(f"{k} {v:.0%}" for k, v in c["busy"].items())
                )
    finally:
        servers.stop()


if __name__ == "__main__":
    asyncio.run(main())
