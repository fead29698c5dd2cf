"""Component tier: in-process, the sandbox over an ASGI transport."""
