"""The public catalog loads from catalog/*.yaml, and bad data stops it with a message that
names the file, the item and the field."""

import copy
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from services.intake.catalog import CatalogError, load_catalog

ROOT = Path(__file__).resolve().parents[3]
BPMN_NS = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"

DEPARTMENT = {"code": "culture", "name_zh": "文化和旅游局", "name_en": "Culture and Tourism Bureau"}
ITEM = {
    "code": "CT-001",
    "name_zh": "营业性演出审批",
    "name_en": "Approval of commercial performances",
    "kind": "promised",
    "legal_limit_days": 20,
    "promised_limit_days": 10,
    "visits": 1,
    "process_key": "immediate_item",
    "legal_basis": "《营业性演出管理条例》第十三条",
    "materials": [
        {"code": "application_form", "name": "申请书", "form": "paper", "required": True},
        {"code": "venue_proof", "name": "演出场所证明", "form": "electronic", "required": False},
    ],
    "conditions": ["演出场所符合安全条件"],
    "fees": [{"code": "permit_fee", "name": "许可证工本费", "amount_fen": 1050, "basis": "《收费标准》第一条"}],
    "special_procedures": ["expert_review"],
}


def write(directory, name, items, department=DEPARTMENT):
    (directory / name).write_text(
        yaml.safe_dump({"department": department, "items": items}, allow_unicode=True), encoding="utf-8"
    )


def item(**changes):
    raw = copy.deepcopy(ITEM)
    for key, value in changes.items():
        if value is None:
            del raw[key]
        else:
            raw[key] = value
    return raw


def refusal(directory):
    with pytest.raises(CatalogError) as raised:
        load_catalog(directory)
    return str(raised.value)


@pytest.fixture(scope="module")
def real_catalog():
    return load_catalog(ROOT / "catalog")


def test_real_catalog_loads_with_items(real_catalog):
    assert real_catalog.items
    assert real_catalog.item("MR-001").name_en == "Registration of an individual business"
    assert real_catalog.item("NO-SUCH-ITEM") is None


def test_every_real_item_belongs_to_a_known_department(real_catalog):
    for code, catalog_item in real_catalog.items.items():
        assert catalog_item.code == code
        assert catalog_item.department in real_catalog.departments, code
    assert real_catalog.item("TX-001").department == "taxation"


def test_every_real_item_keeps_its_promise_within_the_legal_limit(real_catalog):
    for catalog_item in real_catalog.items.values():
        assert 0 <= catalog_item.promised_limit_days <= catalog_item.legal_limit_days, catalog_item.code


def test_the_demo_catalog_publishes_at_least_30_items_of_at_least_8_departments(real_catalog):
    departments = {catalog_item.department for catalog_item in real_catalog.items.values()}

    assert len(real_catalog.items) >= 30 and len(departments) >= 8
    assert {
        "market_regulation",
        "taxation",
        "public_security",
        "housing_construction",
        "human_resources",
        "civil_affairs",
        "natural_resources",
        "health",
    } <= departments
    assert {
        (code, real_catalog.item(code).department, real_catalog.item(code).process_key)
        for code in ("MR-001", "MR-002", "TX-001")
    } == {
        ("MR-001", "market_regulation", "immediate_item"),
        ("MR-002", "market_regulation", "immediate_item"),
        ("TX-001", "taxation", "immediate_item"),
    }


def test_the_demo_catalog_holds_the_joint_enterprise_registration(real_catalog):
    joint = [i for i in real_catalog.items.values() if i.kind == "joint"]

    assert [i.process_key for i in joint] == ["joint_registration"]
    assert {"application_form", "seal_application"} <= {m.code for m in joint[0].materials}


def test_the_demo_catalog_uses_the_agreed_processes_and_fees_in_fen(real_catalog):
    by_kind = {
        "immediate": {"immediate_item", "fee_item"},
        "promised": {"promised_item", "fee_item"},
        "joint": {"joint_registration"},
    }
    for catalog_item in real_catalog.items.values():
        assert catalog_item.process_key in by_kind[catalog_item.kind], catalog_item.code
        assert (catalog_item.process_key == "fee_item") == bool(catalog_item.fees), catalog_item.code
        assert all(type(fee.amount_fen) is int and fee.amount_fen > 0 for fee in catalog_item.fees)
    assert real_catalog.item("NR-001").fees[0].amount_fen == 8000


