"""OpenAPI fragments of ``gateway.api.payments``: paths, schemas, request examples."""

from gateway.spec import (
    CASE_NO,
    FORBIDDEN,
    INVALID,
    STAFF,
    UNAUTHORIZED,
    UNAVAILABLE,
    json_response,
    list_response,
    path_param,
    problem,
    request_body,
)

TXN_ID = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": r"^[A-Za-z0-9_.:-]+$"}
FEN = {"type": "integer", "minimum": 1, "maximum": 10**12, "description": "Integer fen (分); never a float."}
CURRENCY = {"enum": ["CNY"], "default": "CNY"}
NULLABLE_STRING = {"type": ["string", "null"]}

SCHEMAS = {
    "FeeLine": {
        "type": "object",
        "properties": {
            "code": {"type": "string"},
            "name": {"type": "string"},
            "amount_fen": {"type": "integer"},
            "legal_basis": {"type": "string"},
        },
    },
    "PaymentNotice": {
        "type": "object",
        "description": "A payment notice (缴款通知书); staff also see the payer and the audit trail.",
        "properties": {
            "notice_no": {"type": "string"},
            "case_no": {"type": "string"},
            "item_code": {"type": "string"},
            "department": {"type": "string"},
            "status": {"enum": ["issued", "paid", "cancelled", "waived"]},
            "required": {"type": "boolean", "description": "false: the item is free, nothing to pay."},
            "lines": {"type": "array", "items": {"$ref": "#/components/schemas/FeeLine"}},
            "total_fen": {"type": "integer"},
            "currency": {"type": "string"},
            "due_on": {"type": "string", "format": "date"},
            "issued_at": {"type": "string"},
            "receipt_no": NULLABLE_STRING,
            "paid_at": NULLABLE_STRING,
            "cancelled_at": NULLABLE_STRING,
            "cancel_reason": NULLABLE_STRING,
            "pay_at": {"type": "string"},
            "payer": {"type": "object"},
            "assessed_by": {"enum": ["flow", "catalog"]},
            "audit": {"type": "array", "items": {"type": "object"}},
        },
    },
    "BankConfirmation": {
        "type": "object",
        "additionalProperties": False,
        "required": ["notice_no", "bank_txn_id", "amount_fen"],
        "description": "The bank took money for a notice. Idempotent by `bank_txn_id`.",
        "properties": {
            "notice_no": {"type": "string", "pattern": r"^JK[0-9]{14}$", "maxLength": 16},
            "bank_txn_id": TXN_ID,
            "amount_fen": FEN,
            "currency": CURRENCY,
        },
    },
    "Payment": {
        "type": "object",
        "properties": {
            "bank_txn_id": {"type": "string"},
            "notice_no": {"type": "string"},
            "case_no": {"type": "string"},
            "amount_fen": {"type": "integer"},
            "currency": {"type": "string"},
            "status": {
                "enum": ["applied", "held", "refund_due"],
                "description": "applied: the notice is paid; held: the amount differs from the notice "
                "(for the cashier); refund_due: the notice was cancelled or already paid.",
            },
            "reason": NULLABLE_STRING,
            "receipt_no": NULLABLE_STRING,
            "channel": {"type": "string"},
            "entered_by": {"type": "string"},
            "received_at": {"type": "string"},
            "refund_reserved_fen": {"type": "integer"},
            "created": {"type": "boolean"},
        },
    },
    "RefundRequest": {
        "type": "object",
        "additionalProperties": False,
        "required": ["amount_fen", "reason"],
        "properties": {"amount_fen": FEN, "reason": {"type": "string", "minLength": 1, "maxLength": 500}},
    },
    "RefundDecision": {
        "type": "object",
        "additionalProperties": False,
        "required": ["approve"],
        "properties": {"approve": {"type": "boolean"}},
    },
    "BankRefundConfirmation": {
        "type": "object",
        "additionalProperties": False,
        "required": ["refund_no", "bank_txn_id", "amount_fen"],
        "properties": {
            "refund_no": {"type": "string", "pattern": r"^TF[0-9]{14}$", "maxLength": 16},
            "bank_txn_id": TXN_ID,
            "amount_fen": FEN,
            "currency": CURRENCY,
        },
    },
    "Refund": {
        "type": "object",
        "properties": {
            "refund_no": {"type": "string"},
            "bank_txn_id": {"type": "string"},
            "notice_no": {"type": "string"},
            "case_no": {"type": "string"},
            "amount_fen": {"type": "integer"},
            "currency": {"type": "string"},
            "reason": {"type": "string"},
            "status": {"enum": ["requested", "approved", "rejected", "refunded"]},
            "requested_by": {"type": "string"},
            "requested_at": {"type": "string"},
            "decided_by": NULLABLE_STRING,
            "decided_at": NULLABLE_STRING,
            "bank_refund_txn_id": NULLABLE_STRING,
            "refunded_at": NULLABLE_STRING,
            "created": {"type": "boolean"},
        },
    },
    "ReconciliationReport": {
        "type": "object",
        "description": "The bank's statement of one day matched against our payments.",
        "properties": {
            "report_id": {"type": "string"},
            "day": {"type": "string"},
            "bank": {"type": "string"},
            "matched": {"type": "array", "items": {"type": "object"}},
            "missing_ours": {"type": "array", "items": {"type": "object"}},
            "missing_bank": {"type": "array", "items": {"type": "object"}},
            "mismatched": {"type": "array", "items": {"type": "object"}},
            "summary": {"type": "object"},
            "created_by": {"type": "string"},
            "created_at": {"type": "string"},
            "created": {"type": "boolean"},
        },
    },
    "PaymentStats": {
        "type": "object",
        "description": "Money of one hall day per department and fee item, in fen.",
        "properties": {
            "day": {"type": "string"},
            "department": NULLABLE_STRING,
            "paid_fen": {"type": "integer"},
            "refunded_fen": {"type": "integer"},
            "items": {"type": "array", "items": {"type": "object"}},
        },
    },
}

