# Drive a DoorNode on the board: a blocking loop or an asyncio task.
from .clock import ticks_ms


def run_forever(node, period_ms=1):
    import time

    while True:
        node.step(ticks_ms())
        time.sleep_ms(period_ms)


async def serve(node, period_ms=1):
    import asyncio

    while True:
        node.step(ticks_ms())
        await asyncio.sleep_ms(period_ms)
