"""nginx in front of test servers, configured by the repository's deploy/nginx.conf.

The site file is used as it is, but for the lines it marks EDIT (ports, workers,
certificate), which ``site`` replaces; each must be there exactly once, so a
change to the file that this does not follow fails loudly rather than quietly
testing something else. nginx runs in the foreground with everything it writes
(pid, logs, temporary files) in a directory of its own.
"""

import os
import pwd
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from tests.processes import stop, wait_for_port

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "deploy" / "nginx.conf"
WORKERS = "    server 127.0.0.1:8001;\n    server 127.0.0.1:8002;\n"
HOST = "workbench.example.org"


def executable() -> str:
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    assert found, "nginx is not installed: run bin/test-deps"
    return found


def site(http_port: int, https_port: int, workers: list[int], cert: Path, key: Path) -> str:
    """deploy/nginx.conf for nginx on these loopback ports, in front of these workers."""
    text = SITE.read_text()
    edits = {
        WORKERS: "".join(f"    server 127.0.0.1:{port};\n" for port in workers),
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen 443 ssl;": f"listen 127.0.0.1:{https_port} ssl;",
        f"ssl_certificate /etc/letsencrypt/live/{HOST}/fullchain.pem;": f"ssl_certificate {cert};",
        f"ssl_certificate_key /etc/letsencrypt/live/{HOST}/privkey.pem;": (
            f"ssl_certificate_key {key};"
        ),
    }
    for old, new in edits.items():
        assert text.count(old) == 1, f"deploy/nginx.conf no longer has {old!r} once"
        text = text.replace(old, new)
    return text


def main_config(prefix: Path, site_file: Path) -> str:
    """A whole nginx.conf around the site file, writing only under ``prefix``."""
    # Started as root, nginx would run its workers as "nobody", who may not enter
    # the prefix (a private temporary directory): then keep the current user.
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};" if os.geteuid() == 0 else ""
    temp = "\n".join(
        f"    {kind}_temp_path {prefix / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""{user}
worker_processes 1;
error_log {prefix / "error.log"} info;
pid {prefix / "nginx.pid"};
events {{}}
http {{
    access_log {prefix / "access.log"};
{temp}
    include {site_file};
}}
"""


def certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
        + ["-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", cert],
        check=True,
        capture_output=True,
    )
    return cert, key


@contextmanager
def running(
    prefix: Path,
    http_port: int,
    https_port: int,
    workers: list[int],
    launcher: Sequence[str] = (),
) -> Iterator[subprocess.Popen]:
    """nginx serving deploy/nginx.conf on the two ports, until the block ends.
    ``launcher`` goes before the command (bench/relay.py pins nginx to cores of
    its own with ``taskset -c``); the block gets nginx's master process."""
    prefix.mkdir(parents=True, exist_ok=True)
    cert, key = certificate(prefix)
    site_file = prefix / "workbench.conf"
    site_file.write_text(site(http_port, https_port, workers, cert, key))
    conf = prefix / "nginx.conf"
    conf.write_text(main_config(prefix, site_file))
    command = [executable(), "-p", f"{prefix}/", "-c", str(conf)]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    with open(prefix / "stderr.log", "ab") as out:
        proc = subprocess.Popen(
            [*launcher, *command, "-g", "daemon off;"], stdout=out, stderr=subprocess.STDOUT
        )
    try:
        wait_for_port(https_port, proc)
        yield proc
    finally:
        stop(proc)
