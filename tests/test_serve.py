"""The web process's launcher (workbench/serve.py)."""

import subprocess
import sys


def test_served_on_uvloop():
    """The Procfile's launcher puts daphne's reactor on a uvloop loop."""
    code = (
        "import workbench.serve as s; s.install_reactor(); import daphne.server; "
        "from twisted.internet import reactor; print(type(reactor._asyncioEventloop).__module__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "uvloop"