def test_every_real_item_names_a_deployed_process(real_catalog):
    processes = {
        p.get("id")
        for path in (ROOT / "bpmn").glob("*.bpmn")
        for p in ET.parse(path).getroot().iter(f"{BPMN_NS}process")
    }

    for catalog_item in real_catalog.items.values():
        assert catalog_item.process_key in processes, catalog_item.code


def test_a_good_file_loads_every_field(tmp_path):
    write(tmp_path, "culture.yaml", [ITEM])

    loaded = load_catalog(tmp_path).item("CT-001")

    assert loaded.as_dict() == {
        **ITEM,
        "department": "culture",
        "process_version": None,
        "on_the_spot": False,
        "form": None,
    }


def test_conditions_and_fees_may_be_left_out_for_a_free_item(tmp_path):
    write(tmp_path, "culture.yaml", [item(conditions=None, fees=None)])

    loaded = load_catalog(tmp_path).item("CT-001")

    assert loaded.fees == () and loaded.conditions == ()


def test_an_item_without_special_procedures_has_none(tmp_path):
    write(tmp_path, "culture.yaml", [item(special_procedures=None)])

    assert load_catalog(tmp_path).item("CT-001").special_procedures == ()


@pytest.mark.parametrize(
    "fee, named",
    [
        ({"amount_fen": 10.5}, "'amount_fen'"),
        ({"amount_fen": "1050"}, "'amount_fen'"),
        ({"amount_fen": 0}, "'amount_fen'"),
        ({"basis": None}, "'basis'"),
        ({"code": "Permit Fee"}, "'code'"),
    ],
)
def test_a_bad_fee_is_named(tmp_path, fee, named):
    rule = {k: v for k, v in {**ITEM["fees"][0], **fee}.items() if v is not None}
    write(tmp_path, "culture.yaml", [item(fees=[rule])])

    message = refusal(tmp_path)

    assert "culture.yaml" in message and "CT-001" in message and "fee 1" in message and named in message


@pytest.mark.parametrize(
    "changes, named",
    [
        ({"code": "ct001"}, "'code'"),
        ({"legal_limit_days": -1}, "'legal_limit_days'"),
        ({"name_en": "  "}, "'name_en'"),
        ({"conditions": "must be licensed"}, "'conditions'"),
        ({"fees": {"code": "x"}}, "'fees'"),
        ({"materials": [ITEM["materials"][0], ITEM["materials"][0]]}, "application_form"),
        ({"special_procedures": ["lottery"]}, "'special_procedures'"),
        ({"special_procedures": ["hearing", "hearing"]}, "'special_procedures'"),
    ],
)
def test_a_bad_item_field_is_named(tmp_path, changes, named):
    write(tmp_path, "culture.yaml", [item(**changes)])

    message = refusal(tmp_path)

    assert "culture.yaml" in message and named in message


def test_a_department_code_used_by_two_files_is_refused(tmp_path):
    write(tmp_path, "a_culture.yaml", [ITEM])
    write(tmp_path, "b_culture.yaml", [item(code="CT-002")])

    assert "b_culture.yaml" in refusal(tmp_path)


def test_search_finds_items_by_chinese_and_english_words_within_filters(real_catalog):
    assert [i.code for i in real_catalog.search("食品经营")] == ["MR-002", "MR-003"]
    assert [i.code for i in real_catalog.search("FOOD licence")] == ["MR-002", "MR-003"]
    assert [i.code for i in real_catalog.search("许可", department="health")] == ["HE-002", "HE-005"]
    assert {i.kind for i in real_catalog.search(kind="joint")} == {"joint"}
    assert real_catalog.search("没有这个事项") == []


def test_departments_are_listed_with_their_item_counts(real_catalog):
    departments = {d["code"]: d for d in real_catalog.department_list()}

    assert departments["taxation"] == {
        "code": "taxation",
        "name_zh": "税务局",
        "name_en": "Taxation Bureau",
        "item_count": len(real_catalog.search(department="taxation")),
    }
    assert sum(d["item_count"] for d in departments.values()) == len(real_catalog.items)


