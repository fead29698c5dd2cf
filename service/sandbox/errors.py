"""The one error type the sandbox raises; it becomes a Sitoo error body."""

from __future__ import annotations


class SandboxError(Exception):
    """A request Sitoo would refuse: HTTP status plus Sitoo's errortext."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.text = text

    def body(self) -> dict[str, object]:
        """The JSON error body Sitoo answers with."""
        return {"statuscode": self.status, "errortext": self.text}


def bad_request(text: str) -> SandboxError:
    """A 400 with the given errortext."""
    return SandboxError(400, text)


def not_found(text: str) -> SandboxError:
    """A 404 with the given errortext."""
    return SandboxError(404, text)
