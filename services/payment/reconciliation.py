"""Reconciliation (对账): the bank's daily statement (CSV) against the payments we
recorded that hall day.

The statement has a header line and the columns ``bank_txn_id,notice_no,amount_fen,currency``
(more columns are ignored). The report lists matched transactions, those missing on our
side, those missing on the bank's side, and amount mismatches. It is stored under the
hash of the day and the statement, so running the same statement again returns the same
report.
"""

import csv
import hashlib
import io
from datetime import date

from services.common.errors import InvalidInput, NotFound
from services.common.time import isoformat
from services.payment import audit, models
from services.payment.confirmations import CURRENCY

COLUMNS = ("bank_txn_id", "notice_no", "amount_fen", "currency")
MAX_ROWS = 100_000
# Money we recorded as received (whatever happened to it next).
RECEIVED = ("applied", "held", "refund_due")


def _bad(detail, errors):
    return InvalidInput(detail, errors)


def parse_day(day):
    try:
        return date.fromisoformat(day).isoformat()
    except (TypeError, ValueError):
        raise _bad(f"day must be a date YYYY-MM-DD, not {day!r}", [{"field": "day", "message": "YYYY-MM-DD"}]) from None


def parse_statement(text):
    """``{bank_txn_id: amount_fen}`` of the statement, or InvalidInput naming each bad line."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise _bad(
            f"the statement lacks the columns {', '.join(missing)} (header: {','.join(COLUMNS)})",
            [{"field": "statement", "message": f"missing column {c}"} for c in missing],
        )
    rows, errors = {}, []
    for number, row in enumerate(reader, start=2):
        if number - 1 > MAX_ROWS:
            raise _bad(f"the statement has more than {MAX_ROWS} lines", [{"field": "statement", "message": "too long"}])
        if None in row or any(row[c] is None for c in COLUMNS):
            errors.append({"field": f"line {number}", "message": "wrong number of columns"})
            continue
        txn, amount, currency = row["bank_txn_id"].strip(), row["amount_fen"].strip(), row["currency"].strip()
        if not txn:
            errors.append({"field": f"line {number}", "message": "bank_txn_id is empty"})
        elif txn in rows:
            errors.append({"field": f"line {number}", "message": f"bank_txn_id {txn} appears twice"})
        if not amount.isascii() or not amount.isdigit() or int(amount) <= 0:
            errors.append(
                {"field": f"line {number}", "message": f"amount_fen must be a positive integer, not {amount!r}"}
            )
        if currency != CURRENCY:
            errors.append({"field": f"line {number}", "message": f"currency must be {CURRENCY}, not {currency!r}"})
        if txn and amount.isascii() and amount.isdigit():
            rows.setdefault(txn, (int(amount), row["notice_no"].strip()))
    if errors:
        raise _bad(f"the statement has {len(errors)} bad line(s)", errors)
    return rows


def compare(statement, ours):
    """The report's sections; ``statement`` and ``ours`` map transaction ids to
    ``(amount_fen, notice_no)``."""
    report = {"matched": [], "missing_ours": [], "missing_bank": [], "mismatched": []}
    for txn in sorted(statement.keys() | ours.keys()):
        if txn not in ours:
            amount, notice_no = statement[txn]
            report["missing_ours"].append({"bank_txn_id": txn, "notice_no": notice_no, "bank_amount_fen": amount})
        elif txn not in statement:
            amount, notice_no = ours[txn]
            report["missing_bank"].append({"bank_txn_id": txn, "notice_no": notice_no, "our_amount_fen": amount})
        elif statement[txn][0] != ours[txn][0]:
            report["mismatched"].append(
                {
                    "bank_txn_id": txn,
                    "notice_no": ours[txn][1],
                    "bank_amount_fen": statement[txn][0],
                    "our_amount_fen": ours[txn][0],
                }
            )
        else:
            report["matched"].append({"bank_txn_id": txn, "notice_no": ours[txn][1], "amount_fen": ours[txn][0]})
    report["summary"] = {
        section: len(report[section]) for section in ("matched", "missing_ours", "missing_bank", "mismatched")
    }
    report["summary"]["bank_total_fen"] = sum(amount for amount, _ in statement.values())
    report["summary"]["our_total_fen"] = sum(amount for amount, _ in ours.values())
    return report


def reconcile(day, text, bank, user, now):
    """The stored report of this statement for ``day``; ``(reconciliation, created)``."""
    day = parse_day(day)
    statement_hash = hashlib.sha256(f"{day}\n{text}".encode()).hexdigest()
    stored = models.Reconciliation.objects(statement_hash=statement_hash).first()
    if stored is not None:
        return stored, False
    statement = parse_statement(text)
    ours = {p.bank_txn_id: (p.amount_fen, p.notice_no) for p in models.Payment.objects(day=day, status__in=RECEIVED)}
    report = dict(compare(statement, ours), day=day, bank=bank)
    reconciliation = models.Reconciliation(
        statement_hash=statement_hash, bank=bank, day=day, report=report, created_by=user["username"], created_at=now
    )
    reconciliation.save()  # an upsert by key: a concurrent identical run writes the same report
    audit.record(
        user["username"], "statement_reconciled", f"reconciliation:{statement_hash}", now, day=day, **report["summary"]
    )
    reconciliation.reload()  # as stored (millisecond instants), exactly what a second run answers
    return reconciliation, True


def get(report_id):
    found = models.Reconciliation.objects(statement_hash=report_id).first()
    if found is None:
        raise NotFound(f"reconciliation report {report_id} does not exist")
    return found


def view(reconciliation):
    return dict(
        reconciliation.report,
        report_id=reconciliation.statement_hash,
        created_by=reconciliation.created_by,
        created_at=isoformat(reconciliation.created_at),
    )
