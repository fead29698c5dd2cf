"""Use cases: plain async functions turning validated events into Sitoo effects."""
