"""The event reference's section on ordering per aggregate: what holds when events race.

Kept beside :mod:`service.contracts.reference`, which puts it into docs/events.md; the
rules it states live in the use cases (:mod:`service.usecases`) and their state stores.
"""

ORDERING = """\
## Ordering per aggregate

* **`order.cancelled` before its `order.placed`.** The cancel writes a tombstone for the
  webshop order id first, then cancels whatever Sitoo order has that externalid. A placement
  checks the tombstone before creating the order and again right after. So: a cancel that
  arrives first makes the later placement create **no Sitoo order at all** (result
  `order.placed.failed`, `reason_code: cancelled`), and sets to state 20 any order with that
  externalid that an earlier attempt of the placement created before it died; a cancel that
  lands while the order is being created makes the placement set the new order to state 20
  (Cancelled) itself. Either way no live order remains. A cancel of an order Sitoo already
  closed (picked up) is dead-lettered with `order_closed`.
* **Cancelling an order rolls back its gift-card redemptions** (those whose `order_id` names
  it), and a redeem naming an already cancelled order is declined with `voided`.
* **A redeem retried after its refund never re-spends.** A redeem that was applied answers a
  redelivery from its record (the same result as the first time), even after a refund rolled
  it back. A `giftcard.refund` naming a redemption that has not happened (yet) leaves a
  tombstone: when that redeem arrives it is declined with `voided`; if they race, the redeem
  notices the tombstone after writing and rolls itself back. A redemption is rolled back at
  most once, whoever asks (cancel, refund or the redeem itself).
* **`stock.set`**: per (warehouse, SKU) the newest `occurred_at` wins (ties: the larger
  event id). An older event arriving later is skipped for that SKU and listed in the
  result's `skipped_older`.
* **`stock.adjusted`** events are independent deltas; each is applied exactly once, in
  whatever batch it arrives: each becomes its own warehouse transaction, claimed under the
  event's own key (`<event_id>:stock-adjust`) and tagged with an externalid derived from it.

"""
