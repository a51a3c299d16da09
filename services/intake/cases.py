"""Applying for an item and following the case: validation, case numbers, query codes,
the timeline's changes, search, and the views shown to staff and to the public.

Case number: ``YYYYMMDD`` (the hall's calendar day, Asia/Shanghai) followed by a
six-digit sequence of that day, e.g. ``20261126000042``: unique, and sorting the
numbers sorts the cases by day of submission. The query code is 8 random characters
from an alphabet without look-alikes; with the case number it lets an applicant follow
the case without logging in.
"""

import secrets
from datetime import datetime, time, timedelta

import mongoengine as me

from services.common import constant_time
from services.common.db import collection_of, count_of, document_from
from services.common.errors import Conflict, InvalidInput, NotFound
from services.common.fields import to_millis
from services.common.idempotency import RETENTION
from services.common.sequences import hall_day, next_in_sequence
from services.common.staff_roles import sees_all
from services.common.time import isoformat
from services.common.workdays import SHANGHAI
from services.intake import decisions, models, timeline
from services.intake.identifiers import InvalidIdentifier, validate_credit_code, validate_resident_id

QUERY_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
APPLICANT_KINDS = {"person": ("id_number", validate_resident_id), "company": ("credit_code", validate_credit_code)}
MAX_NAME_LENGTH = 100
MAX_FORM_FIELDS = 50
MAX_FORM_VALUE_LENGTH = 2000
STATUSES = ("submitted", "awaiting_supplements", "accepted", "refused", "completed", "collected")
CAS_ATTEMPTS = 20
MAX_PAGE_SIZE = 100


def new_query_code():
    return "".join(secrets.choice(QUERY_CODE_ALPHABET) for _ in range(8))


def validate_owner(kind, identifier):
    """The checked identifier of a person (resident ID) or a company (credit code)."""
    if kind not in APPLICANT_KINDS:
        raise InvalidInput(
            "applicant.kind must be 'person' or 'company'",
            [{"field": "applicant.kind", "message": "must be 'person' or 'company'"}],
        )
    id_field, validate = APPLICANT_KINDS[kind]
    try:
        if not isinstance(identifier, str):
            raise InvalidIdentifier("required, 18 characters")
        return validate(identifier)
    except InvalidIdentifier as exc:
        raise InvalidInput(
            f"applicant.{id_field}: {exc}", [{"field": f"applicant.{id_field}", "message": str(exc)}]
        ) from None


def validate_applicant(applicant):
    """The applicant as stored: kind, name and the checked identifier."""
    if not isinstance(applicant, dict):
        raise InvalidInput("applicant must be an object", [{"field": "applicant", "message": "must be an object"}])
    kind = applicant.get("kind")
    if kind not in APPLICANT_KINDS:
        validate_owner(kind, None)
    id_field = APPLICANT_KINDS[kind][0]
    name = applicant.get("name")
    name = name.strip() if isinstance(name, str) else ""
    if not name or len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(
            "applicant.name is required (at most 100 characters)",
            [{"field": "applicant.name", "message": "required, 1 to 100 characters"}],
        )
    return {"kind": kind, "name": name, id_field: validate_owner(kind, applicant.get(id_field))}


def applicant_identifier(applicant):
    return applicant.get("id_number") or applicant.get("credit_code")


def split_materials(materials):
    """Material codes handed in, and the shared documents referenced: ``(codes, {code: document_id})``."""
    if not isinstance(materials, list):
        raise InvalidInput("materials must be a list", [{"field": "materials", "message": "must be a list"}])
    codes, documents = [], {}
    for index, entry in enumerate(materials):
        if isinstance(entry, dict) and isinstance(entry.get("code"), str) and isinstance(entry.get("document_id"), str):
            code = entry["code"]
            documents[code] = entry["document_id"]
        elif isinstance(entry, str):
            code = entry
        else:
            raise InvalidInput(
                "a material is a code or {code, document_id}",
                [{"field": f"materials.{index}", "message": "a code or {code, document_id}"}],
            )
        if code not in codes:
            codes.append(code)
    return codes, documents


def check_materials(item, materials):
    missing = [m for m in item.materials if m.required and m.code not in materials]
    known = {m.code for m in item.materials}
    unknown = [code for code in materials if code not in known]
    errors = [{"field": "materials", "message": f"missing required material {m.code} ({m.name})"} for m in missing]
    errors += [{"field": "materials", "message": f"{code} is not a material of item {item.code}"} for code in unknown]
    if errors:
        raise InvalidInput(f"the materials do not match the checklist of item {item.code}", errors)


