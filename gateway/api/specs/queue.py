"""OpenAPI fragments of ``gateway.api.queue``: paths, schemas, request examples."""

from gateway.spec import (
    FORBIDDEN,
    INVALID,
    STAFF,
    UNAUTHORIZED,
    UNAVAILABLE,
    json_response,
    path_param,
    problem,
    request_body,
)

SEQ_MAX = 2**63 - 1  # a call's sequence number is an 8-byte integer in the store


WINDOW_ID = path_param("window_id", "Window number.", r"^[0-9]{1,3}$", 3)
TICKET_ID = path_param("ticket_id", "Ticket id: day and number, e.g. 20261126-A001.", r"^[0-9]{8}-[A-Z][0-9]{3,}$", 16)
CODE = path_param("code", "Appointment code (预约码).", r"^[2-9A-HJ-NP-Z]{8}$", 8)
CATEGORY_CODE = path_param("code", "Category letter (the ticket prefix).", r"^[A-Z]$", 1)
APPLICANT_ID = {
    "type": "string",
    "pattern": r"^[0-9A-Za-z]{18}$",
    "maxLength": 18,
    "description": "Resident ID (18 characters) or unified social credit code.",
}
CONFLICT = problem("The window or ticket is not in a state that allows this; nothing changed.")


def _ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


