"""Run daphne on uvloop: ``python -m workbench.serve [daphne's arguments]``.

Relaying a stream costs the web process CPU for every token; on uvloop it
costs about a quarter less than on asyncio's own loop (docs/benchmarks.md),
so one process carries more streams. daphne has no option for it, but keeps
a Twisted asyncio reactor that is already installed, so this installs one
on a uvloop loop first, then hands over to daphne's command line, with
the websocket message limit the relay expects (``limits.MAX_FRAME_BYTES``).
"""

import sys

import uvloop
from twisted.internet import asyncioreactor

from workbench.limits import MAX_FRAME_BYTES


def install_reactor() -> None:
    loop = uvloop.new_event_loop()
    asyncioreactor.install(loop)
    from twisted.internet import defer, reactor

    def close_upstream() -> defer.Deferred:
        from workbench.relay import upstream  # needs Django's settings, set up by then

        return defer.Deferred.fromFuture(loop.create_task(upstream.close()))

    # The relay's shared client closes its connections before the loop stops.
    reactor.addSystemEventTrigger("before", "shutdown", close_upstream)


def main() -> None:
    install_reactor()
    from daphne.cli import CommandLineInterface  # imports the reactor installed above

    for option in ("--websocket-max-message-size", "--websocket-max-frame-size"):
        if not any(a.startswith(option) for a in sys.argv):
            sys.argv[1:1] = [option, str(MAX_FRAME_BYTES)]
    CommandLineInterface.entrypoint()


if __name__ == "__main__":
    main()
