"""PUT /_sandbox/users/{api_id}: API users added, re-passworded, and without admin rights."""

from __future__ import annotations

import httpx

from tests.component.sandbox.conftest import ClientFactory


async def test_a_user_is_added_and_loses_and_regains_administrator_rights(
    admin: httpx.AsyncClient, make_client: ClientFactory
) -> None:
    """A new user reads; without Administrator rights every call is a 403; back again, 200."""
    added = await admin.put("/users/clerk", json={"password": "clerk-pw"})
    assert added.json() == {"api_id": "clerk", "administrator": True}
    async with make_client(auth=("clerk", "clerk-pw")) as clerk:
        assert (await clerk.get("/sites.json")).status_code == 200
        await admin.put("/users/clerk", json={"password": "clerk-pw", "administrator": False})
        refused = await clerk.get("/sites/1/stores.json")
        assert refused.status_code == 403
        assert refused.json() == {"statuscode": 403, "errortext": "Access denied"}
        await admin.put("/users/clerk", json={"password": "clerk-pw", "administrator": True})
        assert (await clerk.get("/sites/1/stores.json")).status_code == 200
    async with make_client(auth=("clerk", "old")) as wrong:
        assert (await wrong.get("/sites.json")).status_code == 401


async def test_a_password_is_required(admin: httpx.AsyncClient) -> None:
    """The body is checked like every admin body."""
    assert (await admin.put("/users/clerk", json={})).status_code == 400
    assert (await admin.put("/users/clerk", json={"password": "x", "role": "y"})).status_code == 400
