"""How gunicorn runs the gateway, wherever it runs (``make up``, the image, k8s):
``gunicorn -c python:gateway.gunicorn_settings --bind HOST:PORT 'gateway:create_app()'``.

One worker process with 16 threads: the gateway waits on RPC replies, not on its own CPU,
and one process keeps one set of broker links (docs/decisions/0012).

``keepalive``: how long an idle client connection stays open. gunicorn's default (2 s) is
shorter than the pause between two presses of a window's "call next" button, so each call
opened a new connection, and a request sent just as the server closed the idle one failed
with "connection closed without response". 75 s outlasts the usual 60 s idle timeout of a
proxy or load balancer in front, so the proxy, not gunicorn, closes first.

``worker_class``: gunicorn's thread worker whose own refusals (a malformed request line, a URI
or header block over its limits) are problem+json like the app's (gateway/gunicorn_worker.py).

``worker_tmp_dir``: the worker tells the arbiter it is alive by changing the times of a
temporary file on every turn of its loop, that is for every request. In the system's temporary
directory (a disk here) that is a journaled change of an inode: a tenth of the gateway's CPU per
request in a profile, and it can block the worker for as long as the file system takes
(gunicorn's documentation says so). ``/dev/shm`` is memory.
"""

import os

from gateway.staff_roster import send_complete_in_background
from services.common.collector import freeze_start_up_objects

workers = 1
threads = 16
worker_class = "gateway.gunicorn_worker.ProblemWorker"
keepalive = 75
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None


def post_worker_init(worker):
    """The app is loaded: keep its start-up objects out of the cycle collector's walks, and
    send the approval service the staff roster (``gateway/staff_roster.py``)."""
    freeze_start_up_objects()
    send_complete_in_background(worker.wsgi)
