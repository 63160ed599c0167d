"""Run llama.cpp's HTTP server in this process through xllamacpp."""

import os
import threading
from pathlib import Path

from workbench.localmodel.weights import WeightsError

MODEL_ALIAS = "smollm2-135m-instruct"
CONTEXT = 8192
# llama.cpp would otherwise generate until the context is full: minutes of
# rambling from a 135M model. The catalog's schema states this default.
DEFAULT_MAX_TOKENS = 512
# A comparison runs up to six columns at once (chat.models.MAX_COLUMNS): one slot
# each. llama.cpp splits n_ctx across its slots (its unified KV cache would let one
# slot take the whole of it instead), so each slot keeps CONTEXT tokens only if
# n_ctx is SLOTS times CONTEXT. What it costs in memory: README, "Local model".
SLOTS = 6


def start_server(weights: Path, port: int, host: str = "127.0.0.1"):
    """Start serving; the returned object keeps the server alive until deleted."""
    try:
        import xllamacpp
    except ImportError:
        raise WeightsError(
            "The xllamacpp package is missing: run 'make setup' (or pip install xllamacpp)."
        ) from None
    params = xllamacpp.CommonParams()
    params.model.path = str(weights)
    params.model_alias = {MODEL_ALIAS}
    params.n_parallel = SLOTS
    params.n_ctx = SLOTS * CONTEXT
    params.kv_unified = False  # a slot never holds more than its own CONTEXT
    params.n_predict = DEFAULT_MAX_TOKENS
    params.port = port
    params.hostnames = [host]
    # llama.cpp allows every origin by default, so any web page could use the
    # model through the visitor's browser. Only the workbench's own origin may.
    params.cors_origins = f"http://127.0.0.1:{os.environ.get('PORT', '8000')}"
    return xllamacpp.Server(params)


def serve_forever(weights: Path, port: int, stop: threading.Event) -> None:
    server = start_server(weights, port)
    try:
        stop.wait()
    finally:
        del server
