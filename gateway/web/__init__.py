"""The hall's web pages: templates and static scripts that call the same REST API as every
department system (fetch with the bearer token from ``/api/v1/auth/token``, kept in
sessionStorage). No page reads a service by any other way.

Each page is one template and one script; ``layout.html`` and ``static/app.js`` are shared
(language switch, sign-in, API calls, problem messages). bpmn-js for the designer is copied
into ``static/vendor/`` by ``scripts/install.sh`` from ``web/package-lock.json``.
"""

from flask import Blueprint, render_template

bp = Blueprint("web", __name__, template_folder="templates", static_folder="static", static_url_path="/web/static")

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
