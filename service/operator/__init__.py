"""Operator commands: status, resync, check, and the generated documents they rely on."""
