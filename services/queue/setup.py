"""The hall's set-up for the queue: categories, windows and rules.

``hall/queue.yaml`` seeds a fresh database: at start-up every category, window and the
settings document missing from the store are stored; what is already stored is kept, so
changes made through the admin endpoints survive restarts. The stored copy is the truth.
"""

import re
from datetime import date, datetime, time, timedelta

import mongoengine as me
import yaml

from services.common import applicant_ids
from services.common.db import collection_of
from services.common.errors import Conflict, InvalidInput, NotFound
from services.common.workdays import SHANGHAI, WorkdayCalendar
from services.queue import models

PRIORITY_CLASSES = ("appointment", "care", "vip", "normal")
SETTING_FIELDS = (
    "priority_order",
    "vip_ids",
    "recall_limit",
    "default_service_minutes",
    "hours",
    "slot_minutes",
    "booking_workdays",
    "cancel_hours",
    "checkin_minutes",
    "no_show_limit",
    "closures",
    "extra_workdays",
)
CATEGORY_CODE = re.compile(r"^[A-Z]$")
CLOCK_TIME = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


def read_setup_file(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def seed(setup):
    """Store what the store does not have yet (idempotent; replicas may race here)."""
    if models.HallSettings.objects(key="hall").first() is None:
        _insert(models.HallSettings(key="hall", **check_settings(setup["settings"])))
    for category in setup.get("categories", []):
        if models.Category.objects(code=category["code"]).first() is None:
            _insert(models.Category(**check_category(category["code"], category)))
    for window in setup.get("windows", []):
        if models.Window.objects(number=window["number"]).first() is None:
            _insert(
                models.Window(number=window["number"], categories=window["categories"], open=window.get("open", True))
            )


def _insert(document):
    try:
        document.save(force_insert=True)
    except me.NotUniqueError:
        pass  # another replica seeded it first


def check_settings(settings):
    """The settings, checked; unknown keys and bad values are refused with the field named."""
    unknown = set(settings) - set(SETTING_FIELDS)
    if unknown:
        raise InvalidInput(f"unknown settings: {', '.join(sorted(unknown))}")
    errors = []
    order = settings.get("priority_order")
    if order is not None and sorted(order) != sorted(PRIORITY_CLASSES):
        errors.append({"field": "priority_order", "message": f"must order exactly {', '.join(PRIORITY_CLASSES)}"})
    for span in settings.get("hours") or []:
        if len(span) != 2 or not all(CLOCK_TIME.match(t or "") for t in span) or span[0] >= span[1]:
            errors.append({"field": "hours", "message": f"{span!r} is not a [start, end] pair of HH:MM"})
    for key in ("closures", "extra_workdays"):
        for day in settings.get(key) or []:
            try:
                date.fromisoformat(day)
            except (TypeError, ValueError):
                errors.append({"field": key, "message": f"{day!r} is not a YYYY-MM-DD date"})
    both = set(settings.get("closures") or []) & set(settings.get("extra_workdays") or [])
    if both:
        errors.append({"field": "closures", "message": f"also extra working days: {', '.join(sorted(both))}"})
    if errors:
        raise InvalidInput("the settings break a rule", errors)
    return dict(settings)


def check_category(code, category):
    if not CATEGORY_CODE.match(code or ""):
        raise InvalidInput(
            "a category code is one capital letter (the ticket prefix)",
            [{"field": "code", "message": "one letter A-Z"}],
        )
    return {
        "code": code,
        "name_zh": category["name_zh"],
        "name_en": category["name_en"],
        "items": list(category.get("items") or []),
        "appointment_capacity": int(category.get("appointment_capacity") or 0),
    }


class Hall:
    """The stored set-up, read by key on each use (replicas see admin changes at once).

    ``base_calendar`` is the hall's calendar shared by every service (``HALL_CALENDAR_FILE``);
    the queue settings' own ``closures`` and ``extra_workdays`` override it, so that an
    admin can close the queue and appointments for a day without a deployment.
    """

    def __init__(self, base_calendar):
        self.base_calendar = base_calendar

    def settings(self):
        return models.HallSettings.objects(key="hall").first()

    def calendar(self, settings):
        base = self.base_calendar
        closed = {date.fromisoformat(d) for d in settings.closures}
        worked = {date.fromisoformat(d) for d in settings.extra_workdays}
        return WorkdayCalendar(
            closures=(base.closures - worked) | closed,
            extra_workdays=(base.extra_workdays - closed) | worked,
            published_years={
                year: {"holidays": holidays, "workdays": workdays}
                for year, (holidays, workdays) in base.published.items()
            },
        )

    def category(self, code):
        category = models.Category.objects(code=code).first()
        if category is None:
            raise NotFound(f"no queue category {code!r}")
        return category

    def category_for_item(self, item_code):
        category = models.Category.objects(items=item_code).first()
        if category is None:
            raise NotFound(f"no queue category serves item {item_code!r}")
        return category

    def window(self, number):
        window = models.Window.objects(number=number).first()
        if window is None:
            raise _no_window(number)
        return window

    @staticmethod
    def window_ticket(number):
        """The id of the ticket at the window, or None: one read of one field, in pymongo
        (a window's finish is on the hot path, see ``tickets``)."""
        window = collection_of(models.Window).find_one({"_id": number}, {"current_ticket": 1})
        if window is None:
            raise _no_window(number)
        return window.get("current_ticket")

    def categories(self):
        return list(models.Category.objects.order_by("code"))

    def windows(self):
        return list(models.Window.objects.order_by("number"))

    def put_category(self, code, category):
        models.Category(**check_category(code, category)).save()
        return self.category(code)

    def put_window(self, number, categories, is_open):
        unknown = [c for c in categories if models.Category.objects(code=c).first() is None]
        if unknown or not categories:
            raise InvalidInput(
                "a window serves one or more known categories",
                [{"field": "categories", "message": f"unknown: {', '.join(unknown)}" if unknown else "at least one"}],
            )
        changes = {"set__categories": list(dict.fromkeys(categories)), "set__open": is_open}
        if is_open or models.Window.objects(number=number).first() is None:
            models.Window.objects(number=number).update_one(upsert=True, **changes)
        elif not models.Window.objects(number=number, current_ticket=None).update_one(**changes):
            raise Conflict(f"window {number} has a ticket at it: finish it or mark it a no-show first")
        return self.window(number)

    def update_settings(self, changes):
        if changes.get("vip_ids") is not None:
            changes = dict(changes, vip_ids=[applicant_ids.normalise(v) for v in changes["vip_ids"]])
        check_settings(dict(settings_view(self.settings()), **changes))
        models.HallSettings.objects(key="hall").update_one(**{f"set__{k}": v for k, v in changes.items()})
        return self.settings()


def slot_starts(settings, day):
    """The appointment slots of ``day`` (aware datetimes), from the working hours."""
    length = timedelta(minutes=settings.slot_minutes)
    starts = []
    for opens, closes in settings.hours:
        moment = datetime.combine(day, time.fromisoformat(opens), tzinfo=SHANGHAI)
        end = datetime.combine(day, time.fromisoformat(closes), tzinfo=SHANGHAI)
        while moment + length <= end:
            starts.append(moment)
            moment += length
    return starts


def settings_view(settings):
    return {field: getattr(settings, field) for field in SETTING_FIELDS}


def category_view(category):
    return {
        "code": category.code,
        "name_zh": category.name_zh,
        "name_en": category.name_en,
        "items": category.items,
        "appointment_capacity": category.appointment_capacity,
    }


def window_view(window):
    return {
        "number": window.number,
        "categories": window.categories,
        "open": window.open,
        "current_ticket": window.current_ticket,
    }


def _no_window(number):
    return NotFound(f"there is no window {number}")
