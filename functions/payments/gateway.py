"""The sandbox payment gateway: deterministic and offline, with test tokens as payment providers' test cards.

Any payment method is charged and refunded, except these tokens:

| token             | charge                                   | refund                                   |
|-------------------|------------------------------------------|------------------------------------------|
| `card-declined`   | `PaymentDeclined`                        | -                                        |
| `card-flaky-once` | `PaymentGatewayTimeout`, then succeeds   | succeeds                                 |
| `card-gateway-down` | `PaymentGatewayTimeout`, always        | succeeds                                 |
| `refund-flaky`    | succeeds                                 | `RefundFailed`, then succeeds            |
| `refund-broken`   | succeeds                                 | `RefundFailed`, always                   |

A one-shot failure must fail once per saga even across Lambda instances, so whether it has fired is kept in the
payments table (`FaultLedger`), not in memory.

Like a payment provider, the gateway takes an idempotency key with each call and keeps what it moved: a charge under
a key it has charged moves nothing, and a refund pays back only a charge it took, once (`money_moved`, kept in the
payments table as `money#charged#<key>` / `money#refunded#<key>` with the amount: the sandbox's ledger, which tests
balance against the saga's outcome).
"""

from __future__ import annotations

from typing import Protocol

from functions.payments.logic import Payment, PaymentDeclined, PaymentGatewayTimeout, RefundFailed


class FaultLedger(Protocol):
    def first_time(self, name: str) -> bool:
        """True the first time `name` is asked about (and records it), False ever after."""

    def money_moved(self, name: str, amount_cents: int) -> bool:
        """Records that `amount_cents` moved as `name`: True the first time, False (nothing recorded) ever after."""

    def money_moved_before(self, name: str) -> bool:
        """Whether money moved as `name`."""


class SandboxGateway:
    def __init__(self, ledger: FaultLedger) -> None:
        self._ledger = ledger

    def charge(self, key: str, order_id: str, amount_cents: int, currency: str, method: str) -> None:
        if method == "card-declined":
            raise PaymentDeclined(f"the card was declined for order {order_id}")
        if method == "card-gateway-down" or (method == "card-flaky-once" and self._ledger.first_time(f"charge#{key}")):
            raise PaymentGatewayTimeout("the payment gateway did not answer in time")
        self._ledger.money_moved(f"charged#{key}", amount_cents)

    def refund(self, key: str, payment: Payment) -> bool:
        if payment.method == "refund-broken" or (
            payment.method == "refund-flaky" and self._ledger.first_time(f"refund#{key}")
        ):
            raise RefundFailed(f"the gateway refused to refund payment {payment.payment_id}")
        if not self._ledger.money_moved_before(f"charged#{key}"):
            return False  # nothing was taken under this key
        self._ledger.money_moved(f"refunded#{key}", payment.amount_cents)  # once: a second refund moves nothing
        return True
