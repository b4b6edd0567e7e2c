"""The staff's lists of requests and catalogue entries, as the kit's list projection keeps
them: newest first, filtered by their facets, scoped by the department."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from pydantic import BaseModel

from govbus_disclosure.service import service
from govbus_kit import listing
from govbus_kit.domain import Aggregate
from govbus_kit.listing import DeclaredList, ListSpec, aggregate_fields, facet, newest_first

A = TypeVar("A", bound=Aggregate)


def office_list(collection: str, model: type[A], summary: type[BaseModel],
                summary_of: Callable[[A], BaseModel], *, newest: str,
                facets: Callable[[listing.Document], Iterable[str]],
                unread: tuple[str, ...]) -> DeclaredList:
    """The list of ``collection``: newest first by the field ``newest``, filtered by
    ``facets`` and by the department (the scope of an officer with one), each item
    ``summary_of`` the aggregate; ``unread`` the long fields it never needs."""

    def tokens(doc: listing.Document) -> list[str]:
        own = list(facets(doc))
        if doc.get("department") is not None:
            own.append(facet("department", doc["department"]))
        return own

    return listing.declare(service, ListSpec(
        collection=collection, fields=tuple(summary.model_fields),
        order=lambda doc: newest_first(doc.get(newest)), facets=tokens,
        summary=lambda doc: summary_of(model.model_validate(aggregate_fields(doc)))
        .model_dump(mode="json"),
        pairs=(("department", "status"),), unread=unread))
