"""Integration tier: real Redis and real HTTP servers on 127.0.0.1."""
