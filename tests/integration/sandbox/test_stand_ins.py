"""The stand-ins `run` starts when nothing is configured: the sandbox knows every API user."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from service.devstack.stack import local_stand_ins
from service.settings import (
    RedisSettings,
    SandboxSettings,
    Settings,
    SitooCredential,
    SitooSettings,
)


async def test_sandbox_accepts_the_configured_extra_and_reserved_api_users(
    redis_url: str, unique: str, tmp_path: Path
) -> None:
    """A pool configured without a real Sitoo is served by the sandbox, one budget per user."""
    settings = Settings(
        sitoo=SitooSettings(
            extra_credentials=[SitooCredential(api_id="pool", api_password=SecretStr("p1"))],
            interactive_credentials=[SitooCredential(api_id="till", api_password=SecretStr("p2"))],
        ),
        redis=RedisSettings(url=SecretStr(redis_url), key_prefix=unique),
        sandbox=SandboxSettings(port=0),
    )
    async with local_stand_ins(settings, root=tmp_path) as stand_ins:
        completed = stand_ins.settings
        assert completed.sitoo.base_url is not None
        async with httpx.AsyncClient(base_url=str(completed.sitoo.base_url)) as http:
            for credential in completed.sitoo.credentials():
                auth = (credential.api_id, credential.api_password.get_secret_value())
                answer = await http.get(f"{completed.sitoo.base_url}/sites.json", auth=auth)
                assert answer.status_code == httpx.codes.OK, credential.api_id
            refused = await http.get(
                f"{completed.sitoo.base_url}/sites.json", auth=("till", "wrong")
            )
            assert refused.status_code == httpx.codes.UNAUTHORIZED


@pytest.mark.malformed_requests
@pytest.mark.parametrize("strict", [True, False])
async def test_the_sandbox_is_strict_unless_configured_lenient(
    redis_url: str, unique: str, tmp_path: Path, *, strict: bool
) -> None:
    """SITOO_SYNC_SANDBOX__STRICT decides whether a request outside the description is refused."""
    settings = Settings(
        redis=RedisSettings(url=SecretStr(redis_url), key_prefix=unique),
        sandbox=SandboxSettings(port=0, strict=strict),
    )
    async with local_stand_ins(settings, root=tmp_path) as stand_ins:
        sitoo = stand_ins.settings.sitoo
        assert sitoo.api_id is not None
        assert sitoo.api_password is not None
        auth = (sitoo.api_id, sitoo.api_password.get_secret_value())
        async with httpx.AsyncClient(base_url=str(sitoo.base_url), auth=auth) as http:
            answer = await http.get(f"{sitoo.base_url}/sites.json", params={"order_id": "1"})
    assert answer.status_code == (httpx.codes.BAD_REQUEST if strict else httpx.codes.OK)
