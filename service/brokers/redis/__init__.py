"""Inbound delivery over Redis Streams: consumer groups, scripts, FastStream subscribers."""
