"""The hall as the simulator finds and staffs it, through the public API only: the catalog,
the queue's categories and opening hours, a reviewer and a chief representative for every
department, a clerk at every window, and the windows opened per category by the plan."""

from dataclasses import dataclass, field
from datetime import timedelta

from sim.arrivals import Item
from sim.gateway import PlatformError

STAFF_PASSWORD = "sim-staff-password"  # the simulated staff's accounts (demo platforms only)
# The departments reviewing a joint registration in parallel (lanes of bpmn/joint_registration.bpmn).
JOINT_DEPARTMENTS = ("market_regulation", "taxation", "public_security", "human_resources")
HORIZON_WORKDAYS = 10  # the latest decision: a late case's limit (at most 5) and a few days
QUIET_DAYS = 60  # a simulation's period stays well within this many days


def form_answers(fields, day):
    """Answers to an item's application form, each of its type."""
    answers = {}
    for f in fields:
        kind = f.get("type")
        if kind == "date":
            answers[f["id"]] = day.isoformat()
        elif kind == "boolean":
            answers[f["id"]] = True
        elif kind == "long":
            answers[f["id"]] = 1
        elif kind == "enum" and f.get("options"):
            answers[f["id"]] = f["options"][0]
        else:
            answers[f["id"]] = "模拟"[: f.get("max_length") or 2]
    return answers


@dataclass
class Hall:
    items: dict  # code → Item
    forms: dict  # code → form fields
    categories: list  # the queue's categories (code, items)
    hours: list  # [["09:00", "12:00"], …]
    staff: dict = field(default_factory=dict)  # (role, department) → username
    windows: dict = field(default_factory=dict)  # window number → (category, clerk)

    def category_of(self, item_code):
        """The category listing the item, else the one serving its department's items, else the
        general one (the category listing no item)."""
        for category in self.categories:
            if item_code in category["items"]:
                return category["code"]
        department = self.items[item_code].department
        for category in self.categories:
            if any(self.items[i].department == department for i in category["items"] if i in self.items):
                return category["code"]
        general = [c["code"] for c in self.categories if not c["items"]]
        return general[0] if general else self.categories[-1]["code"]

    def reviewer(self, department):
        return self.staff[("reviewer", department)]

    def chief(self, department):
        return self.staff[("chief", department)]


def read_catalog(gateway):
    items, forms, page = {}, {}, 1
    while True:
        answer = gateway.get("/api/v1/items", params={"page": page, "page_size": 100})
        for raw in answer["items"]:
            if not raw.get("active", True):
                continue
            limit = (
                raw["promised_limit_days"] if raw.get("promised_limit_days") is not None else raw["legal_limit_days"]
            )
            items[raw["code"]] = Item(
                raw["code"],
                raw["department"],
                raw["kind"],
                raw["process_key"],
                limit,
                tuple(m["code"] for m in raw["materials"] if m["required"]),
                sum(f["amount_fen"] for f in raw.get("fees") or ()),
            )
            forms[raw["code"]] = [f for f in raw.get("form") or () if f.get("required")]
        if page * answer["page_size"] >= answer["total"]:
            return items, forms
        page += 1


def read_hall(gateway):
    items, forms = read_catalog(gateway)
    setup = gateway.get("/api/v1/queue/setup")
    return Hall(items, forms, setup["categories"], setup["settings"]["hours"])


def account(gateway, username, display_name, role, department):
    """Create a staff account of the simulation (an existing one is used as it is)."""
    try:
        gateway.post(
            "/api/v1/admin/staff",
            as_user="admin",
            json={
                "username": username,
                "display_name": display_name,
                "roles": [role],
                "department": department,
                "password": STAFF_PASSWORD,
            },
        )
    except PlatformError as exc:
        if " 409 " not in str(exc):
            raise
    gateway.passwords[username] = STAFF_PASSWORD
    return username


