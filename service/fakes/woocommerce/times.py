"""The store's dates: local (the site's time zone) and GMT, both ISO 8601 without an offset."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

_FORMAT = "%Y-%m-%dT%H:%M:%S"


@dataclass(frozen=True)
class SiteTime:
    """Formats the fake's Unix seconds the way WooCommerce's REST API does."""

    utc_offset_minutes: int

    def gmt(self, seconds: float | None) -> str | None:
        """A ``*_gmt`` field: UTC, whole seconds, no offset."""
        if seconds is None:
            return None
        return datetime.fromtimestamp(int(seconds), UTC).strftime(_FORMAT)

    def local(self, seconds: float | None) -> str | None:
        """A local ``date_*`` field: the site's time zone, whole seconds, no offset."""
        if seconds is None:
            return None
        moment = datetime.fromtimestamp(int(seconds), UTC)
        return (moment + timedelta(minutes=self.utc_offset_minutes)).strftime(_FORMAT)

    def pair(self, name: str, seconds: float | None) -> dict[str, str | None]:
        """``{name: local, name_gmt: gmt}``."""
        return {name: self.local(seconds), f"{name}_gmt": self.gmt(seconds)}

    def parse(self, text: str, *, gmt: bool) -> float:
        """A REST date parameter as Unix seconds (ValueError when it is not a date).

        Without an offset the value is read as GMT when ``gmt`` (dates_are_gmt=true), else
        in the site's time zone; an explicit offset or Z always wins.
        """
        value = datetime.fromisoformat(text.strip())
        if value.tzinfo is None:
            shift = timedelta(0) if gmt else timedelta(minutes=self.utc_offset_minutes)
            value = value.replace(tzinfo=UTC) - shift
        return value.timestamp()
