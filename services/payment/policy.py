"""The payment rules the hall configures: when a notice falls due and how long a bank
request's nonce is remembered (as long as its timestamp could still be accepted)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class PaymentPolicy:
    due_workdays: int
    nonce_ttl_seconds: int

    @classmethod
    def from_config(cls, config):
        return cls(
            due_workdays=int(config["PAYMENT_DUE_WORKDAYS"]),
            nonce_ttl_seconds=2 * int(config["BANK_SIGNATURE_MAX_AGE_SECONDS"]),
        )
