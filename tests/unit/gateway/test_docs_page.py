"""The reference page at /docs is Swagger UI over /openapi.json, from local assets only."""

import re


def test_the_docs_page_loads_only_local_assets_and_the_served_document(client):
    page = client.get("/docs")

    assert page.status_code == 200 and page.mimetype == "text/html"
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.get_data(as_text=True))
    assert sources and all(s.startswith("/docs/assets/") for s in sources)
    for source in sources:
        asset = client.get(source)
        assert asset.status_code == 200 and asset.mimetype in ("text/javascript", "text/css"), source
        assert asset.get_data(), source
    assert '"/openapi.json"' in client.get("/docs/assets/init.js").get_data(as_text=True)


def test_the_bundle_is_swagger_ui_5_which_reads_openapi_3_1(client):
    bundle = client.get("/docs/assets/swagger-ui-bundle.js").get_data(as_text=True)

    assert "SwaggerUIBundle" in bundle and "3.1" in client.get("/openapi.json").get_json()["openapi"]
    assert re.search(r'"5\.\d+\.\d+"', bundle)


def test_an_asset_outside_the_list_is_a_404_problem(client):
    for name in ("index.css", "..%2F__init__.py", "swagger-editor.js"):
        answer = client.get(f"/docs/assets/{name}")
        assert answer.status_code == 404 and answer.mimetype == "application/problem+json", name
