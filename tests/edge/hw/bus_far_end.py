"""A scripted far end of a pty: answers the n-th command with whatever bytes it is told."""

from __future__ import annotations

import os
import select
import threading
import tty
from collections.abc import Callable

from firmware.doornode import frame as fr

Script = Callable[[fr.Frame, int], bytes]


class ScriptedEnd:
    """The node's end of a pty answering the n-th command with whatever a script returns."""

    def __init__(self, script: Script) -> None:
        self._master, self._slave = os.openpty()
        tty.setraw(self._master)
        self.device = os.ttyname(self._slave)
        self.script = script
        self.commands: list[fr.Frame] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        decoder = fr.Decoder()
        while not self._stop.is_set():
            ready, _, _ = select.select([self._master], [], [], 0.01)
            if not ready:
                continue
            for frame in decoder.feed(os.read(self._master, 4096)):
                self.commands.append(frame)
                answer = self.script(frame, len(self.commands))
                if answer:
                    os.write(self._master, answer)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        os.close(self._master)
        os.close(self._slave)
