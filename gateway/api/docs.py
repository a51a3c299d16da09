"""The API's reference page at ``/docs``: Swagger UI (5.x, which reads OpenAPI 3.1) over
``/openapi.json``, served from local assets only (no CDN).

The assets come from the PyPI package ``swagger-ui-py`` (pinned in pyproject.toml), read
from the installed package, so nothing large is copied into the repository and no npm
step is needed. Only the three files the page uses are served."""

from pathlib import Path

import swagger_ui
from flask import Blueprint, Response, abort, send_from_directory

ASSETS_DIR = Path(swagger_ui.__file__).parent / "static"
ASSETS = {"swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css"}

bp = Blueprint("docs", __name__)

PAGE = """<!doctype html>
<html lang="zh-CN">
<head>
  <meta charset="utf-8">
  <title>政务服务中心 API — Government service hall gateway</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
  <script src="/docs/assets/init.js"></script>
</body>
</html>
"""

# A file of its own rather than an inline script, so the page keeps a strict script-src.
INIT = """window.ui = SwaggerUIBundle({
  url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: "StandaloneLayout", persistAuthorization: false, tryItOutEnabled: false
});
"""


@bp.get("/docs")
def page():
    return Response(PAGE, mimetype="text/html")


@bp.get("/docs/assets/<name>")
def asset(name):
    if name == "init.js":
        return Response(INIT, mimetype="text/javascript")
    if name not in ASSETS:
        abort(404)
    return send_from_directory(ASSETS_DIR, name, max_age=86400)
