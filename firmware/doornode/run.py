# Drive a DoorNode on the board: a blocking loop or an asyncio task.
#
# Between steps the loop waits up to period_ms, but wakes as soon as the gateway's bytes reach
# the UART (select.poll on it, where the port offers it): a DECISION is acted on when it
# arrives, not up to a period later.
from .clock import ticks_ms


def uart_poller(uart):
    """A select.poll watching the UART for input, or None where the port cannot poll it."""
    try:
        import select

        poller = select.poll()
        poller.register(uart, select.POLLIN)
        return poller
    except (ImportError, AttributeError, TypeError, ValueError, OSError):
        return None


def run_forever(node, period_ms=1):
    import time

    poller = uart_poller(node.uart)
    while True:
        node.step(ticks_ms())
        if poller is None:
            time.sleep_ms(period_ms)
        else:
            poller.poll(period_ms)


async def serve(node, period_ms=1):
    import asyncio

    while True:
        node.step(ticks_ms())
        await asyncio.sleep_ms(period_ms)