def check_form(form):
    """The free-form answers of the application: flat, small, JSON scalars only."""
    if not isinstance(form, dict) or len(form) > MAX_FORM_FIELDS:
        raise InvalidInput(
            "form must be an object of at most 50 fields",
            [{"field": "form", "message": "an object of at most 50 fields"}],
        )
    errors = []
    for key, value in form.items():
        if not isinstance(key, str) or not 1 <= len(key) <= 64:
            errors.append({"field": "form", "message": f"field name {key!r} must be 1 to 64 characters"})
        elif value is not None and not isinstance(value, (str, int, float, bool)):
            errors.append({"field": f"form.{key}", "message": "must be a string, number, boolean or null"})
        elif isinstance(value, str) and len(value) > MAX_FORM_VALUE_LENGTH:
            errors.append({"field": f"form.{key}", "message": f"at most {MAX_FORM_VALUE_LENGTH} characters"})
    if errors:
        raise InvalidInput("the form has fields that cannot be stored", errors)
    return form


def check_defined_form(item, form):
    """The answers against the item's own form definition, every fault listed; without a
    definition only the generic check of ``check_form`` applies."""
    if item.form is None:
        return form
    defined = {f.id: f for f in item.form}
    errors = [
        {"field": f"form.{key}", "message": f"not a field of the form of item {item.code}"}
        for key in form
        if key not in defined
    ]
    for field in item.form:
        value = form.get(field.id)
        if value is None or value == "":
            if field.required:
                errors.append({"field": f"form.{field.id}", "message": f"required ({field.label})"})
            continue
        problem = _form_value_problem(field, value)
        if problem:
            errors.append({"field": f"form.{field.id}", "message": f"{problem} ({field.label})"})
    if errors:
        raise InvalidInput(f"the form does not match the form of item {item.code}", errors)
    return form


def _form_value_problem(field, value):
    if field.type == "string":
        limit = field.max_length or MAX_FORM_VALUE_LENGTH
        if not isinstance(value, str):
            return "must be text"
        return f"at most {limit} characters" if len(value) > limit else None
    if field.type == "long":
        return None if isinstance(value, int) and not isinstance(value, bool) else "must be a whole number"
    if field.type == "boolean":
        return None if isinstance(value, bool) else "must be true or false"
    if field.type == "enum":
        return None if value in field.options else f"must be one of {', '.join(field.options)}"
    try:
        datetime.strptime(value, "%Y-%m-%d")
    except (TypeError, ValueError):
        return "must be a date YYYY-MM-DD"
    return None


