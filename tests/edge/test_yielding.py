"""The relay's and the MQTT network thread's lower priority: their own, not the process's."""

from __future__ import annotations

import os
import sys
import threading

import pytest

from edge.yielding import BACKGROUND_NICE, run_in_background


@pytest.mark.skipif(sys.platform != "linux", reason="per-thread nice values are Linux's")
def test_a_background_thread_lowers_its_own_priority_and_not_the_process() -> None:
    seen: list[int] = []

    def work() -> None:
        run_in_background()
        run_in_background()  # again: no change, no error
        seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))

    before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    thread = threading.Thread(target=work)
    thread.start()
    thread.join(5)
    assert seen == [max(before, BACKGROUND_NICE)]
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == before
