"""Tests of this tier for the event contract, use cases and consumers."""
