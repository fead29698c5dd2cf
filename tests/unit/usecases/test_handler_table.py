"""The handler table covers the contract registry, and the service refuses to start when not."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from service.app import build_service
from service.contracts.registry import EVENT_KINDS, Channel, EventKind
from service.settings import ConfigurationError, Settings
from service.usecases.handlers import HANDLERS, InABatch, OneAtATime, handler_problem


class _Amended(BaseModel):
    order_id: str


def test_every_registered_event_type_has_exactly_one_handler() -> None:
    assert handler_problem() is None
    assert set(HANDLERS) == set(EVENT_KINDS)


def test_stock_types_go_to_the_batch_handler_and_the_rest_one_at_a_time() -> None:
    for name, kind in EVENT_KINDS.items():
        expected = InABatch if Channel.STOCK in kind.channels else OneAtATime
        assert isinstance(HANDLERS[name], expected), name


def test_a_registry_type_without_a_handler_is_named_in_one_line() -> None:
    kinds = {**EVENT_KINDS, "order.amended": EventKind("order.amended", _Amended, frozenset())}
    assert handler_problem(kinds) == "event type 'order.amended' has no handler"


def test_a_handler_of_the_wrong_reading_is_refused() -> None:
    table = {**HANDLERS, "stock.set": HANDLERS["order.placed"]}
    assert handler_problem(table=table) == (
        "event type 'stock.set' is read in batches but its handler is not"
    )


def test_a_handler_for_a_type_the_registry_does_not_know_is_refused() -> None:
    table = {**HANDLERS, "order.amended": HANDLERS["order.placed"]}
    assert handler_problem(table=table) == (
        "handler for 'order.amended', an event type the registry does not know"
    )


def test_the_service_refuses_to_start_with_an_unhandled_type(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    amended = EventKind("order.amended", _Amended, frozenset({Channel.ORDERS}))
    monkeypatch.setitem(EVENT_KINDS, "order.amended", amended)
    settings = Settings(redis={"url": "redis://127.0.0.1:9"})
    with pytest.raises(ConfigurationError) as refused:
        build_service(settings)
    assert str(refused.value) == "event type 'order.amended' has no handler"
