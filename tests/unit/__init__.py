"""Unit tier: pure logic, no I/O."""