class CaseRepository:
    """Cases of the intake service; thread-safe (no state but the catalog and the material store)."""

    def __init__(self, items, shared_materials, calendar):
        self.items = items
        self.shared_materials = shared_materials
        self.calendar = calendar

    def item_of(self, case):
        """The item as it was when the case was submitted."""
        return self.items.version(case.item_code, case.item_version)

    def next_case_no(self, now):
        day = hall_day(now)
        return f"{day}{next_in_sequence(models.DailyCounter, day):06d}"

    def submit(self, application, now, request=None):
        """Validate and store a new case. ``request`` (``{"key", "fingerprint"}``, see
        ``services.common.idempotency``) is stored on the case, in the write that creates it,
        so that ``submitted_for`` finds the case of a request whose answer was never recorded.

        Everything is checked before anything is written, so a refused application leaves
        nothing behind but, at most, a case number never used.
        """
        item_version, item = self.items.applicable(application.get("item_code"), now)
        applicant = validate_applicant(application.get("applicant") or {})
        materials, documents = split_materials(application.get("materials") or [])
        check_materials(item, materials)
        form = check_defined_form(item, check_form(application.get("form") or {}))
        owner = applicant_identifier(applicant)
        references = [
            self.shared_materials.reference(owner, code, document_id) for code, document_id in documents.items()
        ]
        key, fingerprint = (request["key"], request["fingerprint"]) if request else (None, None)
        now = now.replace(microsecond=now.microsecond // 1000 * 1000)  # as stored: a receipt read back is the same
        if key:  # a key is remembered for its retention only: an older case gives it up
            self.release_key(key, now)
        case = models.Case(
            case_no=self.next_case_no(now),
            query_code=new_query_code(),
            idempotency_key=key,
            request_fingerprint=fingerprint,
            item_code=item.code,
            item_version=item_version,
            department=item.department,
            process_key=item.process_key,
            applicant=applicant,
            applicant_id=owner,
            materials=materials,
            documents=references,
            form=form,
            status="submitted",
            submitted_at=now,
            updated_at=now,
            announcement_pending=True,
            timeline=[models.Step(key="submitted", kind="submitted", at=now)],
        )
        try:
            case.save(force_insert=True)
        except me.NotUniqueError:  # a slow first attempt with the same key stored its case meanwhile
            raise Conflict("a case with this Idempotency-Key was stored meanwhile") from None
        return case

    @staticmethod
    def release_key(key, now):
        """The case holding ``key`` past its retention gives it up. Found first by the key alone:
        NX-27017 compiles an update's filter without the key's index (its equality also matches
        inside arrays, which no index serves) and ran the one filter over the submitted_at
        index's range, every case submitted before: a cost growing with the cases stored."""
        holder = models.Case.objects(idempotency_key=key).only("submitted_at").first()
        if holder is not None and holder.submitted_at < now - RETENTION:
            models.Case.objects(pk=holder.pk, idempotency_key=key).update(
                unset__idempotency_key=True, unset__request_fingerprint=True
            )

    @staticmethod
    def submitted_for(request, now):
        """The case a request (key and fingerprint) stored within the key's retention, or None."""
        return models.Case.objects(
            idempotency_key=request["key"],
            request_fingerprint=request["fingerprint"],
            submitted_at__gte=now - RETENTION,
        ).first()

    def get(self, case_no):
        case = models.Case.objects(case_no=case_no).first()
        if case is None:
            raise NotFound(f"case {case_no} does not exist")
        return case

    @staticmethod
    def pending_announcements(submitted_before):
        """Cases stored before ``submitted_before`` whose case_submitted was never dispatched."""
        return list(models.Case.objects(announcement_pending=True, submitted_at__lt=submitted_before))

    @staticmethod
    def mark_announced(case):
        # By key: on the embedded store an update filtered on another field costs several
        # times one on `_id` (measured in bench/README.md).
        models.Case.objects(pk=case.pk).update_one(set__announcement_pending=False)

    def get_for_staff(self, case_no, viewer):
        """The case if ``viewer`` may see it; another department's case looks like no case."""
        case = models.Case.objects(case_no=case_no).first()
        if case is None or not decisions.staff_may_see(viewer, case):
            raise NotFound(f"case {case_no} does not exist")
        return case

    def get_public(self, case_no, query_code):
        """The case, only with the right query code; a wrong code looks like no case at all."""
        case = models.Case.objects(case_no=case_no).first()
        if case is None or not constant_time.equal(query_code, case.query_code):
            raise NotFound(f"no case {case_no} with this query code")
        return case

    def change(self, case_no, new_steps, now):
        """Add the facts ``new_steps(case, facts)`` returns to the case's timeline and store
        what follows from them, compare-and-set on ``version`` (a lost race is retried on fresh
        state). Facts whose key is already there are skipped. Returns ``(case, added)``, the
        case as the store holds it (a raw document), None when there is no such case.

        The event handlers' path: it reads and writes the raw document, builds no ``Case``."""
        cases = collection_of(models.Case)
        for _ in range(CAS_ATTEMPTS):
            case = cases.find_one({"case_no": case_no})
            if case is None:
                return None, []
            facts = [timeline.Fact.from_stored(son) for son in case.get("timeline", [])]
            known = {f.key for f in facts}
            added = [f for f in new_steps(case, facts) if f.key not in known]
            if not added:
                return case, []
            steps = sorted(facts + added, key=lambda f: f.at)
            item = self.items.version(case["item_code"], case.get("item_version", 1))
            derived = timeline.derive(case_no, case["item_code"], steps, item.promised_limit_days, self.calendar)
            changes = {
                "timeline": [f.stored() for f in steps],
                "updated_at": to_millis(now),
                **{name: stored(value) for name, value in derived.items() if value is not None},
            }
            gone = {name: "" for name, value in derived.items() if value is None}
            version = case.get("version", 0)
            changed = cases.update_one(
                {"_id": case["_id"], "version": version},
                {"$set": changes, "$inc": {"version": 1}, **({"$unset": gone} if gone else {})},
            )
            if changed.modified_count:  # the case as stored now, without reading it back
                case.update(changes, version=version + 1)
                for name in gone:
                    case.pop(name, None)
                return case, added
        raise Conflict(f"case {case_no} is changing too often, please retry")

    def record(self, case_no, fact, now):
        """Record one fact from an event; repeats and unknown cases are ignored."""

        def steps(case, facts):
            if fact.kind == "supplement_requested":
                item = self.items.version(case["item_code"], case.get("item_version", 1))
                fact.detail["missing_materials"] = decisions.material_codes(item, fact.detail.get("missing_materials"))
            return [fact]

        self.change(case_no, steps, now)

    def document_for_staff(self, document_id, viewer):
        """``(document, bytes)`` of a stored document the viewer may see: the hall-wide
        departments see every document, a department those of its cases (looked up by the
        owner's cases, a small set); another department's or an unknown document is NotFound."""
        document, content = self.shared_materials.content(document_id)
        department = (viewer or {}).get("department")
        if not sees_all(viewer) and not any(
            document.document_id in case_document_ids(case)
            for case in models.Case.objects(applicant_id=document.owner_id, department=department)
        ):
            raise NotFound(f"no shared document {document_id}")
        return document, content

    def supply(self, case_no, query_code, materials, now):
        """The applicant supplies materials asked for; returns ``(case, complete_step or None)``."""
        self.get_public(case_no, query_code)
        codes, documents = split_materials(materials)
        decisions.check_supplied(codes)

        def steps(case, facts):
            request = decisions.open_request_for(case_no, case["status"], facts)
            decisions.check_asked(request, codes)
            references = [
                self.shared_materials.reference(case["applicant_id"], code, document_id)
                for code, document_id in documents.items()
            ]
            return decisions.supplement_facts(request, facts, codes, references, now)

        case, added = self.change(case_no, steps, now)
        return document_from(models.Case, case), next((s for s in added if s.kind == "supplement_received"), None)

    def collect(self, case_no, how, note, viewer, now):
        """The clerk hands over the result (出件); only a decided case, only once."""
        self.get_for_staff(case_no, viewer)
        decisions.check_collection_way(how)

        def steps(case, facts):
            return [decisions.collection_fact(case_no, case["status"], how, note, viewer.get("username"), now)]

        case, added = self.change(case_no, steps, now)
        return document_from(models.Case, case), added[0]

    def search(self, viewer, filters, page, page_size):
        """Cases the viewer may see, newest first, filtered by applicant, item, status, dates."""
        if not 1 <= page_size <= MAX_PAGE_SIZE or page < 1:
            raise InvalidInput(
                "page starts at 1; page_size is 1 to 100", [{"field": "page_size", "message": "1 to 100"}]
            )
        query = {}
        if not sees_all(viewer):
            query["department"] = (viewer or {}).get("department")
        if filters.get("applicant_id"):
            query["applicant_id"] = str(filters["applicant_id"]).upper()
        if filters.get("item_code"):
            query["item_code"] = filters["item_code"]
        if filters.get("status"):
            if filters["status"] not in STATUSES:
                raise InvalidInput(
                    f"status must be one of {', '.join(STATUSES)}",
                    [{"field": "status", "message": f"one of {', '.join(STATUSES)}"}],
                )
            query["status"] = filters["status"]
        for name, op, days in (("submitted_from", "gte", 0), ("submitted_to", "lt", 1)):
            if filters.get(name):
                query[f"submitted_at__{op}"] = _day_start(filters[name], name) + timedelta(days=days)
        found = models.Case.objects(**query)
        total = count_of(found)
        cases = found.order_by("-case_no").skip((page - 1) * page_size).limit(page_size)
        return list(cases), total


def stored(value):
    """A derived value as the store holds it (instants as epoch ms: ``services.common.fields``)."""
    return to_millis(value) if isinstance(value, datetime) else value


def _day_start(value, field):
    """Midnight (Asia/Shanghai) at the start of the hall's day ``YYYY-MM-DD``."""
    try:
        day = datetime.strptime(str(value), "%Y-%m-%d").date()
    except ValueError:
        raise InvalidInput(f"{field} must be a date YYYY-MM-DD", [{"field": field, "message": "YYYY-MM-DD"}]) from None
    return datetime.combine(day, time(), tzinfo=SHANGHAI)


def yuan(fen):
    """Integer fen as the hall writes money: ``12000`` -> ``¥120.00``."""
    return f"¥{fen // 100:,}.{fen % 100:02d}"


def payment_awaited(due):
    """What a case waiting for its fee waits for: the amount and the notice to pay it with."""
    amount = yuan(due.get("total_fen") or 0)
    return (
        f"等待缴费：{amount}，缴款通知书号：{due.get('notice_no')}，请到大厅银行收费窗口缴纳 "
        f"Waiting for payment: {amount} on payment notice {due.get('notice_no')}, at the hall's bank window"
    )


def material_names(item, codes):
    """Materials by their names on the item's checklist, with their codes; a material the clerk
    named outside the checklist keeps what the clerk wrote."""
    names = {m.code: m.name for m in item.materials}
    return [{"code": code, "name": names.get(code, code)} for code in codes]


def _common_view(case, item, progress, public):
    status = case.status
    current_step = timeline.current_step(progress, case.timeline)
    awaiting = timeline.AWAITING.get(status)
    if case.payment_due:
        awaiting = payment_awaited(case.payment_due)
    elif status == "accepted" and current_step:
        awaiting = f"{awaiting}: {current_step}"
    return {
        "case_no": case.case_no,
        "item_code": case.item_code,
        "item_version": case.item_version,
        "item_name": item.name_zh,
        "department": case.department,
        "status": status,
        "current_step": current_step,
        "outcome": case.outcome,
        "outcome_label": case.outcome_label,
        "result": case.result or None,
        "awaiting": awaiting,
        "decided_on_the_spot": timeline.decided_on_the_spot(case.timeline),
        "missing_materials": list(case.missing_materials),
        "missing_material_names": material_names(item, case.missing_materials),
        "payment_due": dict(case.payment_due, amount=yuan(case.payment_due.get("total_fen") or 0))
        if case.payment_due
        else None,
        "evaluable": status in timeline.EVALUABLE,
        "accepted_at": isoformat(case.accepted_at),
        "deadline": isoformat(case.deadline),
        "submitted_at": isoformat(case.submitted_at),
        "updated_at": isoformat(case.updated_at),
        "steps": timeline.steps_view(case.timeline, progress, public),
    }


def case_documents(case):
    """The shared documents a case references: at application and in supplements."""
    supplied = [s.detail for s in case.timeline if s.kind == "materials_supplied"]
    return list(case.documents) + [ref for d in supplied for ref in d.get("documents", [])]


def case_document_ids(case):
    return {ref["document_id"] for ref in case_documents(case)}


def staff_view(case, item, progress):
    """``progress``: the approval's ``case_progress`` answer for the case."""
    supplied = [s.detail for s in case.timeline if s.kind == "materials_supplied"]
    materials = list(dict.fromkeys(list(case.materials) + [c for d in supplied for c in d.get("materials", [])]))
    documents = case_documents(case)
    return dict(
        _common_view(case, item, progress, public=False),
        applicant=case.applicant,
        materials=materials,
        documents=documents,
        form=case.form,
    )


def public_view(case, item, progress):
    """What anyone with the query code may see: no personal data."""
    return _common_view(case, item, progress, public=True)


def summary(case, item):
    return {
        "case_no": case.case_no,
        "item_code": case.item_code,
        "item_name": item.name_zh,
        "department": case.department,
        "applicant_name": case.applicant.get("name"),
        "applicant_id": case.applicant_id,
        "status": case.status,
        "submitted_at": isoformat(case.submitted_at),
        "deadline": isoformat(case.deadline),
    }


def promise(item):
    """When the applicant will have the result: an immediate item on the spot, a promised one
    within its promised limit after acceptance (a limit of 0 days is never shown as such)."""
    if item.kind == "immediate" or not item.promised_limit_days:
        return "即办件，受理后当场办结。", "An immediate item: decided on the spot once accepted."
    days = item.promised_limit_days
    return (
        f"承诺时限：受理后 {days} 个工作日内办结。",
        f"Promised limit: decided within {days} working days after acceptance.",
    )


def submission_receipt(case, item):
    promised_zh, promised_en = promise(item)
    return {
        "case_no": case.case_no,
        "query_code": case.query_code,
        "status": case.status,
        "item_code": case.item_code,
        "item_version": case.item_version,
        "submitted_at": isoformat(case.submitted_at),
        "next": f"统一受理窗口将审核材料，请凭办件编号和查询码查询进度。{promised_zh} The intake window checks the "
        f"materials and decides on acceptance; follow the case with its number and query code."
        + (f" {promised_en}" if promised_en else ""),
    }
