"""Starts the platform's real parts on this machine: a private RabbitMQ node, the
embedded MongoDB-wire server, the five services and the gateway.

Used by `make up` (``python -m stack``) and by the test suite's session fixtures, so
that what the tests run is what a newcomer runs.
"""
