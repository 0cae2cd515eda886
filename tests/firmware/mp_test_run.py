# micropython: asyncio parts only MicroPython has (sleep_ms); run by test_fw_micropython.py.
import asyncio

from doornode import frame as fr
from doornode.node import DoorNode
from doornode.run import serve
from fw_fakes import FakePin, FakeReader, FakeUart


async def test_serve_answers_the_gateway_as_an_asyncio_task():
    uart = FakeUart()
    lock = FakePin()
    node = DoorNode(uart, lock, FakePin(), FakeReader(), 9)
    task = asyncio.create_task(serve(node))
    uart.rx += fr.encode(9, 0, fr.UNLOCK, fr.encode_unlock(30))
    await asyncio.sleep_ms(10)
    replies = uart.take_frames()
    assert [(r.type, r.seq) for r in replies] == [(fr.ACK, 0)]
    assert lock.level == 1
    await asyncio.sleep_ms(60)
    assert lock.level == 0
    task.cancel()
