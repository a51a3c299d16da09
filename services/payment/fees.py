"""Fee assessment (核定收费): the amount of a payment notice, in integer fen.

The flow's own result wins when it computed one (``fee_fen`` in ``payment_required``,
e.g. from a DMN table); otherwise the catalog's fees of the item apply
(``fees: [{code, name, amount_fen, basis}]`` in intake's item; none = a free item). No float ever
touches an amount: anything but a non-negative integer is refused.
"""


class FeeAssessmentError(ValueError):
    """The fee cannot be assessed from what the flow and the catalog say."""


def is_fen(value):
    return isinstance(value, int) and not isinstance(value, bool)


def assess(fee_fen, item):
    """``(lines, total_fen, assessed_by)``; lines with zero fen are left out, so an item
    without any fee has no lines and a total of 0 (it skips payment)."""
    if fee_fen is not None:
        if not is_fen(fee_fen) or fee_fen < 0:
            raise FeeAssessmentError(f"fee_fen from the flow must be a non-negative integer of fen, not {fee_fen!r}")
        lines = [
            {
                "code": f"{item['code']}-FEE",
                "name": f"{item['name_zh']} 收费",
                "amount_fen": fee_fen,
                "legal_basis": item["legal_basis"],
            }
        ]
        return _payable(lines), fee_fen, "flow"
    if "fees" not in item:
        raise FeeAssessmentError(
            f"the catalog gives no fees for item {item['code']} (an intake without the "
            "'fees' field) and the flow computed no fee_fen: the fee cannot be assessed"
        )
    lines = []
    for rule in item["fees"]:
        amount = rule.get("amount_fen")
        if not is_fen(amount) or amount < 0:
            raise FeeAssessmentError(
                f"item {item['code']} fee rule {rule.get('code')!r}: amount_fen must be a "
                f"non-negative integer of fen, not {amount!r}"
            )
        lines.append(
            {
                "code": rule["code"],
                "name": rule["name"],
                "amount_fen": amount,
                "legal_basis": rule.get("basis") or item["legal_basis"],
            }
        )
    lines = _payable(lines)
    return lines, sum(line["amount_fen"] for line in lines), "catalog"


def _payable(lines):
    return [line for line in lines if line["amount_fen"] > 0]
