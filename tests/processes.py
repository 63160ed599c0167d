"""Waiting for and stopping server subprocesses: for the suite and for the
benchmark, which imports this without pytest or the suite's environment
(tests/conftest.py rewrites os.environ on import; this module does nothing)."""

import socket
import subprocess
import time


def wait_for_port(port: int, proc: subprocess.Popen, timeout: float = 30) -> None:
    """Until something listens on ``port``; fails at once if ``proc`` exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {timeout} s")


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL if it has not gone after 10 s."""
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