BANK_HEADERS = [
    {
        "name": name,
        "in": "header",
        "required": False,
        "schema": {"type": "string", "maxLength": 128},
        "description": text,
    }
    for name, text in (
        ("X-Bank-Id", "The bank's id (configured in BANK_SECRETS). Bank requests only."),
        ("X-Bank-Timestamp", "Unix seconds; refused when further than BANK_SIGNATURE_MAX_AGE_SECONDS from now."),
        ("X-Bank-Nonce", "16-64 characters, accepted once."),
        (
            "X-Bank-Signature",
            (
                'hex HMAC-SHA256 over "<timestamp>\\n<nonce>\\n" + the raw body with the bank\'s '
                "secret. Without it the caller must be the cashier (bearer token)."
            ),
        ),
    )
]
BODY_ERRORS = {"400": problem("Not JSON."), "415": problem("Not JSON."), "422": INVALID}
SIGNED_ERRORS = {
    "401": problem("No valid bank signature (forged, stale, unknown bank) and no bearer token."),
    "403": problem("A bearer token of a role other than cashier."),
    "409": problem("A replayed nonce, or the bank transaction id already used for something else."),
    "503": UNAVAILABLE,
}
REFUND_NO = path_param("refund_no", "Refund number (TF + date + sequence).", r"^TF[0-9]{14}$", 16)
BANK_TXN = path_param("bank_txn_id", "The bank's transaction id of the payment.", r"^[A-Za-z0-9_.:-]+$", 64)
REPORT_ID = path_param("report_id", "Reconciliation report id.", r"^[0-9a-f]{64}$", 64)
DAY = {
    "name": "day",
    "in": "query",
    "required": True,
    "schema": {"type": "string", "format": "date", "maxLength": 10},
    "description": "Hall day (Asia/Shanghai), YYYY-MM-DD.",
}

EXAMPLES = {  # request bodies in the OpenAPI document
    "BankConfirmation": {
        "notice_no": "JK20261126000001",
        "bank_txn_id": "ICBC-20261126-000123",
        "amount_fen": 5000,
        "currency": "CNY",
    },
    "RefundRequest": {"amount_fen": 5000, "reason": "申请人撤回申请，全额退费 (application withdrawn)"},
    "RefundDecision": {"approve": True},
    "BankRefundConfirmation": {
        "refund_no": "TF20261127000001",
        "bank_txn_id": "ICBC-20261127-000045",
        "amount_fen": 5000,
        "currency": "CNY",
    },
}
STATEMENT_EXAMPLE = "bank_txn_id,notice_no,amount_fen,currency\nICBC-20261126-000123,JK20261126000001,5000,CNY\n"

