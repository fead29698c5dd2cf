"""Which Sitoo credentials Sitoo refused on their latest verdict; feeds readiness and a gauge."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

_REFUSED = frozenset({401, 403})
_NO_VERDICT = 400  # 4xx/5xx other than 401/403 (429, 500, ...) say nothing about the password


class CredentialHealth:
    """The latest verdict Sitoo gave on each credential: refused (401/403) or accepted (2xx/3xx).

    Answers that do not judge the credential (a 429, a 5xx, a 404) leave the verdict as it
    was, so one throttled request does not hide that the password was just refused.
    """

    def __init__(self, api_ids: Sequence[str]) -> None:
        self._api_ids = list(api_ids)
        self._refused = [False] * len(self._api_ids)

    def answered(self, credential: int, status: int) -> None:
        """Record Sitoo's answer to a request sent with credential number ``credential``."""
        if status in _REFUSED:
            self._refused[credential] = True
        elif status < _NO_VERDICT:
            self._refused[credential] = False

    @property
    def api_ids(self) -> list[str]:
        """The configured API ids, primary first."""
        return list(self._api_ids)

    def refused(self) -> list[str]:
        """API ids whose latest verdict is a refusal."""
        return [api_id for api_id, no in zip(self._api_ids, self._refused, strict=True) if no]

    def all_refused(self) -> bool:
        """True when no credential is left that Sitoo has not refused on its latest verdict."""
        return bool(self._api_ids) and all(self._refused)


class CredentialCollector(Collector):
    """``sitoo_sync_sitoo_credential_refused{api_id}``: 1 while its latest verdict is a refusal."""

    def __init__(self, health: CredentialHealth) -> None:
        self._health = health

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """One sample per configured credential."""
        refused = set(self._health.refused())
        family = GaugeMetricFamily(
            "sitoo_sync_sitoo_credential_refused",
            "1 while Sitoo's latest answer to this API user was 401 or 403.",
            labels=["api_id"],
        )
        for api_id in self._health.api_ids:
            family.add_metric([api_id], 1.0 if api_id in refused else 0.0)
        yield family
