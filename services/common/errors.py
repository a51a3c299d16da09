"""Errors that cross RPC with a stable machine-readable code.

nameko sends a remote exception as ``{"exc_type", "exc_path", "exc_args", "value"}``;
the class name is the code the gateway maps to an HTTP status (one table, in
``gateway/problems.py``). ``exc_args`` is ``[detail, errors]``: a sentence for people
and an optional list of ``{"field", "message"}`` for programs.
"""


class HallError(Exception):
    """Base of every error a service raises on purpose."""

    def __init__(self, detail, errors=None):
        super().__init__(detail, errors or [])
        self.detail = detail
        self.errors = errors or []

    def __str__(self):
        return self.detail


class InvalidInput(HallError):
    """The request is well-formed but breaks a rule (422)."""


class NotFound(HallError):
    """No such thing, or not visible to the caller (404)."""


class Conflict(HallError):
    """The thing is in a state that does not allow this (409)."""


class Forbidden(HallError):
    """The caller's role or department may not do this (403)."""


class RequestInProgress(Conflict):
    """A request with the same idempotency key is still running (409 with ``Retry-After``):
    ``exc_args`` are ``[detail, [], retry_after seconds]``."""

    def __init__(self, detail, retry_after):
        HallError.__init__(self, detail)
        self.args = (detail, [], retry_after)
        self.retry_after = retry_after
