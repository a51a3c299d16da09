"""Security headers on every answer, and CORS for the origins an operator lists.

Three content policies, by what the answer is:

- **API answers** (everything under ``/api/``, and any JSON or problem): ``default-src
  'none'``: an answer of the API is data, never a document that loads anything; a stored
  material downloaded from the API cannot run a script either.
- **/docs** (Swagger UI) may load its own scripts and styles; Swagger UI sets inline styles
  and uses data: images, so its policy allows those, and only there.
- **The web pages and their static assets** (``gateway/web``): ``default-src 'self'``,
  scripts only from the hall's own files (no inline script, no eval), no plugins, no
  ``<base>``, no framing, forms post only here, ``fetch``/``EventSource`` only to this
  origin. Styles only from the hall's files (``style-src 'self'``: no ``<style>`` element,
  no inline style) with one exception, found by the browser test and kept as narrow as it
  goes: bpmn-js 18 (the designer) injects no ``<style>`` element and styles elements through
  the CSSOM (``element.style``, which a content policy does not govern: direct editing, the
  powered-by notice, tiny-svg), but the icons of its context pad's align/distribute entries
  are SVG markup with ``style="…"`` attributes (four distinct declarations, all fill/stroke).
  Refused, their shapes fall back to SVG's default black fill; allowed wholesale
  (``'unsafe-inline'``), any injected markup could style itself. So ``style-src-attr`` allows exactly those four by
  hash (``'unsafe-hashes'``, the CSP keyword for hashes of attributes), nothing else;
  ``tests/unit/gateway/test_security_headers.py`` checks they are the vendored bundle's
  only style attributes, and ``tests/browser/test_content_policy.py`` uses the designer
  (open, rename, context pad, replace menu, align) and finds no violation. ``img-src`` and
  ``font-src`` allow ``data:``: bpmn-js's CSS draws markers as ``data:image/svg+xml``, its
  embedded icon font is a ``data:`` URL, and the layout's empty favicon is ``data:,``.

``Permissions-Policy`` turns off camera, microphone, geolocation, payment, USB and screen
capture for every answer; speech synthesis (the board's spoken calls) is not a
policy-controlled feature, so it stays available. ``Strict-Transport-Security`` is sent in
production only (``APP_ENV=production``, served behind TLS); the embedded demo runs on plain
HTTP at 127.0.0.1, where a browser would remember it for other local services.

CORS: none by default (the pages are same-origin). ``CORS_ORIGINS`` lists exact origins
(``https://dept.example.gov.cn``, comma-separated) whose browser code may call the API; an
allowed origin is echoed back, never ``*``, and ``Access-Control-Allow-Credentials`` is
never sent: tokens and API keys travel in headers, never in cookies.
"""

import base64
import hashlib
import re

from flask import request

from services.common.config import is_demo

COMMON = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=(), display-capture=()",
}
HSTS = "max-age=31536000"
API_POLICY = "default-src 'none'; frame-ancestors 'none'"
DOCS_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "object-src 'none'; frame-ancestors 'none'"
)
# The only style attributes in bpmn-js 18.31.1's bundle: its align/distribute icons.
BPMN_JS_STYLE_ATTRIBUTES = (
    "stroke:currentColor;stroke-width:100;stroke-linecap:round;",
    "fill:none;stroke:currentColor;stroke-width:100;",
    "fill:currentColor;stroke:currentColor;stroke-width:100;opacity:.5;",
    "fill:none;stroke:currentColor;stroke-width:100;stroke-linejoin:round;",
)


def source_hash(text):
    """A CSP hash source for an inline script, style or attribute value."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-hashes' "
    + " ".join(source_hash(declaration) for declaration in BPMN_JS_STYLE_ATTRIBUTES)
    + "; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
JSON_TYPES = ("application/json", "application/problem+json")

CORS_METHODS = "GET, POST, PUT, PATCH, DELETE"
CORS_REQUEST_HEADERS = "Authorization, Content-Type, X-API-Key, X-Request-ID, Idempotency-Key"
CORS_EXPOSED_HEADERS = "X-Request-Id, Retry-After, Location"
CORS_MAX_AGE_SECONDS = "600"
ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:\d{1,5})?$")


def cors_origins(setting):
    """The exact origins of ``CORS_ORIGINS``; anything else (``*``, a path) is refused at start."""
    origins = {entry.strip().lower() for entry in setting.split(",") if entry.strip()}
    wrong = sorted(origin for origin in origins if not ORIGIN.match(origin))
    if wrong:
        raise ValueError(f"CORS_ORIGINS takes exact origins like https://dept.example.gov.cn, not {', '.join(wrong)}")
    return frozenset(origins)


def _content_policy(response):
    if request.path == "/docs" or request.path.startswith("/docs/"):
        return DOCS_POLICY
    if request.blueprint == "web" and response.mimetype not in JSON_TYPES:
        return PAGE_POLICY
    return API_POLICY


def _allow_origin(response, origins):
    response.vary.add("Origin")
    origin = request.headers.get("Origin")
    if origin is None or origin.lower() not in origins:  # scheme and host are case-blind
        return
    response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Access-Control-Expose-Headers"] = CORS_EXPOSED_HEADERS
    if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
        response.headers["Access-Control-Allow-Methods"] = CORS_METHODS
        response.headers["Access-Control-Allow-Headers"] = CORS_REQUEST_HEADERS
        response.headers["Access-Control-Max-Age"] = CORS_MAX_AGE_SECONDS


def secure(app):
    origins = cors_origins(app.config["CORS_ORIGINS"])
    production = not is_demo(app.config)

    @app.after_request
    def _secure(response):
        for name, value in COMMON.items():
            response.headers.setdefault(name, value)
        response.headers.setdefault("Content-Security-Policy", _content_policy(response))
        if production:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        if request.path.startswith("/api/"):
            response.headers.setdefault("Cache-Control", "no-store")
            if origins:
                _allow_origin(response, origins)
        return response
