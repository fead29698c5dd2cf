"""The latest verdict per Sitoo credential, as readiness and the refused gauge read it."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from service.observability.credentials import CredentialCollector, CredentialHealth


def test_a_401_or_403_refuses_and_a_success_accepts_again() -> None:
    """401 and 403 mark the credential refused; a 2xx clears it."""
    health = CredentialHealth(["api-1"])
    health.answered(0, 401)
    assert health.refused() == ["api-1"]
    assert health.all_refused()
    health.answered(0, 200)
    assert health.refused() == []
    health.answered(0, 403)
    assert health.all_refused()


def test_answers_that_do_not_judge_the_credential_keep_the_verdict() -> None:
    """A 429, 404 or 500 after a 401 says nothing about the password: it stays refused."""
    health = CredentialHealth(["api-1"])
    health.answered(0, 401)
    for status in (429, 404, 500, 503):
        health.answered(0, status)
    assert health.all_refused()


def test_readiness_needs_only_one_credential_not_refused() -> None:
    """With a pool, one refused credential is reported but does not make every one refused."""
    health = CredentialHealth(["api-1", "api-2"])
    health.answered(1, 401)
    assert health.refused() == ["api-2"]
    assert not health.all_refused()
    health.answered(0, 401)
    assert health.all_refused()


def test_no_credentials_and_no_answers_are_not_refused() -> None:
    """Before any answer, or with no credential configured, nothing counts as refused."""
    assert not CredentialHealth(["api-1"]).all_refused()
    assert not CredentialHealth([]).all_refused()


def test_the_gauge_has_one_sample_per_credential() -> None:
    """The refused gauge (by api_id) is 1 for the refused credential, 0 for the other."""
    health = CredentialHealth(["api-1", "api-2"])
    registry = CollectorRegistry()
    registry.register(CredentialCollector(health))
    health.answered(0, 401)
    health.answered(1, 200)
    name = "sitoo_sync_sitoo_credential_refused"
    assert registry.get_sample_value(name, {"api_id": "api-1"}) == 1
    assert registry.get_sample_value(name, {"api_id": "api-2"}) == 0