def staff_the_departments(gateway, hall):
    """A reviewer and a chief representative of the simulation in every department."""
    for department in sorted({i.department for i in hall.items.values()}):
        prefix = next(code for code, i in sorted(hall.items.items()) if i.department == department)[:2].lower()
        for role, title in (("reviewer", "审查员"), ("chief", "首席代表")):
            hall.staff[(role, department)] = account(
                gateway, f"sim.{prefix}.{role}", f"模拟{title} {department}", role, department
            )


def open_windows(gateway, hall, windows_per_category):
    """Windows 1…n, each serving one category (the plan's count per category); every other
    open window of the hall is closed for the simulated day. A ticket left at one of these
    windows from before is finished first, so that the day starts with free windows. Returns
    the windows as they were, for ``restore_windows``. Another open window with a ticket at it
    (a shared platform's own business) is left as it is: it calls nobody by itself."""
    before = gateway.get("/api/v1/queue/board")["windows"]
    number = 0
    for category in sorted(windows_per_category):
        for _ in range(windows_per_category[category]):
            number += 1
            clerk = account(gateway, f"sim.window{number:02d}", f"模拟窗口{number}号", "clerk", "hall")
            hall.windows[number] = (category, clerk)
            gateway.call(
                "PUT", f"/api/v1/queue/windows/{number}", as_user="admin", json={"categories": [category], "open": True}
            )
    for window in gateway.get("/api/v1/queue/board")["windows"]:
        if window["number"] not in hall.windows and window["open"] and window["state"] not in ("called", "serving"):
            gateway.call(
                "PUT",
                f"/api/v1/queue/windows/{window['number']}",
                as_user="admin",
                json={"categories": window["categories"], "open": False},
            )
    for window in gateway.get("/api/v1/queue/board")["windows"]:
        if window["number"] in hall.windows and window["state"] in ("called", "serving"):
            clerk = hall.windows[window["number"]][1]
            gateway.post(f"/api/v1/queue/windows/{window['number']}/finish", as_user=clerk)
    return before


def restore_windows(gateway, hall, before):
    """The windows back as they were before the simulation; its own new ones closed."""
    known = {w["number"] for w in before}
    for window in before:
        gateway.call(
            "PUT",
            f"/api/v1/queue/windows/{window['number']}",
            as_user="admin",
            json={"categories": window["categories"], "open": window["open"]},
        )
    for number, (category, _) in hall.windows.items():
        if number not in known:
            gateway.call(
                "PUT",
                f"/api/v1/queue/windows/{number}",
                as_user="admin",
                json={"categories": [category], "open": False},
            )


def first_day(gateway, calendar, platform_now, lead_days):
    """The simulated day: the first working day at least ``lead_days`` after the platform's
    today from which on the platform has no ticket, no case submitted or decided and no
    evaluation yet (days no other activity on a shared platform, nor an earlier simulation,
    has reached): the period compared is the simulator's alone."""
    try:
        day = calendar.next_workday(platform_now.date() + timedelta(days=lead_days - 1))
        while not quiet(gateway, day):
            day = calendar.next_workday(day)
        calendar.add_workdays(day, HORIZON_WORKDAYS)
    except NotImplementedError as exc:  # chinese_calendar does not know the year yet
        raise RuntimeError(
            f"the simulated period would leave the official calendar's known years ({exc}); "
            "simulate on a platform whose clock and earlier simulations leave room"
        ) from None
    return day


def quiet(gateway, day, days_ahead=QUIET_DAYS):
    tickets = gateway.get("/api/v1/queue/stats", as_user="supervisor", params={"day": day.isoformat()})
    cases = gateway.get(
        "/api/v1/stats",
        as_user="supervisor",
        params={"first_day": day.isoformat(), "last_day": (day + timedelta(days=days_ahead)).isoformat()},
    )["hall"]
    return not any(c["issued"] for c in tickets["categories"]) and not (
        cases["submitted"] or cases["decided"] or cases["evaluations"]
    )
