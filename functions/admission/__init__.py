"""Admission: the first state of every event-started workflow. It lets a start event in only if it honours its
contract, and only once per business object.

1. **Validated.** The event (as EventBridge delivered it) is validated against its model, the source of its registry
   document (schemas/registry), the schema guard's check. An invalid one raises `InvalidStartEvent` naming every
   field and reason, and the workflow ends at once in its `Rejected` state: nothing of the business was done. (The
   schema guard, which sees every event on the bus, quarantines the same event with the same reasons.)
2. **Claimed once per business id.** The claim is keyed on the business id the start event's model declares
   (`BUSINESS_KEY`: an order's id, a ticket's id, a customer's id), not on the envelope's idempotency key: a webhook
   retried with another key (or none: ingest then derives one) finds the order claimed and ends in `Duplicate`
   (`DuplicateStart`), so the customer is charged once. Its idempotency key is claimed with it, naming the business
   id: another order reusing a key fails loudly (`IdempotencyKeyConflict`, to `Rejected`) instead of ending silently
   as a duplicate, since the services keep their records under that key. Both in one DynamoDB transaction, no expiry.
   The execution's own claim (a Lambda retry, a redrive) passes.

Why not Powertools' idempotency utility: it dedupes a function's *calls* by a payload hash, with an expiry, and
answers the stored result; here the same business id in *different* payloads must be refused, forever, and a key
reused for another business id must fail. It is one conditional transaction, in functions/admission/dynamodb.py.
"""
