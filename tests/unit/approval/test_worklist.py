"""Who sees which task: hall roles work for every department, others only for their own."""

import pytest

from services.approval.worklist import (
    HALL_DEPARTMENT,
    can_work_on,
    claims_on_the_spot,
    on_the_spot_claim,
    task_department,
    user_keys,
    work_keys,
)

CLERK = {"username": "clerk", "roles": ["clerk"], "department": "hall"}
REVIEWER = {"username": "reviewer", "roles": ["reviewer"], "department": "market_regulation"}
TAX_REVIEWER = {"username": "tax_reviewer", "roles": ["reviewer"], "department": "taxation"}
CHIEF = {"username": "chief", "roles": ["chief"], "department": "market_regulation"}

# (task, role, department of the case's item)
CASE_TASKS = [
    ("accept MR case", "clerk", "market_regulation"),
    ("accept TX case", "clerk", "taxation"),
    ("review MR case", "reviewer", "market_regulation"),
    ("review TX case", "reviewer", "taxation"),
    ("decide MR case", "chief", "market_regulation"),
    ("collect MR fee", "cashier", "market_regulation"),
]


def task(role, department, assignee=None, on_the_spot=None, candidate_users=()):
    return dict(
        role=role,
        department=department,
        assignee=assignee,
        on_the_spot=on_the_spot,
        candidate_users=list(candidate_users),
    )


def work_list(user):
    return [
        name
        for name, role, case_department in CASE_TASKS
        if can_work_on(user, task(role, task_department(role, case_department)))
    ]


@pytest.mark.parametrize("role", ["clerk", "cashier"])
def test_hall_role_tasks_belong_to_the_hall_whatever_the_item(role):
    assert task_department(role, "market_regulation") == task_department(role, "taxation") == HALL_DEPARTMENT == "hall"


@pytest.mark.parametrize("role", ["reviewer", "chief"])
def test_department_role_tasks_belong_to_the_items_department(role):
    assert task_department(role, "taxation") == "taxation"


def test_clerk_sees_intake_tasks_of_every_department_and_nothing_else():
    assert work_list(CLERK) == ["accept MR case", "accept TX case"]


def test_reviewer_sees_only_their_departments_reviewer_tasks():
    assert work_list(REVIEWER) == ["review MR case"]
    assert work_list(TAX_REVIEWER) == ["review TX case"]


def test_chief_does_not_see_reviewer_tasks_of_the_same_department():
    assert work_list(CHIEF) == ["decide MR case"]


def test_user_with_two_roles_sees_the_tasks_of_both():
    both = {**REVIEWER, "roles": ["reviewer", "chief"]}

    assert work_list(both) == ["review MR case", "decide MR case"]


def test_user_without_department_or_roles_sees_nothing():
    assert work_list({"username": "x", "roles": ["reviewer"]}) == []
    assert work_list({"username": "y", "department": "market_regulation"}) == []


HR_CHIEF = {"username": "hr_chief", "roles": ["chief"], "department": "human_resources"}
ON_THE_SPOT_ACCEPT = ("clerk", HALL_DEPARTMENT, None, on_the_spot_claim("chief", "human_resources"))


def test_an_on_the_spot_acceptance_is_the_intake_windows_and_the_item_departments_chiefs():
    assert ON_THE_SPOT_ACCEPT[3] == "chief:human_resources"
    accept = task(*ON_THE_SPOT_ACCEPT)
    assert can_work_on(CLERK, accept) and can_work_on(HR_CHIEF, accept)
    assert not can_work_on(CHIEF, accept)  # another department's chief
    assert not can_work_on({**HR_CHIEF, "roles": ["reviewer"]}, accept)
    assert claims_on_the_spot(HR_CHIEF, *ON_THE_SPOT_ACCEPT[:2], ON_THE_SPOT_ACCEPT[3])
    assert not claims_on_the_spot(CLERK, *ON_THE_SPOT_ACCEPT[:2], ON_THE_SPOT_ACCEPT[3])  # in their own right


def test_without_an_on_the_spot_claim_a_chief_cannot_accept():
    assert on_the_spot_claim(None, "human_resources") is None
    assert not can_work_on(HR_CHIEF, task("clerk", HALL_DEPARTMENT))
    assert not claims_on_the_spot(HR_CHIEF, "clerk", HALL_DEPARTMENT, None)


def test_an_assignee_keeps_the_task_even_from_the_on_the_spot_claim():
    assert not can_work_on(HR_CHIEF, task("clerk", HALL_DEPARTMENT, "hr_chief2", "chief:human_resources"))


def test_a_task_that_names_its_people_is_theirs_whatever_their_role_or_department():
    named = task("", "market_regulation", candidate_users=["hr_chief", "tax_reviewer"])
    assert can_work_on(HR_CHIEF, named) and can_work_on(TAX_REVIEWER, named)
    assert not can_work_on(CHIEF, named) and not can_work_on(CLERK, named)
    assigned = task("", "market_regulation", assignee="hr_chief", candidate_users=["hr_chief", "tax_reviewer"])
    assert can_work_on(HR_CHIEF, assigned) and not can_work_on(TAX_REVIEWER, assigned)


def test_every_task_a_user_may_work_on_is_found_under_one_of_the_users_keys():
    """Work lists look tasks up by key: no task a user may work on is missed that way."""
    users = [CLERK, REVIEWER, TAX_REVIEWER, CHIEF, HR_CHIEF, {**REVIEWER, "roles": ["reviewer", "chief"]}]
    tasks = [task(role, task_department(role, department)) for _, role, department in CASE_TASKS] + [
        task(*ON_THE_SPOT_ACCEPT),
        task("clerk", HALL_DEPARTMENT, "hr_chief2", "chief:human_resources"),
        task("", "market_regulation", candidate_users=["hr_chief", "tax_reviewer"]),
    ]
    for user in users:
        for each in tasks:
            if can_work_on(user, each):
                assert set(work_keys(each)) & set(user_keys(user)), (user, each)
    assert work_keys(task("", "market_regulation", candidate_users=["hr_chief"])) == ["user:hr_chief"]
