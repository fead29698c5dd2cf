"""The Sitoo description the sandbox serves, its documented overrides and the request checks."""

from service.sandbox.openapi.description import corrected_description, raw_subset
from service.sandbox.openapi.overrides import OVERRIDES, Override, StaleOverrideError
from service.sandbox.openapi.request_check import (
    BadRequestShape,
    OperationCheck,
    Parameter,
    RequestRules,
    request_rules,
)

__all__ = [
    "OVERRIDES",
    "BadRequestShape",
    "OperationCheck",
    "Override",
    "Parameter",
    "RequestRules",
    "StaleOverrideError",
    "corrected_description",
    "raw_subset",
    "request_rules",
]
