"""axe-core in the browser tests: fetched from npm by the test set-up, never a CDN.

The pages send a strict CSP, so a <script> tag (Playwright's add_script_tag)
would be refused; an init script is injected by the browser itself, before
the page's own scripts, and is not subject to the page's CSP.
"""

import json
import subprocess
from pathlib import Path

from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parent.parent
VERSION = "4.14.1"
PREFIX = ROOT / ".cache" / "axe-core"  # git-ignored; owned by the test set-up
SCRIPT = PREFIX / "node_modules" / "axe-core" / "axe.min.js"

# Default rules plus WCAG 2.2's target-size, which axe leaves off by default.
OPTIONS = {"rules": {"target-size": {"enabled": True}}, "resultTypes": ["violations"]}


def installed() -> Path:
    """The axe-core script, installed with npm on first use (a fresh clone, CI)."""
    stamp = PREFIX / "node_modules" / "axe-core" / "package.json"
    if not stamp.exists() or json.loads(stamp.read_text())["version"] != VERSION:
        subprocess.run(
            [
                "npm",
                "install",
                "--prefix",
                str(PREFIX),
                "--no-save",
                "--no-package-lock",
                "--no-audit",
                "--no-fund",
                f"axe-core@{VERSION}",
            ],
            check=True,
            capture_output=True,
        )
    return SCRIPT


def violations(page: Page) -> list[str]:
    """Every axe violation on the page as it is now, one line per node."""
    result = page.evaluate("options => axe.run(document, options)", OPTIONS)
    return [
        f"{v['id']} ({v['impact']}): {node['target']} — {node['failureSummary']}"
        for v in result["violations"]
        for node in v["nodes"]
    ]


def assert_none(found: dict[str, list[str]]) -> None:
    """Fail with every violation of every view, not just the first difference."""
    bad = {view: lines for view, lines in found.items() if lines}
    assert not bad, "\n".join(f"{view}:\n  " + "\n  ".join(lines) for view, lines in bad.items())
