"""A configured password never reaches the logs, tracebacks and library log lines included."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

PASSWORD = "Zq9-very-secret-pw-77"

_SCRIPT = textwrap.dedent(
    """
    import logging, sys
    import structlog
    from service.logs import configure_logging, bind_message_context
    from service.settings import load_settings

    settings = load_settings()
    configure_logging(level="DEBUG", json_output={json_output}, secrets=settings.secret_values())
    log = structlog.get_logger("test")
    password = settings.sitoo.api_password.get_secret_value()

    bind_message_context(event_id="evt-1", correlation_id="corr-1")
    log.info("settings.loaded", settings=repr(settings), dump=settings.model_dump(mode="json"))
    log.info("request", url=f"https://10020-140:{{password}}@api.mysitoo.com/v2/x.json")
    log.info("headers", authorization="Basic MTAwMjAtMTQwOnNlY3JldA==")
    log.info("kv", api_password=password, note="free text " + password)
    logging.getLogger("httpx").info("HTTP Request: POST https://u:%s@host/a 200", password)
    logging.getLogger("faststream").warning("broker says %s", password)

    def call_sitoo(secret_password: str) -> None:
        url = f"https://10020-140:{{secret_password}}@host"
        raise RuntimeError(f"login failed for {{url}} with " + secret_password)

    try:
        call_sitoo(password)
    except RuntimeError:
        log.exception("sitoo.call_failed")
    call_sitoo(password)  # uncaught: goes through sys.excepthook
    """
)


@pytest.mark.parametrize("json_output", [True, False])
def test_password_never_printed(json_output: bool) -> None:
    """JSON and console output both mask the password, in messages and tracebacks."""
    result = subprocess.run(
        [sys.executable, "-c", _SCRIPT.format(json_output=json_output)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env={
            "PATH": "/usr/bin:/bin",
            "SITOO_SYNC_SITOO__BASE_URL": "https://api.mysitoo.com/v2/accounts/10020",
            "SITOO_SYNC_SITOO__API_ID": "10020-140",
            "SITOO_SYNC_SITOO__API_PASSWORD": PASSWORD,
        },
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1  # the uncaught exception still ends the process
    assert "sitoo.call_failed" in output
    assert "uncaught_exception" in output
    assert "login failed" in output  # the traceback itself is shown ...
    assert "evt-1" in output  # ... with the message context bound
    assert PASSWORD not in output  # ... but never the secret
    assert "MTAwMjAtMTQwOnNlY3JldA==" not in output
