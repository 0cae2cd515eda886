# Millisecond ticks with MicroPython's wrap-around arithmetic, also under CPython.
try:
    from time import ticks_add, ticks_diff, ticks_ms
except ImportError:  # CPython (the gateway's simulated node): same arithmetic, 2**30 period
    import time

    _PERIOD = 1 << 30
    _HALF = _PERIOD >> 1

    def ticks_ms():
        return int(time.monotonic() * 1000) & (_PERIOD - 1)

    def ticks_add(ticks, delta):
        return (ticks + delta) & (_PERIOD - 1)

    def ticks_diff(end, start):
        return ((end - start + _HALF) & (_PERIOD - 1)) - _HALF
