"""A process designer's Camunda Modeler diagram names lanes "Clerk" and "Manager", which the
hall does not know: the designer page lists them as unmapped, and the designer maps them to the
hall's roles there."""

from pathlib import Path

from playwright.sync_api import expect

KEY = "browser_signboard_permit"
DIAGRAM = (
    (Path(__file__).resolve().parents[1] / "fixtures" / "camunda_lanes_clerk_manager.bpmn")
    .read_text(encoding="utf-8")
    .replace('id="signboard_permit"', f'id="{KEY}"')
)


def test_a_designer_maps_the_roles_a_diagram_names_on_the_designer_page(pages, gateway):
    deployed = gateway.post("/api/v1/processes", as_user="designer", json={"xml": DIAGRAM})
    assert deployed.json()["unmapped_roles"] == ["Clerk", "Manager"]
    page = pages.open("/designer", viewport=(1400, 1000))
    pages.sign_in(page, "designer")
    expect(page.locator("#versions tr").first).to_be_visible()
    page.get_by_label("已部署流程").select_option(KEY)
    expect(page.locator("#role-findings")).to_contain_text("Clerk、Manager")

    page.get_by_label("Clerk 对应的大厅角色").select_option("clerk")
    page.get_by_label("Manager 对应的大厅角色").select_option("chief")
    page.get_by_label("Manager 的部门").select_option("market_regulation")
    page.get_by_role("button", name="保存角色映射").click()

    expect(page.locator("#roles-result")).to_have_text("角色映射已保存。")
    expect(page.locator("#role-findings")).to_have_text("所有角色均为大厅角色或已映射。")
    mapping = gateway.get(f"/api/v1/processes/{KEY}/roles", as_user="designer").json()
    assert mapping["unmapped_roles"] == [] and {
        e["diagram_role"]: (e["role"], e["department"]) for e in mapping["roles"]
    } == {"Clerk": ("clerk", None), "Manager": ("chief", "market_regulation")}
