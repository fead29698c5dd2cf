"""Inbound delivery: validate, dispatch, settle, dead-letter and reply, over a transport."""
