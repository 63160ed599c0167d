"""make screenshots (bin/screenshots) still takes every picture the README shows."""

import re
import struct
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.browser


def test_the_screenshot_script_takes_each_picture_of_the_readme(tmp_path):
    subprocess.run(
        [sys.executable, "bin/screenshots", "--out", str(tmp_path)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=180,
    )
    shown = re.findall(r"\]\(docs/screenshots/([\w-]+\.png)\)", (ROOT / "README.md").read_text())
    assert len(shown) == 6
    for name in shown:
        png = (tmp_path / name).read_bytes()
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
        width, height = struct.unpack(">II", png[16:24])
        assert (width, height) in {(1280, 800), (390, 844)}, name
        assert (ROOT / "docs" / "screenshots" / name).exists()  # committed as well
