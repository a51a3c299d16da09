"""What a case may do next, decided over plain data (its status and its timeline's facts):
who may see it, which materials the applicant may supply and when the supplements are
complete (补正), and when its result may be handed over (出件). Its status itself follows
from its facts (``timeline.derive``: accepted, refused, awaiting supplements, decided);
``cases`` stores what these rules decide.
"""

from services.common.errors import Conflict, InvalidInput
from services.common.staff_roles import may_see
from services.intake import timeline

COLLECTION_WAYS = ("in_person", "post")


def staff_may_see(viewer, case):
    """A hall-wide department sees every case; another one the cases of its own department."""
    return may_see(viewer, case.department)


def material_codes(item, asked):
    """The clerk may name a material by its code or by its name on the checklist."""
    codes = {m.name: m.code for m in item.materials}
    return list(dict.fromkeys(codes.get(entry, entry) for entry in asked or []))


def check_supplied(codes):
    if not codes:
        raise InvalidInput("name the materials you supply", [{"field": "materials", "message": "at least one"}])


def open_request_for(case_no, status, facts):
    """The supplement request the applicant answers: a case waiting for supplements has one."""
    request = timeline.open_request(facts)
    if request is None or status != "awaiting_supplements":
        raise Conflict(f"case {case_no} is not waiting for supplements")
    return request


def check_asked(request, codes):
    """Only the materials the request asked for can be supplied."""
    unasked = [c for c in codes if c not in request.detail.get("missing_materials", [])]
    if unasked:
        raise InvalidInput(
            "only the materials asked for can be supplied",
            [{"field": "materials", "message": f"{c} was not asked for"} for c in unasked],
        )


def supplement_facts(request, facts, codes, references, now):
    """The facts of a supply of ``codes``: the materials supplied, and the supplements
    received once every material asked for has come."""
    asked = request.detail.get("missing_materials", [])
    supplied = timeline.supplied_since(facts, request) | set(codes)
    new = [
        timeline.Fact(
            key=f"supplied:{request.key}:{now.isoformat()}",
            kind="materials_supplied",
            at=now,
            detail={"materials": codes, "documents": references},
        )
    ]
    if supplied >= set(asked):
        new.append(
            timeline.Fact(
                key=f"received:{request.key}",
                kind="supplement_received",
                at=now,
                detail={"materials": sorted(supplied)},
            )
        )
    return new


def check_collection_way(how):
    if how not in COLLECTION_WAYS:
        raise InvalidInput("how must be 'in_person' or 'post'", [{"field": "how", "message": "in_person or post"}])


def collection_fact(case_no, status, how, note, by, now):
    """The result is handed over (出件) once the case is decided, and only once."""
    if status == "collected":
        raise Conflict(f"the result of case {case_no} was already collected")
    if status != "completed":
        raise Conflict(f"case {case_no} is not decided yet: nothing to collect")
    return timeline.Fact(key="collected", kind="collected", at=now, by=by, detail={"how": how, "note": note or ""})
