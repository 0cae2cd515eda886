# Millisecond ticks with MicroPython's wrap-around arithmetic, also under CPython.
try:
    # the board's own ticks; the CPython stand-ins below declare them as plain ints
    from time import ticks_add, ticks_diff, ticks_ms  # pyright: ignore[reportAssignmentType]
except ImportError:  # CPython (the gateway's simulated node): same arithmetic, 2**30 period
    import time

    _PERIOD = 1 << 30
    _HALF = _PERIOD >> 1

    def ticks_ms():
        now = time.monotonic()  # pyright: ignore[reportAttributeAccessIssue] (CPython only)
        return int(now * 1000) & (_PERIOD - 1)

    def ticks_add(ticks, delta):
        return (ticks + delta) & (_PERIOD - 1)

    def ticks_diff(end, start):
        return ((end - start + _HALF) & (_PERIOD - 1)) - _HALF
