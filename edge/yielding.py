"""Threads that do the floor's background work give the cores to the door's decisions first.

A tap waits for the gateway's decision; the outbox relay and the MQTT network thread only move
events that are already durable. On Linux each thread has its own nice value, so those two run
at a lower priority than the rest of the process: while they drain a backlog, a woken tapping
thread gets a core before them. Raising one's own nice needs no privilege (lowering it again
would, so it is done once per thread and never undone). Elsewhere the call would renice the whole
process, so it does nothing there.
"""

from __future__ import annotations

import logging
import os
import sys
import threading

log = logging.getLogger(__name__)
BACKGROUND_NICE = 10


def run_in_background() -> None:
    """Lower the calling thread's CPU priority (Linux), once; harmless if called again."""
    if sys.platform != "linux":
        return
    tid = threading.get_native_id()
    try:
        if os.getpriority(os.PRIO_PROCESS, tid) < BACKGROUND_NICE:
            os.setpriority(os.PRIO_PROCESS, tid, BACKGROUND_NICE)
    except OSError as exc:  # a sandbox that forbids it: the thread keeps its priority
        log.debug("thread priority unchanged: %s", exc)