SCHEMAS = {
    "TicketRequest": {
        "type": "object",
        "additionalProperties": False,
        "description": "At the kiosk: a category or an item; or only an appointment code to check in.",
        "properties": {
            "category": {"type": "string", "pattern": r"^[A-Z]$", "maxLength": 1},
            "item_code": {"type": "string", "minLength": 1, "maxLength": 32},
            "priority": {"enum": ["normal", "care"], "description": "care: 爱心号 (elderly, disabled)"},
            "applicant_id": APPLICANT_ID,
            "appointment_code": {"type": "string", "pattern": r"^[2-9A-HJ-NP-Z]{8}$", "maxLength": 8},
        },
    },
    "Announcement": {
        "type": "object",
        "description": "A call as the board shows and speaks it.",
        "properties": {
            "seq": {"type": "integer"},
            "ticket_id": {"type": "string"},
            "number": {"type": "string"},
            "day": {"type": "string", "format": "date", "description": "The hall day of the call."},
            "window": {"type": "integer"},
            "category": {"type": "string"},
            "recall": {"type": "integer"},
            "text_zh": {"type": "string"},
            "text_en": {"type": "string"},
            "called_at": {"type": "string", "format": "date-time"},
        },
    },
    "Ticket": {
        "type": "object",
        "properties": {
            "ticket_id": {"type": "string"},
            "number": {"type": "string", "description": "A001: numbers start again each day."},
            "day": {"type": "string", "format": "date", "description": "The hall day it was issued on."},
            "label": {"type": "string", "description": "Day and number as staff see it: 2026-12-03 A001."},
            "category": {"type": "string"},
            "priority": {"enum": ["appointment", "care", "vip", "normal"]},
            "state": {"enum": ["waiting", "called", "serving", "finished", "no_show", "abandoned"]},
            "window": {"type": ["integer", "null"]},
            "target_window": {"type": ["integer", "null"]},
            "calls": {"type": "integer"},
            "transfers": {"type": "integer"},
            "case_no": {"type": ["string", "null"]},
            "appointment_code": {"type": ["string", "null"]},
            "issued_at": {"type": "string"},
            "called_at": {"type": ["string", "null"]},
            "started_at": {"type": ["string", "null"]},
            "finished_at": {"type": ["string", "null"]},
            "ahead": {"type": "integer", "description": "People ahead in the category (on issue)."},
            "estimated_wait_minutes": {"type": "integer"},
            "announcement": _ref("Announcement"),
        },
    },
    "Transfer": {
        "type": "object",
        "additionalProperties": False,
        "minProperties": 1,
        "description": "To a category, to a window, or to a category at a window (转窗).",
        "properties": {
            "category": {"type": "string", "pattern": r"^[A-Z]$", "maxLength": 1},
            "window": {"type": "integer", "minimum": 1, "maximum": 999},
        },
    },
    "CaseLink": {
        "type": "object",
        "additionalProperties": False,
        "required": ["case_no"],
        "properties": {"case_no": {"type": "string", "pattern": r"^[0-9]{14}$", "maxLength": 14}},
    },
    "Board": {
        "type": "object",
        "properties": {
            "day": {
                "type": "string",
                "format": "date",
                "description": "The hall's day (Asia/Shanghai); `calls` are that day's only.",
            },
            "calls": {"type": "array", "items": _ref("Announcement")},
            "waiting": {"type": "object", "additionalProperties": {"type": "integer"}},
            "windows": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "number": {"type": "integer"},
                        "open": {"type": "boolean"},
                        "categories": {"type": "array", "items": {"type": "string"}},
                        "state": {"enum": ["closed", "idle", "called", "serving"]},
                        "ticket": {"type": ["string", "null"]},
                    },
                },
            },
            "last_seq": {"type": "integer"},
        },
    },
    "QueueStats": {
        "type": "object",
        "properties": {
            "day": {"type": "string", "format": "date"},
            "categories": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "category": {"type": "string", "description": "The category the tickets were issued in."},
                        **{
                            name: {"type": "integer"}
                            for name in (
                                "issued",
                                "served",
                                "no_shows",
                                "abandoned",
                                "waiting",
                                "in_queue",
                                "at_windows",
                                "called",
                                "appointment_no_shows",
                            )
                        },
                        "mean_wait_minutes": {
                            "type": ["number", "null"],
                            "description": (
                                "The first calls' waits (issue to first call, the milliseconds between the "
                                "ticket's stamps) summed ÷ `called`, minutes rounded to 0.1."
                            ),
                        },
                        "p90_wait_minutes": {
                            "type": ["number", "null"],
                            "description": (
                                "The 90th percentile of the same waits by nearest rank: the ⌈0.9·n⌉-th smallest "
                                "of the n waits, minutes rounded to 0.1."
                            ),
                        },
                        "mean_service_minutes": {
                            "type": ["number", "null"],
                            "description": ("Call (or start) to finish, summed ÷ `served`, minutes rounded to 0.1."),
                        },
                    },
                },
            },
        },
    },
    "DayTickets": {
        "type": "object",
        "properties": {
            "day": {"type": "string", "format": "date"},
            "tickets": {"type": "array", "items": {"$ref": "#/components/schemas/Ticket"}},
        },
    },
    "Category": {
        "type": "object",
        "additionalProperties": False,
        "required": ["name_zh", "name_en"],
        "properties": {
            "code": {"type": "string", "maxLength": 1},
            "name_zh": {"type": "string", "minLength": 1, "maxLength": 50},
            "name_en": {"type": "string", "minLength": 1, "maxLength": 100},
            "items": {"type": "array", "maxItems": 200, "items": {"type": "string", "maxLength": 32}},
            "appointment_capacity": {"type": "integer", "minimum": 0, "maximum": 1000},
        },
    },
    "Window": {
        "type": "object",
        "additionalProperties": False,
        "required": ["categories"],
        "properties": {
            "number": {"type": "integer", "minimum": 0, "maximum": 999},
            "categories": {
                "type": "array",
                "minItems": 1,
                "maxItems": 26,
                "items": {"type": "string", "pattern": r"^[A-Z]$", "maxLength": 1},
                "description": "Served in this order (the window's work profile).",
            },
            "open": {"type": "boolean"},
            "current_ticket": {"type": ["string", "null"], "maxLength": 16},
        },
    },
    "QueueSettings": {
        "type": "object",
        "additionalProperties": False,
        "minProperties": 1,
        "properties": {
            "priority_order": {
                "type": "array",
                "items": {"enum": ["appointment", "care", "vip", "normal"]},
                "minItems": 4,
                "maxItems": 4,
                "uniqueItems": True,
            },
            "vip_ids": {"type": "array", "maxItems": 10000, "items": APPLICANT_ID},
            "recall_limit": {"type": "integer", "minimum": 0, "maximum": 10},
            "default_service_minutes": {"type": "integer", "minimum": 1, "maximum": 240},
            "hours": {
                "type": "array",
                "maxItems": 4,
                "items": {
                    "type": "array",
                    "minItems": 2,
                    "maxItems": 2,
                    "items": {"type": "string", "pattern": r"^\d\d:\d\d$", "maxLength": 5},
                },
            },
            "slot_minutes": {"type": "integer", "minimum": 5, "maximum": 240},
            "booking_workdays": {"type": "integer", "minimum": 0, "maximum": 20},
            "cancel_hours": {"type": "integer", "minimum": 0, "maximum": 72},
            "checkin_minutes": {"type": "integer", "minimum": 0, "maximum": 120},
            "no_show_limit": {"type": "integer", "minimum": 1, "maximum": 31},
            "closures": {
                "type": "array",
                "maxItems": 366,
                "items": {"type": "string", "format": "date", "maxLength": 10},
            },
            "extra_workdays": {
                "type": "array",
                "maxItems": 366,
                "items": {"type": "string", "format": "date", "maxLength": 10},
            },
        },
    },
    "QueueSetup": {
        "type": "object",
        "properties": {
            "categories": {"type": "array", "items": _ref("Category")},
            "windows": {"type": "array", "items": _ref("Window")},
            "settings": _ref("QueueSettings"),
        },
    },
    "AppointmentRequest": {
        "type": "object",
        "additionalProperties": False,
        "required": ["applicant_id", "category", "day", "slot"],
        "properties": {
            "applicant_id": APPLICANT_ID,
            "category": {"type": "string", "pattern": r"^[A-Z]$", "maxLength": 1},
            "day": {"type": "string", "pattern": r"^\d{4}-\d\d-\d\d$", "maxLength": 10},
            "slot": {"type": "string", "pattern": r"^\d\d:\d\d$", "maxLength": 5},
        },
    },
    "AppointmentCancel": {
        "type": "object",
        "additionalProperties": False,
        "required": ["applicant_id"],
        "properties": {"applicant_id": APPLICANT_ID},
    },
    "Appointment": {
        "type": "object",
        "properties": {
            "code": {"type": "string"},
            "category": {"type": "string"},
            "day": {"type": "string"},
            "slot": {"type": "string"},
            "state": {"enum": ["booked", "cancelled", "checked_in", "no_show"]},
            "starts_at": {"type": "string"},
            "checkin_closes_at": {"type": "string"},
            "ticket_id": {"type": ["string", "null"]},
        },
    },
    "Slots": {
        "type": "object",
        "properties": {
            "category": {"type": "string"},
            "day": {"type": "string"},
            "slots": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "slot": {"type": "string"},
                        "starts_at": {"type": "string"},
                        "capacity": {"type": "integer"},
                        "free": {"type": "integer"},
                    },
                },
            },
        },
    },
}


