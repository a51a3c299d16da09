"""Applying for an item and following the case: validation, case numbers, query codes,
and the views shown to staff and to the public.

Case number: ``YYYYMMDD`` (the hall's calendar day, Asia/Shanghai) followed by a
six-digit sequence of that day, e.g. ``20261126000042``: unique, and sorting the
numbers sorts the cases by day of submission. The query code is 8 random characters
from an alphabet without look-alikes; with the case number it lets an applicant follow
the case without logging in.
"""
import hmac
import secrets
from zoneinfo import ZoneInfo

import mongoengine as me

from services.common.errors import Conflict, InvalidInput, NotFound
from services.common.time import isoformat
from services.intake import models
from services.intake.identifiers import InvalidIdentifier, validate_credit_code, validate_resident_id

HALL_TZ = ZoneInfo("Asia/Shanghai")
QUERY_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
APPLICANT_KINDS = {"person": ("id_number", validate_resident_id), "company": ("credit_code", validate_credit_code)}
MAX_NAME_LENGTH = 100
# Departments that work for the whole hall and so see every case: the intake and bank
# windows ("hall") and the supervision bureau.
HALL_WIDE_DEPARTMENTS = frozenset({"hall", "supervision"})


def new_query_code():
    return "".join(secrets.choice(QUERY_CODE_ALPHABET) for _ in range(8))


def validate_applicant(applicant):
    """The applicant as stored: kind, name and the checked identifier."""
    kind = applicant.get("kind")
    if kind not in APPLICANT_KINDS:
        raise InvalidInput("applicant.kind must be 'person' or 'company'",
                           [{"field": "applicant.kind", "message": "must be 'person' or 'company'"}])
    id_field, validate = APPLICANT_KINDS[kind]
    name = (applicant.get("name") or "").strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        raise InvalidInput("applicant.name is required (at most 100 characters)",
                           [{"field": "applicant.name", "message": "required, 1 to 100 characters"}])
    try:
        identifier = validate(applicant.get(id_field) or "")
    except InvalidIdentifier as exc:
        raise InvalidInput(f"applicant.{id_field}: {exc}",
                           [{"field": f"applicant.{id_field}", "message": str(exc)}]) from None
    return {"kind": kind, "name": name, id_field: identifier}


def check_materials(item, materials):
    missing = [m for m in item.materials if m.required and m.code not in materials]
    known = {m.code for m in item.materials}
    unknown = [code for code in materials if code not in known]
    errors = [{"field": "materials", "message": f"missing required material {m.code} ({m.name})"} for m in missing]
    errors += [{"field": "materials", "message": f"{code} is not a material of item {item.code}"} for code in unknown]
    if errors:
        raise InvalidInput(f"the materials do not match the checklist of item {item.code}", errors)


class CaseRepository:
    """Cases of the intake service; thread-safe (no state but the catalog)."""

    def __init__(self, catalog):
        self.catalog = catalog

    def next_case_no(self, now):
        day = now.astimezone(HALL_TZ).strftime("%Y%m%d")
        counter = models.DailyCounter.objects(day=day).modify(upsert=True, new=True, inc__last=1)
        return f"{day}{counter.last:06d}"

    def submit(self, application, idempotency_key, now):
        """Validate and store a new case; a repeated idempotency key returns the first case.

        Returns ``(case, created)``.
        """
        if idempotency_key:
            existing = models.Case.objects(idempotency_key=idempotency_key).first()
            if existing is not None:
                return existing, False
        item = self.catalog.item(application.get("item_code"))
        if item is None:
            raise NotFound(f"item {application.get('item_code')!r} is not in the catalog")
        if not item.active:
            raise InvalidInput(f"item {item.code} is not accepting applications")
        applicant = validate_applicant(application.get("applicant") or {})
        materials = list(dict.fromkeys(application.get("materials") or []))
        check_materials(item, materials)
        case = models.Case(
            case_no=self.next_case_no(now), query_code=new_query_code(), idempotency_key=idempotency_key,
            item_code=item.code, department=item.department, process_key=item.process_key,
            applicant=applicant, materials=materials, form=application.get("form") or {},
            status="submitted", submitted_at=now, updated_at=now,
        )
        try:
            case.save(force_insert=True)
        except me.NotUniqueError:
            # A concurrent retry with the same idempotency key won the race: answer with its case.
            existing = models.Case.objects(idempotency_key=idempotency_key).first()
            if existing is None:
                raise Conflict("the case could not be stored, please retry") from None
            return existing, False
        return case, True

    def get_for_staff(self, case_no, viewer):
        """The case if ``viewer`` may see it; another department's case looks like no case."""
        case = models.Case.objects(case_no=case_no).first()
        if case is None or not staff_may_see(viewer, case):
            raise NotFound(f"case {case_no} does not exist")
        return case

    def get_public(self, case_no, query_code):
        """The case, only with the right query code; a wrong code looks like no case at all."""
        case = models.Case.objects(case_no=case_no).first()
        if case is None or not hmac.compare_digest(case.query_code, str(query_code or "")):
            raise NotFound(f"no case {case_no} with this query code")
        return case

    def record_progress(self, case_no, rev, status, current_step, outcome, now):
        """Apply the approval's progress if it is newer than what is stored (events may repeat
        or arrive out of order)."""
        models.Case.objects(case_no=case_no, progress_rev__lt=rev).update_one(
            set__progress_rev=rev, set__status=status, set__current_step=current_step,
            set__outcome=outcome, set__updated_at=now,
        )


def staff_may_see(viewer, case):
    department = (viewer or {}).get("department")
    return department in HALL_WIDE_DEPARTMENTS or department == case.department


def staff_view(case, item):
    return {
        "case_no": case.case_no, "item_code": case.item_code,
        "item_name": item.name_zh if item else case.item_code,
        "department": case.department, "applicant": case.applicant, "materials": case.materials,
        "form": case.form, "status": case.status, "current_step": case.current_step,
        "outcome": case.outcome, "submitted_at": isoformat(case.submitted_at), "updated_at": isoformat(case.updated_at),
    }


def public_view(case, item):
    """What anyone with the query code may see: no personal data."""
    return {
        "case_no": case.case_no, "item_code": case.item_code,
        "item_name": item.name_zh if item else case.item_code,
        "status": case.status, "current_step": case.current_step, "outcome": case.outcome,
        "submitted_at": isoformat(case.submitted_at), "updated_at": isoformat(case.updated_at),
    }


def submission_receipt(case):
    return {
        "case_no": case.case_no, "query_code": case.query_code, "status": case.status,
        "item_code": case.item_code, "submitted_at": isoformat(case.submitted_at),
        "next": "The intake window checks the materials; follow the case with its number and query code.",
    }
