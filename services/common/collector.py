"""Python's cycle collector, kept off the request path.

A full (oldest-generation) collection walks every object the process holds, and after start-up
that is mostly what the imports built: nameko, eventlet, pymongo, mongoengine, SpiffWorkflow,
Flask. Measured in each platform process during ``bench/queue_calls.py``: 30–60 ms per full
collection, a few times a minute, with the interpreter stopped meanwhile, so every request in
flight waited that long (the queue's call tail). ``gc.freeze()`` moves the objects alive at
start-up out of the collector's sight; they are still freed by reference counting when dropped,
only cycles among them stay (start-up objects live as long as the process anyway). Later
collections then walk what requests create, a small fraction of a millisecond.
"""

import gc


def freeze_start_up_objects():
    """Collect once, then freeze what is left: call when the process has imported and built
    what it keeps for its life, before it serves."""
    gc.collect()
    gc.freeze()