PATHS = {
    "/api/v1/cases/{case_no}/payment": {
        "get": {
            "summary": "The case's payment notice: staff of its department and of the hall (bearer token), or the "
            "applicant with `query_code` (no personal data).",
            "tags": ["payments"],
            "security": [{"bearerAuth": []}, {"apiKeyAuth": []}, {}],
            "parameters": [
                CASE_NO,
                {
                    "name": "query_code",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string", "minLength": 1, "maxLength": 16},
                },
            ],
            "responses": {
                "200": json_response("The notice.", "PaymentNotice"),
                "401": problem("Neither a bearer token nor a query code."),
                "403": FORBIDDEN,
                "404": problem("No notice for this case, or not visible to the caller."),
                "503": UNAVAILABLE,
            },
        }
    },
    "/api/v1/payments/bank-confirmations": {
        "post": {
            "summary": "The bank confirms a payment (signed by the bank, or entered by the cashier at the bank window). "
            "The same bank_txn_id again answers the first payment (200).",
            "tags": ["payments"],
            "security": [{"bearerAuth": []}, {"apiKeyAuth": []}, {}],
            "parameters": BANK_HEADERS,
            "requestBody": request_body("BankConfirmation", "The confirmation."),
            "responses": {
                "201": json_response("Recorded (see `status`: applied, held or refund_due).", "Payment"),
                "200": json_response("Recorded before: the first payment.", "Payment"),
                **BODY_ERRORS,
                **SIGNED_ERRORS,
                "404": problem("No such payment notice."),
            },
        }
    },
    "/api/v1/payments/attention": {
        "get": {
            "summary": "Payments the cashier must handle: held for a mismatch, or due for refund.",
            "tags": ["payments"],
            "security": STAFF,
            "responses": {
                "200": list_response("Oldest first.", "payments", "Payment"),
                "401": UNAUTHORIZED,
                "403": FORBIDDEN,
                "503": UNAVAILABLE,
            },
        }
    },
    "/api/v1/payments/{bank_txn_id}/refunds": {
        "post": {
            "summary": "Ask for a refund of (part of) a payment, with a reason; a second person decides it.",
            "tags": ["payments"],
            "security": STAFF,
            "parameters": [BANK_TXN],
            "requestBody": request_body("RefundRequest", "Amount and reason."),
            "responses": {
                "201": json_response("Requested.", "Refund"),
                **BODY_ERRORS,
                "401": UNAUTHORIZED,
                "403": FORBIDDEN,
                "404": problem("No such payment."),
                "409": problem("The payment cannot be refunded."),
                "503": UNAVAILABLE,
            },
        }
    },
    "/api/v1/payments/refunds/{refund_no}/decision": {
        "post": {
            "summary": "Approve or reject a refund (four-eyes: not by the person who asked for it).",
            "tags": ["payments"],
            "security": STAFF,
            "parameters": [REFUND_NO],
            "requestBody": request_body("RefundDecision", "The decision."),
            "responses": {
                "200": json_response("Decided.", "Refund"),
                **BODY_ERRORS,
                "401": UNAUTHORIZED,
                "403": problem("Not a refund role, or the same person who asked."),
                "404": problem("No such refund."),
                "409": problem("Already decided."),
                "503": UNAVAILABLE,
            },
        }
    },
    "/api/v1/payments/bank-refund-confirmations": {
        "post": {
            "summary": "The bank paid an approved refund back (signed by the bank, or entered by the cashier).",
            "tags": ["payments"],
            "security": [{"bearerAuth": []}, {"apiKeyAuth": []}, {}],
            "parameters": BANK_HEADERS,
            "requestBody": request_body("BankRefundConfirmation", "The refund confirmation."),
            "responses": {
                "201": json_response("Refunded.", "Refund"),
                "200": json_response("Confirmed before.", "Refund"),
                **BODY_ERRORS,
                **SIGNED_ERRORS,
                "404": problem("No such refund."),
            },
        }
    },
    "/api/v1/payments/reconciliations": {
        "post": {
            "summary": "Reconcile the bank's daily statement (CSV: bank_txn_id,notice_no,amount_fen,currency). "
            "The same statement again returns the same stored report.",
            "tags": ["payments"],
            "security": STAFF,
            "parameters": [
                DAY,
                {"name": "bank", "in": "query", "required": False, "schema": {"type": "string", "maxLength": 32}},
            ],
            "requestBody": {
                "required": True,
                "content": {
                    "text/csv": {"schema": {"type": "string", "maxLength": 4194304}, "example": STATEMENT_EXAMPLE}
                },
            },
            "responses": {
                "201": json_response("The report.", "ReconciliationReport"),
                "200": json_response("This statement was reconciled before: its report.", "ReconciliationReport"),
                "400": problem("Not UTF-8, or no day."),
                "401": UNAUTHORIZED,
                "403": FORBIDDEN,
                "413": problem("The statement is too large."),
                "415": problem("Not text/csv."),
                "422": problem("Malformed CSV: `errors` names each line."),
                "503": UNAVAILABLE,
            },
        }
    },
    "/api/v1/payments/reconciliations/{report_id}": {
        "get": {
            "summary": "Download a stored reconciliation report.",
            "tags": ["payments"],
            "security": STAFF,
            "parameters": [REPORT_ID],
            "responses": {
                "200": json_response("The report.", "ReconciliationReport"),
                "401": UNAUTHORIZED,
                "403": FORBIDDEN,
                "404": problem("No such report."),
                "503": UNAVAILABLE,
            },
        }
    },
    "/api/v1/payments/stats": {
        "get": {
            "summary": "Money of one hall day per department and fee item (department staff: their own department).",
            "tags": ["payments"],
            "security": STAFF,
            "parameters": [
                DAY,
                {"name": "department", "in": "query", "required": False, "schema": {"type": "string", "maxLength": 64}},
            ],
            "responses": {
                "200": json_response("Totals in fen.", "PaymentStats"),
                "400": problem("No day."),
                "401": UNAUTHORIZED,
                "403": FORBIDDEN,
                "422": INVALID,
                "503": UNAVAILABLE,
            },
        }
    },
}
