"""Who sees what across the hall: a department its own, the hall-wide departments everything."""

import pytest

from services.common.staff_roles import may_see, sees_all


@pytest.mark.parametrize("department", ["hall", "supervision"])
def test_the_hall_wide_departments_see_every_department(department):
    viewer = {"username": "someone", "department": department}
    assert sees_all(viewer) and may_see(viewer, "tax") and may_see(viewer, None)


def test_a_department_sees_only_its_own():
    clerk = {"username": "clerk", "department": "market"}
    assert may_see(clerk, "market") and not may_see(clerk, "tax") and not sees_all(clerk)
    assert not sees_all(None) and not may_see(None, "tax") and not may_see({}, "market")
