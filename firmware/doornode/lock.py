# The door's lock: a relay (strike or motor driver) and, where fitted, the lock's own sensor
# (a strike or bolt monitor contact) that says what the lock really did. The lock's state is
# reported as it changes; a lock whose sensor does not follow the relay is a fault, and a
# release the sensor never confirms is withdrawn: the relay goes back to locked.
from . import frame as fr
from .clock import ticks_add, ticks_diff

FEEDBACK_MS = 300  # a strike or motor lock moves well within this


class Lock:
    def __init__(self, relay, report, now_ms, active=1, sense=None, sense_unlocked=1,
                 feedback_ms=FEEDBACK_MS):
        self.relay, self.report, self.active = relay, report, active
        self.sense, self.sense_unlocked, self.feedback_ms = sense, sense_unlocked, feedback_ms
        self.commanded = None  # True while the relay is told to release
        self.reported = None  # the state last reported (True: unlocked)
        self.expect_by = None  # the sensor must agree with the relay by then
        self.no_feedback = 0
        self.drive(False, now_ms)

    def drive(self, unlocked, now_ms):
        if unlocked == self.commanded:
            return
        self.commanded = unlocked
        self.relay.value(self.active if unlocked else 1 - self.active)
        if self.sense is None:
            self._report(unlocked, 0, now_ms)
        else:
            self.expect_by = ticks_add(now_ms, self.feedback_ms)

    def sensed(self):
        """What the sensor says (True: unlocked), or None without one."""
        if self.sense is None:
            return None
        return self.sense.value() == self.sense_unlocked

    def check(self, now_ms):
        """Report what the sensor says; withdraw a release it never confirms."""
        sensed = self.sensed()
        if sensed is None:
            return
        self._report(sensed, fr.LOCK_SENSED, now_ms)
        if self.expect_by is None:
            return
        if sensed == self.commanded:
            self.expect_by = None
        elif ticks_diff(now_ms, self.expect_by) >= 0:
            self.expect_by = None
            self.no_feedback += 1
            self.report(fr.FAULT, fr.FAULT_LOCK_NO_FEEDBACK, now_ms)
            if self.commanded:
                self.drive(False, now_ms)

    def _report(self, unlocked, flags, now_ms):
        if unlocked != self.reported:
            self.reported = unlocked
            self.report(fr.LOCK, (not unlocked, flags), now_ms)
