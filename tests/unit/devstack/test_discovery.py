"""Commands take what is not configured from a running dev stack, and nothing else."""

from __future__ import annotations

from service.devstack.banner import render_banner
from service.devstack.discovery import with_dev_stack
from service.devstack.state import DevStack, SandboxEndpoint
from service.settings import Settings

SANDBOX = SandboxEndpoint(
    base_url="http://127.0.0.1:8900/v2/accounts/90001",
    admin_url="http://127.0.0.1:8900/_sandbox",
    api_id="sandbox",
    api_password="sandbox",
)


def _stack(*, redis_url: str | None = "redis://127.0.0.1:6390/0") -> DevStack:
    return DevStack(
        pid=1,
        service_url="http://127.0.0.1:8080",
        redis_url=redis_url,
        sandbox=SANDBOX,
        key_prefix="sitoo-sync",
    )


def test_nothing_configured_takes_redis_and_the_sandbox() -> None:
    """With nothing set, both come from the stack and both are named."""
    settings, used = with_dev_stack(Settings(), _stack())
    assert settings.redis.url is not None
    assert settings.redis.url.get_secret_value() == "redis://127.0.0.1:6390/0"
    assert str(settings.sitoo.base_url) == SANDBOX.base_url
    assert settings.sitoo.api_id == "sandbox"
    assert settings.sitoo.api_password is not None
    assert settings.sitoo.api_password.get_secret_value() == "sandbox"
    assert used == ["Redis redis://127.0.0.1:6390/0", f"the Sitoo sandbox {SANDBOX.base_url}"]


def test_configured_values_always_win() -> None:
    """A configured Redis is never replaced by the stack's, nor a configured Sitoo."""
    configured = Settings(
        redis={"url": "redis://elsewhere:6379/0"},  # type: ignore[arg-type]
        sitoo={  # type: ignore[arg-type]
            "base_url": "https://api.mysitoo.com/v2/accounts/10020",
            "api_id": "10020-140",
            "api_password": "pw",
        },
    )
    settings, used = with_dev_stack(configured, _stack())
    assert settings == configured
    assert used == []


def test_a_stack_on_a_configured_redis_lends_only_its_sandbox() -> None:
    """`run` with a configured Redis records no Redis URL (it may carry a password)."""
    settings, used = with_dev_stack(Settings(), _stack(redis_url=None))
    assert settings.redis.url is None
    assert used == [f"the Sitoo sandbox {SANDBOX.base_url}"]


def test_banner_names_every_address_and_the_fixed_credentials(tmp_path) -> None:
    """Everything a person needs is in the one banner: URLs, user, password, next steps."""
    text = render_banner(
        _stack(),
        redis_server="valkey 9.1.2",
        state_file=tmp_path / "devstack.json",
        notes=["port 8900 was taken: the sandbox is on 8901 instead"],
    )
    for needed in (
        "redis://127.0.0.1:6390/0",
        SANDBOX.base_url,
        "sandbox / password sandbox",
        f"curl -u sandbox:sandbox {SANDBOX.base_url}/sites.json",
        "http://127.0.0.1:8900/_sandbox/",
        "http://127.0.0.1:8080/healthz",
        "port 8900 was taken",
        "send order.placed",
        "tail",
        "run --reset",
    ):
        assert needed in text, needed
