"""Waiting for what crosses the broker: events and replies arrive a moment later."""

import time


def eventually(probe, what, timeout=20):
    """``probe()``'s first true answer within ``timeout`` seconds, or a failure naming ``what``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = probe()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")
