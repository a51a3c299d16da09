"""The RPC methods the gateway calls, one contract each: the service, the method and its
argument names (``name`` required, ``name=`` optional), as the service's entrypoint takes
them. ``@idempotent`` entrypoints take ``idempotency=`` besides their own arguments.

The gateway calls through them (``gateway.rpc.Services``: ``rpc().intake.submit_case(
application, idempotency=key)``), so a call that names no contract or does not fit its
arguments fails before it is sent; ``tests/unit/common/test_contracts.py`` checks each
contract against the service's entrypoint and each call site in the gateway against its
contract. Every service answers ``ping`` (``services.common.platform_service``)."""

import inspect
from dataclasses import dataclass
from functools import cached_property


@dataclass(frozen=True)
class RpcMethod:
    service: str
    name: str
    arguments: str  # "a, b, c=": the argument names in order, ``=`` after an optional one

    @cached_property
    def signature(self):
        return inspect.Signature(
            [
                inspect.Parameter(
                    name.rstrip("="),
                    inspect.Parameter.POSITIONAL_OR_KEYWORD,
                    default=None if name.endswith("=") else inspect.Parameter.empty,
                )
                for name in (part.strip() for part in self.arguments.split(","))
                if name
            ]
        )

    def check(self, args, kwargs):
        """TypeError when ``(args, kwargs)`` does not fit the method's arguments."""
        try:
            self.signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise TypeError(f"{self.service}.{self.name}: {exc}") from None


class Service:
    """A service's methods: ``INTAKE.submit_case`` is its ``RpcMethod``."""

    def __init__(self, name, methods):
        self.name = name
        self.methods = {
            method: RpcMethod(name, method, arguments) for method, arguments in {"ping": "", **methods}.items()
        }

    def __getattr__(self, method):
        try:
            return self.__dict__["methods"][method]
        except KeyError:
            raise AttributeError(f"the service {self.__dict__.get('name')} has no RPC contract {method!r}") from None


INTAKE = Service(
    "intake",
    {
        "list_items": "query=, department=, kind=, page=, page_size=",
        "list_departments": "",
        "get_item": "item_code, version=",
        "list_catalog_items": "",
        "get_catalog_item": "item_code",
        "list_item_versions": "item_code",
        "item_audit": "item_code",
        "create_item": "department, fields, actor, idempotency=",
        "edit_item": "item_code, changes, actor, idempotency=",
        "publish_item": "item_code, effective_from, actor, version=, idempotency=",
        "retire_item": "item_code, actor, effective_from=, reason=, idempotency=",
        "submit_case": "application, idempotency=",
        "get_case": "case_no, viewer",
        "get_public_case": "case_no, query_code",
        "search_cases": "viewer, filters, page=, page_size=",
        "supply_materials": "case_no, query_code, supplied, idempotency=",
        "record_collection": "case_no, how, viewer, note=, idempotency=",
        "store_material": "applicant_kind, applicant_id, filename, content_base64, idempotency=",
        "get_material_content": "document_id, viewer",
    },
)

APPROVAL = Service(
    "approval",
    {
        "deploy_process": "xml, filename=, dmn=, forms=, idempotency=",
        "validate_process": "xml, filename=, dmn=, forms=",
        "list_processes": "",
        "list_process_versions": "key",
        "get_process_xml": "key, version",
        "get_role_mapping": "key",
        "set_role_mapping": "key, entries, rev, user, idempotency=",
        "plan_migration": "key, from_version, to_version, element_map=",
        "migrate_instances": "key, from_version, to_version, element_map, user, idempotency=",
        "sync_staff": "members, complete=",
        "work_list": "user, filters=, limit=, offset=",
        "get_task": "task_id, user",
        "complete_task": "task_id, data, user, idempotency=",
        "deliver_message": "case_no, name, data, message_id, sender, idempotency=",
        "get_case_process": "case_no, viewer",
        "list_incidents": "limit=",
        "retry_case_process": "case_no, data, user, idempotency=",
        "start_test_run": "source, data, user, idempotency=",
        "get_test_run": "run_id",
        "complete_test_task": "run_id, task_id, data, user, idempotency=",
        "fire_test_timer": "run_id, element_id, user, idempotency=",
        "deliver_test_message": "run_id, name, data, user, idempotency=",
        "discard_test_run": "run_id, idempotency=",
    },
)

QUEUE = Service(
    "queue",
    {
        "get_setup": "",
        "put_category": "code, category, idempotency=",
        "put_window": "number, categories, open=, idempotency=",
        "update_settings": "changes, idempotency=",
        "issue_ticket": "category=, item_code=, priority=, applicant_id=, appointment_code=, idempotency=",
        "get_ticket": "ticket_id",
        "call_next": "window, idempotency=",
        "recall": "window, idempotency=",
        "mark_no_show": "window, idempotency=",
        "start_service": "window, idempotency=",
        "finish_service": "window, idempotency=",
        "transfer": "window, category=, to_window=, idempotency=",
        "link_case": "ticket_id, case_no, idempotency=",
        "get_board": "",
        "calls_after": "seq",
        "get_stats": "day=",
        "day_tickets": "day=",
        "period_waits": "first_day, last_day",
        "appointment_slots": "category, day",
        "book_appointment": "applicant_id, category, day, slot, idempotency=",
        "cancel_appointment": "code, applicant_id, idempotency=",
    },
)

PAYMENT = Service(
    "payment",
    {
        "get_payment": "case_no, viewer",
        "get_public_payment": "case_no, query_code",
        "confirm_payment": "confirmation, source, idempotency=",
        "payments_needing_the_cashier": "",
        "request_refund": "bank_txn_id, amount_fen, reason, user, idempotency=",
        "decide_refund": "refund_no, approve, user, idempotency=",
        "confirm_refund": "confirmation, source, idempotency=",
        "reconcile": "day, statement_csv, bank, user, idempotency=",
        "get_reconciliation": "report_id",
        "daily_stats": "day, viewer, department=",
    },
)

MONITOR = Service(
    "monitor",
    {
        "get_clock": "",
        "set_clock": "set_by, advance_seconds=, offset_seconds=, idempotency=",
        "list_warnings": "viewer, level=",
        "get_case_standing": "case_no, viewer",
        "approve_extension": "case_no, days, reason, viewer, idempotency=",
        "suspend_case": "case_no, procedure, reason, viewer, idempotency=",
        "resume_case": "case_no, viewer, idempotency=",
        "list_accountability": "viewer, status=",
        "acknowledge_accountability": "case_no, viewer, idempotency=",
        "close_accountability": "case_no, resolution, viewer, idempotency=",
        "file_complaint": "complaint, channel=, idempotency=",
        "follow_complaint": "complaint_no, follow_code",
        "list_complaints": "viewer, status=",
        "move_complaint": "complaint_no, to, note, handler, idempotency=",
        "evaluate_case": "case_no, level, comment=, idempotency=",
        "list_rectifications": "viewer, status=",
        "rectify": "case_no, rectification, callback_note, handler, idempotency=",
        "statistics": "first_day=, last_day=, department=, item_code=",
    },
)

SERVICES = {service.name: service for service in (INTAKE, APPROVAL, QUEUE, PAYMENT, MONITOR)}