def test_missing_field_is_named_with_file_and_item(tmp_path):
    write(tmp_path, "culture.yaml", [item(legal_basis=None)])

    message = refusal(tmp_path)

    assert "culture.yaml" in message and "CT-001" in message and "'legal_basis'" in message


@pytest.mark.parametrize(
    "field, value", [("legal_limit_days", "20"), ("visits", True), ("name_zh", 42), ("materials", "application_form")]
)
def test_wrong_type_is_named_with_file_and_item(tmp_path, field, value):
    write(tmp_path, "culture.yaml", [item(**{field: value})])

    message = refusal(tmp_path)

    assert "culture.yaml" in message and "CT-001" in message and f"'{field}'" in message


def test_wrong_type_of_active_flag_is_refused(tmp_path):
    write(tmp_path, "culture.yaml", [item(active="no")])

    message = refusal(tmp_path)

    assert "culture.yaml" in message and "CT-001" in message and "'active'" in message


def test_bad_kind_is_refused(tmp_path):
    write(tmp_path, "culture.yaml", [item(kind="someday")])

    message = refusal(tmp_path)

    assert "culture.yaml" in message and "CT-001" in message and "'kind'" in message and "someday" in message


def test_bad_material_form_is_refused(tmp_path):
    write(tmp_path, "culture.yaml", [item(materials=[{**ITEM["materials"][0], "form": "fax"}])])

    message = refusal(tmp_path)

    assert "culture.yaml" in message and "CT-001" in message and "material 1" in message and "'form'" in message


def test_material_without_required_flag_is_refused(tmp_path):
    material = {k: v for k, v in ITEM["materials"][0].items() if k != "required"}
    write(tmp_path, "culture.yaml", [item(materials=[material])])

    message = refusal(tmp_path)

    assert "CT-001" in message and "material 1" in message and "'required'" in message


def test_promise_longer_than_the_legal_limit_is_refused(tmp_path):
    write(tmp_path, "culture.yaml", [item(promised_limit_days=21)])

    message = refusal(tmp_path)

    assert "culture.yaml" in message and "CT-001" in message and "'promised_limit_days'" in message


def test_duplicate_code_in_one_file_is_refused(tmp_path):
    write(tmp_path, "culture.yaml", [ITEM, item(name_en="Another")])

    message = refusal(tmp_path)

    assert "culture.yaml" in message and "CT-001" in message


def test_duplicate_code_across_files_is_refused_naming_the_second_file(tmp_path):
    write(tmp_path, "a_culture.yaml", [ITEM])
    write(tmp_path, "b_tourism.yaml", [ITEM], department={**DEPARTMENT, "code": "tourism"})

    message = refusal(tmp_path)

    assert "b_tourism.yaml" in message and "CT-001" in message


def test_department_without_a_name_is_refused(tmp_path):
    write(tmp_path, "culture.yaml", [ITEM], department={"code": "culture", "name_zh": "文化和旅游局"})

    message = refusal(tmp_path)

    assert "culture.yaml" in message and "department" in message and "'name_en'" in message


def test_invalid_yaml_is_refused_naming_the_file(tmp_path):
    (tmp_path / "culture.yaml").write_text("department: {code: culture\nitems: [", encoding="utf-8")

    message = refusal(tmp_path)

    assert "culture.yaml" in message and "YAML" in message


def test_file_that_is_not_a_mapping_is_refused(tmp_path):
    (tmp_path / "culture.yaml").write_text("- just\n- a list\n", encoding="utf-8")

    assert "culture.yaml" in refusal(tmp_path)


def test_empty_directory_is_refused(tmp_path):
    assert str(tmp_path) in refusal(tmp_path)


def test_one_bad_file_stops_the_whole_catalog(tmp_path):
    write(tmp_path, "a_good.yaml", [ITEM])
    write(tmp_path, "b_bad.yaml", [item(code="CT-002", kind="later")], department={**DEPARTMENT, "code": "bad"})

    assert "b_bad.yaml" in refusal(tmp_path)


FORM = [
    {"id": "troupe_name", "label": "演出团体名称", "type": "string", "required": True, "max_length": 100},
    {"id": "show_count", "label": "场次", "type": "long", "required": True},
    {"id": "venue_kind", "label": "场所类型", "type": "enum", "required": False, "options": ["剧场", "酒吧"]},
    {"id": "first_show", "label": "首演日期", "type": "date", "required": False},
    {"id": "foreign_artists", "label": "有境外演员", "type": "boolean", "required": False},
]


