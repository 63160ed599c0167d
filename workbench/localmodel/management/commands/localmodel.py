"""python manage.py localmodel [--port N] [--prepare-only]"""

import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from workbench.localmodel.server import serve_forever
from workbench.localmodel.weights import WeightsError, ensure_weights


class Command(BaseCommand):
    help = "Prepare the local model (first run downloads ~93 MB) and serve it with llama.cpp."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--port", type=int, default=settings.WORKBENCH_LOCAL_PORT)
        parser.add_argument(
            "--prepare-only", action="store_true", help="fetch and verify the file, then exit"
        )

    def handle(self, *args, port: int, prepare_only: bool, **options) -> None:
        try:
            weights = ensure_weights(log=self.stdout.write)
        except WeightsError as exc:
            raise CommandError(str(exc)) from None
        if prepare_only:
            return
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        self.stdout.write(f"Serving {weights.name} at http://127.0.0.1:{port}/v1 (Ctrl+C stops)")
        try:
            serve_forever(weights, port, stop)
        except WeightsError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write("Local model server stopped.")
