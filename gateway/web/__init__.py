"""The hall's web pages: templates and static scripts that call the same REST API as every
department system (fetch with the bearer token from ``/api/v1/auth/token``, kept in
sessionStorage). No page reads a service by any other way.

Each page is one template and one script; ``layout.html`` and ``static/app.js`` are shared
(language switch, sign-in, API calls, problem messages). bpmn-js for the designer is copied
into ``static/vendor/`` by ``scripts/install.sh`` from ``web/package-lock.json``.
"""
from flask import Blueprint, render_template

bp = Blueprint("web", __name__, template_folder="templates", static_folder="static",
               static_url_path="/web/static")

# path -> template; the pages are public, their data is guarded by the API they call
PAGES = {
    "/": "applicant.html",
    "/board": "board.html",
    "/work": "work.html",
    "/supervision": "supervision.html",
    "/designer": "designer.html",
    "/catalog": "catalog.html",
}


def _page(template):
    name = template.removesuffix(".html")

    def view():
        return render_template(template, page=name)
    view.__name__ = name
    return view


for _path, _template in PAGES.items():
    bp.add_url_rule(_path, view_func=_page(_template))


def _html(summary):
    return {"get": {"summary": summary, "tags": ["pages"],
                    "responses": {"200": {"description": "The page (HTML); its data comes from this API.",
                                          "content": {"text/html": {"schema": {"type": "string"}}}}}}}


PATHS = {
    "/": _html("Applicant pages: catalog, appointments, case lookup, supplements, evaluation, complaints."),
    "/board": _html("The hall's display board: last calls per window, people waiting, spoken calls."),
    "/work": _html("Staff work list and task pages (sign in on the page)."),
    "/supervision": _html("Electronic supervision: warnings, accountability, complaints, rates (supervisors)."),
    "/designer": _html("Process designer: the bpmn-js modeler, opening a diagram file, validation, deployment, "
                       "versions, role mapping, test runs, migration of running cases."),
    "/catalog": _html("Catalog management: items, their versions, publication, retirement, process binding "
                      "(admins; process designers the binding)."),
    "/web/static/{filename}": {"get": {
        "summary": "Scripts, styles and the bpmn-js assets of the pages.", "tags": ["pages"],
        "parameters": [{"name": "filename", "in": "path", "required": True, "description": "Asset path.",
                        "schema": {"type": "string", "maxLength": 200}}],
        "responses": {"200": {"description": "The file.", "content": {"*/*": {"schema": {"type": "string"}}}},
                      "404": {"description": "No such asset.",
                              "content": {"application/problem+json": {
                                  "schema": {"$ref": "#/components/schemas/Problem"}}}}}}},
}
SCHEMAS = {}