def _window_operation(summary, ok, *, body=None, extra=None):
    operation = {
        "summary": summary,
        "tags": ["queue"],
        "security": STAFF,
        "parameters": [WINDOW_ID],
        "responses": {
            "200": json_response(ok, "Ticket"),
            "401": UNAUTHORIZED,
            "403": FORBIDDEN,
            "404": problem("No such window."),
            "409": CONFLICT,
            "503": UNAVAILABLE,
            **(extra or {}),
        },
    }
    if body:
        operation["requestBody"] = request_body(body, "Where the ticket goes.")
        operation["responses"].update({"400": problem("Not JSON."), "415": problem("Not JSON."), "422": INVALID})
    return {"post": operation}


BODY_ERRORS = {"400": problem("Not JSON."), "415": problem("Not JSON."), "422": INVALID}
ADMIN_ERRORS = {"401": UNAUTHORIZED, "403": FORBIDDEN, "503": UNAVAILABLE}
_DAY_PARAMETER = {
    "name": "day",
    "in": "query",
    "required": False,
    "schema": {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$", "maxLength": 10},
    "description": "The hall's day, YYYY-MM-DD (as every endpoint); today if absent.",
}

EXAMPLES = {  # request bodies in the OpenAPI document
    "QueueSettings": {
        "recall_limit": 2,
        "hours": [["09:00", "12:00"], ["13:30", "17:00"]],
        "closures": ["2026-10-01"],
        "extra_workdays": ["2026-10-11"],
    },
    "Category": {
        "name_zh": "企业登记",
        "name_en": "Business registration",
        "items": ["MR-001"],
        "appointment_capacity": 20,
    },
    "Window": {"categories": ["A", "B"], "open": True},
    "TicketRequest": {"item_code": "MR-001", "priority": "care", "applicant_id": "11010519491231002X"},
    "CaseLink": {"case_no": "20261126000001"},
    "Transfer": {"category": "B", "window": 7},
    "AppointmentRequest": {"applicant_id": "11010519491231002X", "category": "A", "day": "2026-11-27", "slot": "09:30"},
    "AppointmentCancel": {"applicant_id": "11010519491231002X"},
}

PATHS = {
    "/api/v1/queue/setup": {
        "get": {
            "summary": "Categories, windows and the hall's queue and appointment rules.",
            "tags": ["queue"],
            "responses": {"200": json_response("The set-up.", "QueueSetup"), "503": UNAVAILABLE},
        }
    },
    "/api/v1/queue/settings": {
        "patch": {
            "summary": "Change some of the queue and appointment rules (admin).",
            "tags": ["queue"],
            "security": STAFF,
            "requestBody": request_body("QueueSettings", "Only the settings to change."),
            "responses": {
                "200": json_response("All settings after the change.", "QueueSettings"),
                **BODY_ERRORS,
                **ADMIN_ERRORS,
            },
        }
    },
    "/api/v1/queue/categories/{code}": {
        "put": {
            "summary": "Create or replace a service category (admin).",
            "tags": ["queue"],
            "security": STAFF,
            "parameters": [CATEGORY_CODE],
            "requestBody": request_body("Category", "The category."),
            "responses": {"200": json_response("The category.", "Category"), **BODY_ERRORS, **ADMIN_ERRORS},
        }
    },
    "/api/v1/queue/windows/{window_id}": {
        "put": {
            "summary": "Create or change a window: categories served in order, open or closed (admin).",
            "tags": ["queue"],
            "security": STAFF,
            "parameters": [WINDOW_ID],
            "requestBody": request_body("Window", "The window."),
            "responses": {
                "200": json_response("The window.", "Window"),
                "409": CONFLICT,
                **BODY_ERRORS,
                **ADMIN_ERRORS,
            },
        }
    },
    "/api/v1/queue/tickets": {
        "get": {
            "summary": "A day's tickets with their stamps (issue, call, start, finish), by issue time: the records "
            "the day's measures (`/api/v1/queue/stats`) are counted from, e.g. to chart the day.",
            "tags": ["queue"],
            "security": STAFF,
            "parameters": [_DAY_PARAMETER],
            "responses": {
                "200": json_response("The day's tickets.", "DayTickets"),
                "400": problem("`day` is not a date YYYY-MM-DD (e.g. the compact form 20261203)."),
                "422": INVALID,
                **ADMIN_ERRORS,
            },
        },
        "post": {
            "summary": "Issue a ticket at the kiosk (取号), or check in an appointment (签到).",
            "tags": ["queue"],
            "requestBody": request_body(
                "TicketRequest", "Category or item; optional applicant ID; or an appointment code."
            ),
            "responses": {
                "201": json_response("The ticket, the people ahead and the estimated wait.", "Ticket"),
                "404": problem("No such category, item or appointment."),
                "409": problem("The appointment was already checked in, cancelled or missed."),
                **BODY_ERRORS,
                "503": UNAVAILABLE,
            },
        },
    },
    "/api/v1/queue/tickets/{ticket_id}": {
        "get": {
            "summary": "A ticket's state (without its case and appointment code: ticket ids are guessable).",
            "tags": ["queue"],
            "parameters": [TICKET_ID],
            "responses": {
                "200": json_response("The ticket.", "Ticket"),
                "404": problem("No such ticket."),
                "503": UNAVAILABLE,
            },
        }
    },
    "/api/v1/queue/tickets/{ticket_id}/case": {
        "post": {
            "summary": "Link the ticket to the case opened for its visit (window staff).",
            "tags": ["queue"],
            "security": STAFF,
            "parameters": [TICKET_ID],
            "requestBody": request_body("CaseLink", "The case."),
            "responses": {
                "200": json_response("The ticket.", "Ticket"),
                "401": UNAUTHORIZED,
                "403": FORBIDDEN,
                "404": problem("No such ticket."),
                "409": CONFLICT,
                **BODY_ERRORS,
                "503": UNAVAILABLE,
            },
        }
    },
    "/api/v1/queue/windows/{window_id}/call": _window_operation(
        "Call the next ticket by the window's categories and priorities (叫号).",
        "The called ticket.",
        extra={"204": {"description": "Nobody waits for this window."}},
    ),
    "/api/v1/queue/windows/{window_id}/recall": _window_operation(
        "Call the window's ticket again (重呼); past the recall limit it becomes a no-show.", "The ticket."
    ),
    "/api/v1/queue/windows/{window_id}/no-show": _window_operation(
        "The called person did not come (过号).", "The ticket, now a no-show."
    ),
    "/api/v1/queue/windows/{window_id}/start": _window_operation("Service starts.", "The ticket, serving."),
    "/api/v1/queue/windows/{window_id}/finish": _window_operation("Service done.", "The ticket, finished."),
    "/api/v1/queue/windows/{window_id}/transfer": _window_operation(
        "Transfer the window's ticket to a category or window (转窗); it keeps its issue time.",
        "The ticket, waiting again.",
        body="Transfer",
    ),
    "/api/v1/queue/board": {
        "get": {
            "summary": "The hall's board: recent calls, people waiting per category, window states.",
            "tags": ["queue"],
            "responses": {"200": json_response("The board.", "Board"), "503": UNAVAILABLE},
        }
    },
    "/api/v1/queue/board/stream": {
        "get": {
            "summary": "Calls as they happen (server-sent events `call`, id = the call's sequence number); "
            "calls caught up from more than a minute ago come as `missed` (shown, not read out).",
            "tags": ["queue"],
            "parameters": [
                {
                    "name": "after",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "integer", "minimum": 0, "maximum": SEQ_MAX},
                    "description": "Send the calls after this sequence number first (or `Last-Event-ID`).",
                }
            ],
            "responses": {
                "200": {
                    "description": "An event stream; ends after a few minutes (reconnect).",
                    "content": {"text/event-stream": {"schema": {"type": "string"}}},
                },
                "400": problem("`after` is not a number."),
                "503": UNAVAILABLE,
            },
        }
    },
    "/api/v1/queue/stats": {
        "get": {
            "summary": "A day's measures per category: counts, mean and 90th-percentile waiting time, mean service "
            "time.",
            "tags": ["queue"],
            "security": STAFF,
            "description": "Every ticket issued on the day ends in one way or is still open, so per category "
            "`issued = served + no_shows + abandoned + waiting`: `no_shows` were called in vain, "
            "`abandoned` were still waiting when the day ended (never called), `waiting` are open now "
            "(`in_queue` + `at_windows`). A ticket counts in the category it was issued in.",
            "parameters": [_DAY_PARAMETER],
            "responses": {
                "200": json_response("The day's measures.", "QueueStats"),
                "400": problem("`day` is not a date YYYY-MM-DD (e.g. the compact form 20261203)."),
                "422": INVALID,
                **ADMIN_ERRORS,
            },
        }
    },
    "/api/v1/queue/appointments/slots": {
        "get": {
            "summary": "A category's slots on a working day, with free places.",
            "tags": ["queue"],
            "parameters": [
                {
                    "name": "category",
                    "in": "query",
                    "required": True,
                    "schema": {"type": "string", "pattern": r"^[A-Z]$", "maxLength": 1},
                },
                {
                    "name": "day",
                    "in": "query",
                    "required": True,
                    "schema": {"type": "string", "format": "date", "maxLength": 10},
                },
            ],
            "responses": {
                "200": json_response("The slots.", "Slots"),
                "400": problem("A parameter is missing."),
                "404": problem("No such category."),
                "422": INVALID,
                "503": UNAVAILABLE,
            },
        }
    },
    "/api/v1/queue/appointments": {
        "post": {
            "summary": "Book a slot (网上预约): up to 5 working days ahead, one booking per person and day.",
            "tags": ["queue"],
            "requestBody": request_body("AppointmentRequest", "Who, which category, day and slot."),
            "responses": {
                "201": json_response("Booked; show the code at the kiosk.", "Appointment"),
                "403": problem("Booking is blocked for this month after no-shows."),
                "404": problem("No such category."),
                "409": problem("The slot is full, or the person already booked that day."),
                **BODY_ERRORS,
                "503": UNAVAILABLE,
            },
        }
    },
    "/api/v1/queue/appointments/{code}/cancel": {
        "post": {
            "summary": "Cancel a booking, until 2 h before its slot.",
            "tags": ["queue"],
            "parameters": [CODE],
            "requestBody": request_body("AppointmentCancel", "The person who booked."),
            "responses": {
                "200": json_response("Cancelled.", "Appointment"),
                "404": problem("No such booking for this person."),
                "409": problem("Too late, or not booked any more."),
                **BODY_ERRORS,
                "503": UNAVAILABLE,
            },
        }
    },
}
