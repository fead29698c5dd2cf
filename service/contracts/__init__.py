"""The public event contract: the envelope, inbound events and the result events we emit."""
