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
"""

from __future__ import annotations

from typing import Protocol

from functions.payments.logic import Payment, PaymentDeclined, PaymentGatewayTimeout, RefundFailed


class FaultLedger(Protocol):
    def first_time(self, name: str) -> bool:
        """True the first time `name` is asked about (and records it), False ever after."""


class SandboxGateway:
    def __init__(self, ledger: FaultLedger) -> None:
        self._ledger = ledger

    def charge(self, key: str, order_id: str, amount_cents: int, currency: str, method: str) -> None:
        if method == "card-declined":
            raise PaymentDeclined(f"the card was declined for order {order_id}")
        if method == "card-gateway-down" or (method == "card-flaky-once" and self._ledger.first_time(f"charge#{key}")):
            raise PaymentGatewayTimeout("the payment gateway did not answer in time")

    def refund(self, key: str, payment: Payment) -> None:
        if payment.method == "refund-broken" or (
            payment.method == "refund-flaky" and self._ledger.first_time(f"refund#{key}")
        ):
            raise RefundFailed(f"the gateway refused to refund payment {payment.payment_id}")
