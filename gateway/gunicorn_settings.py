"""How gunicorn runs the gateway, wherever it runs (``make up``, the image, k8s):
``gunicorn -c python:gateway.gunicorn_settings --bind HOST:PORT 'gateway:create_app()'``.

One worker process with 16 threads: the gateway waits on RPC replies, not on its own CPU,
and one process keeps one set of broker links (docs/architecture.md).

``keepalive``: how long an idle client connection stays open. gunicorn's default (2 s) is
shorter than the pause between two presses of a window's "call next" button, so each call
opened a new connection, and a request sent just as the server closed the idle one failed
with "connection closed without response". 75 s outlasts the usual 60 s idle timeout of a
proxy or load balancer in front, so the proxy, not gunicorn, closes first.
"""
workers = 1
threads = 16
keepalive = 75
