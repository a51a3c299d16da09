"""The platform clock, driven by the simulator (demo mode only): each simulated moment the
simulator acts at, the clock is set to it, so a day and the following working days pass in
minutes. The offset is from real time, so the platform's time runs on at real speed between
two moves; the clock only ever moves forward."""

import time
from datetime import UTC, datetime

SETTLE_SECONDS = 0.3  # the monitor broadcasts a move; every service applies it a moment later


class PlatformClock:
    def __init__(self, gateway, admin="admin"):
        self.gateway = gateway
        self.admin = admin
        self.moves = 0
        self.original_offset = None
        self.offset_seconds = 0.0

    def now(self):
        return datetime.fromisoformat(self.gateway.get("/api/v1/admin/clock", as_user=self.admin)["now"])

    def remember(self):
        self.original_offset = self.gateway.get("/api/v1/admin/clock", as_user=self.admin)["offset_ms"]
        self.offset_seconds = self.original_offset / 1000

    def move_to(self, moment, settle=False):
        """Set the platform's time to ``moment`` (not earlier than it already is; the
        simulator is the only one moving the clock while it runs)."""
        offset = (moment - datetime.now(UTC)).total_seconds()
        if offset > self.offset_seconds:
            answer = self.gateway.post("/api/v1/admin/clock", as_user=self.admin, json={"offset_seconds": offset})
            self.offset_seconds = answer["offset_ms"] / 1000
            self.moves += 1
            if settle:
                time.sleep(SETTLE_SECONDS)

    def restore(self):
        """Back to the offset the clock had before the simulation."""
        if self.original_offset is not None:
            self.gateway.post(
                "/api/v1/admin/clock", as_user=self.admin, json={"offset_seconds": self.original_offset / 1000}
            )
