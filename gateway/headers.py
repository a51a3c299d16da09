"""Security headers on every answer. The API's JSON gets a policy that loads nothing; the
reference page at /docs may load its own scripts and styles (Swagger UI sets inline
styles and data: images). The web pages (``gateway/web``) get the headers that cannot
break a page; their content policy is left to that module's owner."""
from flask import request

COMMON = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"}
API_POLICY = "default-src 'none'; frame-ancestors 'none'"
DOCS_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
               "object-src 'none'; frame-ancestors 'none'")


def _secure(response):
    for name, value in COMMON.items():
        response.headers.setdefault(name, value)
    if request.path.startswith("/docs"):
        response.headers.setdefault("Content-Security-Policy", DOCS_POLICY)
    elif response.mimetype in ("application/json", "application/problem+json"):
        response.headers.setdefault("Content-Security-Policy", API_POLICY)
    if request.path.startswith("/api/"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def secure(app):
    app.after_request(_secure)