def test_an_item_form_loads_with_its_fields_and_an_item_without_one_has_none(tmp_path):
    write(tmp_path, "culture.yaml", [item(form=FORM), item(code="CT-002")])
    catalog = load_catalog(tmp_path)
    form = catalog.item("CT-001").form
    assert [(f.id, f.type, f.required) for f in form] == [
        ("troupe_name", "string", True),
        ("show_count", "long", True),
        ("venue_kind", "enum", False),
        ("first_show", "date", False),
        ("foreign_artists", "boolean", False),
    ]
    assert form[0].max_length == 100 and form[2].options == ("剧场", "酒吧")
    assert catalog.item("CT-001").as_dict()["form"][2]["options"] == ["剧场", "酒吧"]
    assert catalog.item("CT-002").form is None and catalog.item("CT-002").as_dict()["form"] is None


@pytest.mark.parametrize(
    "field, named",
    [
        ({**FORM[0], "type": "text"}, "field 'type'"),
        ({**FORM[0], "id": "Troupe Name"}, "field 'id'"),
        ({**FORM[0], "label": " "}, "field 'label'"),
        ({**FORM[1], "required": "yes"}, "field 'required'"),
        ({**FORM[2], "options": []}, "field 'options'"),
        ({**FORM[2], "options": ["剧场", "剧场"]}, "field 'options'"),
        ({**FORM[1], "options": ["1"]}, "field 'options'"),
        ({**FORM[1], "max_length": 10}, "field 'max_length'"),
        ({**FORM[0], "max_length": 0}, "field 'max_length'"),
        ({**FORM[0], "pattern": ".*"}, "unknown field 'pattern'"),
    ],
)
def test_a_bad_form_field_is_named_with_file_item_and_field(tmp_path, field, named):
    write(tmp_path, "culture.yaml", [item(form=[FORM[1], field])])
    message = refusal(tmp_path)
    assert message.startswith("culture.yaml item CT-001 form field 2") and named in message


def test_a_form_field_defined_twice_or_an_empty_form_is_refused(tmp_path):
    write(tmp_path, "culture.yaml", [item(form=[FORM[0], FORM[0]])])
    assert "form field id 'troupe_name' is used twice" in refusal(tmp_path)
    write(tmp_path, "culture.yaml", [item(form=[])])
    assert "culture.yaml item CT-001: field 'form'" in refusal(tmp_path)


def test_the_joint_enterprise_registration_defines_its_form(real_catalog):
    form = {f.id: f for f in real_catalog.item("MR-010").form}
    assert form["registered_capital_fen"].type == "long"
    assert {"company_name", "business_scope"} <= set(form)


def test_an_immediate_item_may_be_declared_decided_on_the_spot(tmp_path):
    write(tmp_path, "culture.yaml", [item(kind="immediate", promised_limit_days=0, on_the_spot=True)])

    assert load_catalog(tmp_path).item("CT-001").as_dict()["on_the_spot"] is True


def test_a_promised_item_may_be_declared_decided_on_the_spot_too(tmp_path):
    write(tmp_path, "culture.yaml", [item(on_the_spot=True)])

    assert load_catalog(tmp_path).item("CT-001").as_dict()["on_the_spot"] is True


@pytest.mark.parametrize(
    "changes, named",
    [
        ({"kind": "joint", "on_the_spot": True}, "not for joint items"),
        ({"kind": "immediate", "on_the_spot": "yes"}, "'on_the_spot' must be bool"),
    ],
)
def test_a_joint_item_is_not_decided_on_the_spot(tmp_path, changes, named):
    write(tmp_path, "culture.yaml", [item(**changes)])

    message = refusal(tmp_path)

    assert "culture.yaml" in message and "CT-001" in message and named in message


def test_every_department_with_an_immediate_item_decides_one_on_the_spot_in_the_demo_catalog(real_catalog):
    with_immediate = {i.department for i in real_catalog.items.values() if i.kind == "immediate"}
    assert {
        i.department for i in real_catalog.items.values() if i.on_the_spot and i.kind == "immediate"
    } == with_immediate
