"""structlog and stdlib logging configured once, with secrets redacted everywhere."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, MutableMapping
from types import TracebackType
from typing import Any

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from service.masking import MASK, is_secret_name, mask_text

# Libraries whose stdlib loggers must go through our pipeline instead of their own handlers.
_ROUTED_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "faststream", "httpx")


class SecretRedactor:
    """Masks known secret values, and whatever :mod:`service.masking` masks by shape."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = {s for s in secrets if s}

    def add(self, *secrets: str) -> None:
        """Remember more literal values that must never be printed."""
        self._secrets.update(s for s in secrets if s)

    def scrub(self, text: str) -> str:
        """Return the text with every known secret masked."""
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, MASK)
        return mask_text(text)

    def _clean(self, key: str, value: object) -> object:
        if is_secret_name(key) and value not in (None, ""):
            return MASK
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, dict):
            return {k: self._clean(k, v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self._clean("", v) for v in value]
        return value

    def __call__(self, _logger: WrappedLogger, _name: str, event_dict: EventDict) -> EventDict:
        for key, value in list(event_dict.items()):
            event_dict[key] = self._clean(key, value)
        return event_dict


redactor = SecretRedactor()


def _shared_processors(*, as_json: bool) -> list[Processor]:
    processors: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
    ]
    if as_json:
        # Tracebacks are rendered to text *before* redaction so a secret inside an
        # exception message is masked too; frame locals are never included.
        processors.append(
            structlog.processors.ExceptionRenderer(
                structlog.tracebacks.ExceptionDictTransformer(show_locals=False)
            )
        )
    processors.append(redactor)
    return processors


class _RedactingConsoleRenderer:
    """Console renderer whose output (tracebacks included) passes the redactor."""

    def __init__(self) -> None:
        self._inner = structlog.dev.ConsoleRenderer(
            exception_formatter=structlog.dev.plain_traceback, colors=sys.stdout.isatty()
        )

    def __call__(
        self, logger: WrappedLogger, name: str, event_dict: MutableMapping[str, Any]
    ) -> str:
        return redactor.scrub(str(self._inner(logger, name, event_dict)))


def configure_logging(
    *, level: str = "INFO", json_output: bool | None = None, secrets: Iterable[str] = ()
) -> None:
    """Route structlog and stdlib logging through one pipeline; safe to call again."""
    as_json = (not sys.stdout.isatty()) if json_output is None else json_output
    redactor.add(*secrets)
    shared = _shared_processors(as_json=as_json)
    renderer: Processor = (
        structlog.processors.JSONRenderer() if as_json else _RedactingConsoleRenderer()
    )
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in _ROUTED_LOGGERS:
        routed = logging.getLogger(name)
        routed.handlers.clear()
        routed.propagate = True
    # httpcore logs every socket event at DEBUG; it drowns everything else.
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    sys.excepthook = _log_uncaught


def _log_uncaught(
    kind: type[BaseException], error: BaseException, trace: TracebackType | None
) -> None:
    """Uncaught exceptions go through the redacting pipeline, never straight to stderr."""
    logging.getLogger("sitoo_sync").critical("uncaught_exception", exc_info=(kind, error, trace))


def bind_message_context(**values: object) -> None:
    """Bind per-message fields (event id, correlation id, …) for every log line after."""
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(**{k: v for k, v in values.items() if v is not None})


def clear_message_context() -> None:
    """Forget the per-message fields."""
    structlog.contextvars.clear_contextvars()
