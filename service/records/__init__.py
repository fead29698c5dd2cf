"""Exactly-once bookkeeping: key names, leases, claims, settled results, append-once writes."""
