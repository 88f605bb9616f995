"""Correlation by business key: external events resume the workflows waiting for them, without task tokens.

Step Functions only knows opaque task tokens; a system deciding an approval or a payment provider calling a webhook
knows a business key (`approval_id`, `payment_id`). The correlator joins the two, as Zeebe correlates messages:

- A workflow that waits for a message calls the `register` function with `lambda:invoke.waitForTaskToken`, passing
  the message name (the event's detail-type), the correlation key, its task token, a waiter id stable across the
  task's retries, and how long it waits. The waiter is stored; a message already buffered for it is delivered at once.
- The `handler` function consumes the correlated events (rule -> queue -> function). Each event's message id is its
  envelope's `metadata.idempotency_key`; its correlation key comes from its data (`CORRELATION_KEYS`). The message
  is stored, then handed to the oldest waiter for it (SendTaskSuccess with the message as the task's result); with
  no waiter it stays buffered until its TTL, and a waiter registering later takes it.

Semantics (functions/correlator/logic.py):
- One message resumes one waiter, and one waiter takes one message: a match is recorded on both items in one
  DynamoDB transaction (both unmatched), so concurrent registrations and deliveries cannot resume a workflow twice or
  hand one message to two workflows. Both sides write before they look for the other, with consistent reads, so a
  message and a waiter arriving together meet; a transaction cancelled by a conflicting one is tried again.
- Idempotent by message id: a redelivered event finds its message already stored and matched and does nothing; the
  same message id with other data is refused (`MessageConflict`), so that message ends in the dead-letter queue.
  A crash between the match and SendTaskSuccess is repaired by the redelivery (or the task's retry): the recorded
  match is sent again. A match whose token turned out dead keeps its waiter item, so a retry of the register task
  (same waiter id, new token) still receives the message.
- A broadcast message (`messages.BROADCAST`: a pause's `ExecutionResumed`) is a fact, not an answer: it resumes
  every waiter of its key (several Parallel branches held by one pause), and any that registers later, at once; it
  is recorded on each waiter only and stays buffered until its TTL.
- A waiter expires when its workflow stops waiting (`timeout_seconds`); a buffered message after its TTL. Expired
  items are ignored at once and removed later by the table's TTL. A waiter whose workflow no longer waits (stopped)
  still takes the message it matched: the outcome is `gone` and the message is not offered to another waiter.

Layout (the State stack's WorkflowControl table, key `pk` + `sk`, TTL `expires_at` in epoch seconds):
| item    | `pk`               | `sk`               | attributes                                                  |
|---------|--------------------|--------------------|-------------------------------------------------------------|
| waiter  | `msg#<name>#<key>` | `waiter#<digest>`  | `waiter_id`, `task_token`, `registered_at`, `expires_at_ms` |
| message | `msg#<name>#<key>` | `message#<digest>` | `message_id`, `body`, `received_at`, `expires_at_ms`        |
Both also have `expires_at` (the TTL, epoch seconds) and, once matched, `matched`: the other side's sort key.
`<digest>` is a SHA-256 prefix of the id; `registered_at` / `received_at` / `expires_at_ms` are epoch milliseconds
(they order waiters and buffered messages, and decide expiry at once, before the TTL removes the item).
"""
