"""A built-in stand-in for the Sitoo REST API v2, with fault injection and an admin API."""

from service.sandbox.app import create_sandbox_app
from service.sandbox.config import FaultConfig, SandboxConfig
from service.sandbox.ledger import LedgerEntry
from service.sandbox.sandbox import Sandbox
from service.sandbox.server import RunningSandbox, base_url, run_sandbox_forever, serve_sandbox
from service.sandbox.store_actions import SaleLine
from service.sandbox.transport import sandbox_transport

__all__ = [
    "FaultConfig",
    "LedgerEntry",
    "RunningSandbox",
    "SaleLine",
    "Sandbox",
    "SandboxConfig",
    "base_url",
    "create_sandbox_app",
    "run_sandbox_forever",
    "sandbox_transport",
    "serve_sandbox",
]
