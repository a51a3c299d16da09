"""The one-visit rate (一次办结率) in the hall's statistics: cases the department's chief
representative accepted and decided on the spot ÷ cases decided, per department."""

from datetime import timedelta

from nameko.testing.services import entrypoint_hook

from services.common.time import utcnow
from services.monitor import models


def call(container, method, *args, **kwargs):
    with entrypoint_hook(container, method) as entrypoint:
        return entrypoint(*args, **kwargs)


def decided_case(case_no, department, item_code):
    now = utcnow()
    models.CaseWatch(
        case_no=case_no,
        department=department,
        item_code=item_code,
        submitted_at=now,
        accepted_at=now,
        deadline=now + timedelta(days=1),
        decided_at=now,
        on_time=True,
        open=False,
        status="decided",
    ).save()


def test_cases_decided_on_the_spot_make_the_one_visit_rate_of_their_department(monitor):
    decided_case("20261126000801", "human_resources", "HR-004")
    decided_case("20261126000802", "human_resources", "HR-002")
    decided_case("20261126000803", "taxation", "TX-001")
    call(
        monitor,
        "on_case_decided",
        {
            "case_no": "20261126000801",
            "outcome": "approved",
            "decided_at": utcnow().isoformat(),
            "decided_by": "hr_chief",
            "on_the_spot": True,
            "window": 12,
        },
    )
    call(
        monitor,
        "on_case_decided",
        {
            "case_no": "20261126000803",
            "outcome": "approved",
            "decided_at": utcnow().isoformat(),
            "decided_by": "tax_chief",
            "on_the_spot": False,
            "window": None,
        },
    )

    stats = call(monitor, "statistics")

    hr, tax = stats["by_department"]["human_resources"], stats["by_department"]["taxation"]
    assert (hr["decided"], hr["decided_on_the_spot"], hr["one_visit_rate"]) == (2, 1, 0.5)
    assert (tax["decided"], tax["decided_on_the_spot"], tax["one_visit_rate"]) == (1, 0, 0.0)
    assert (stats["hall"]["decided_on_the_spot"], stats["hall"]["one_visit_rate"]) == (1, round(1 / 3, 4))
    assert stats["by_item"]["HR-004"]["one_visit_rate"] == 1.0
