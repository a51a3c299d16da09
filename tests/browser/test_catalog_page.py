"""Catalog management on the page: an admin creates an item, sees a broken rule beside its
field, saves and publishes it; an applicant's case is submitted under it; a process designer
pins the process version and may change nothing else; the admin retires the item."""

import json

from playwright.sync_api import expect

from tests.browser.hall import PERSON, apply

MATERIALS = [{"code": "application_form", "name": "申请书", "form": "paper", "required": True}]


def catalog_page(pages, user):
    page = pages.open("/catalog", viewport=(1400, 1000))
    pages.sign_in(page, user)
    expect(page.locator("#catalog-items tr").first).to_be_visible()
    return page


def test_an_admin_creates_and_publishes_an_item_and_a_designer_pins_its_process(pages, gateway, console):
    console.allow(r"status of (422|403)")
    page = catalog_page(pages, "admin")
    page.get_by_role("button", name="新建事项").click()
    page.get_by_label("部门").select_option("market_regulation")
    page.get_by_label("编码").fill("MR-950")
    page.get_by_label("类型").select_option("promised")
    page.get_by_label("名称（中文）").fill("户外广告设置许可")
    page.get_by_label("名称（英文）").fill("Licence for outdoor advertising")
    page.get_by_label("法定时限（工作日）").fill("20")
    page.get_by_label("承诺时限（工作日）").fill("30")  # longer than the legal limit: refused
    page.get_by_label("跑动次数").fill("1")
    page.get_by_label("设定依据").fill("《城市市容和环境卫生管理条例》第十一条")
    page.get_by_label("申请材料（JSON）").fill(json.dumps(MATERIALS, ensure_ascii=False))
    page.get_by_label("流程", exact=True).select_option("promised_item")
    page.get_by_role("button", name="保存为新版本").click()
    expect(page.locator("#item-promised-error")).to_contain_text("legal_limit_days")

    page.get_by_label("承诺时限（工作日）").fill("10")
    page.get_by_role("button", name="保存为新版本").click()
    expect(page.locator("#item-result")).to_have_text("已新建（草稿），发布后受理申请。")
    expect(page.locator("#item-title")).to_contain_text("草稿")
    page.locator("#publish-form").get_by_role("button", name="发布").click()
    expect(page.locator("#item-title")).to_contain_text("现行有效")
    receipt = apply(gateway, {"item_code": "MR-950", "applicant": PERSON, "materials": ["application_form"]})
    assert receipt["item_version"] == 1

    designer = catalog_page(pages, "designer")
    expect(designer.get_by_role("button", name="新建事项")).to_be_hidden()
    designer.locator("#catalog-items tr", has_text="MR-950").get_by_role("button", name="打开").click()
    expect(designer.get_by_label("名称（中文）")).to_be_disabled()
    expect(designer.locator("#publish-form")).to_be_hidden()
    designer.get_by_label("版本策略").select_option("1")
    designer.get_by_role("button", name="保存为新版本").click()
    expect(designer.locator("#item-result")).to_have_text("已保存为版本 2，发布后生效。")
    expect(designer.locator("#item-versions tr")).to_have_count(2)
    expect(designer.locator("#item-audit tr").last).to_contain_text("process_version: null → 1")

    page.locator("#catalog-items tr", has_text="MR-950").get_by_role("button", name="打开").click()
    page.get_by_label("原因").fill("职能调整")
    page.locator("#retire-form").get_by_role("button", name="停止受理").click()
    expect(page.locator("#item-title")).to_contain_text("已停止受理")
    refused = gateway.post(
        "/api/v1/cases", json={"item_code": "MR-950", "applicant": PERSON, "materials": ["application_form"]}
    )
    assert refused.status_code == 422 and "retired" in refused.json()["detail"]
