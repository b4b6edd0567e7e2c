"""Who may see a document (条例 Art. 26 ff.: 公文 are handled by those who need them).

- The office's staff roles (registrar, leader, reviewer, signer, archivist) see the office's
  documents; classified ones (密级 not 非密) only registrar, leader, reviewer (核稿), signer
  and archivist.
- A department (handler, drafter) sees only what was assigned, circulated or sent to it, or
  what it drafted itself.
- admin administers the system; it reads no classified document.
- Whoever may not see a document is not told that it exists: every route that names one
  by id answers them exactly as it answers an unknown id (``require_visible``), and only
  then may a command be refused (403) or found out of order (409).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, TypeVar

from govbus_contracts.envelope import Principal
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.services.documents.common import Classification, Role

OFFICE_ROLES = frozenset({Role.registrar, Role.leader, Role.reviewer, Role.signer,
                          Role.archivist, Role.admin})
CLEARED_ROLES = frozenset({Role.registrar, Role.leader, Role.reviewer, Role.signer,
                           Role.archivist})


class Scoped(Protocol):
    @property
    def classification_level(self) -> Classification: ...

    @property
    def departments(self) -> Iterable[str]: ...


S = TypeVar("S", bound=Scoped)


def is_classified(level: Classification) -> bool:
    return level is not Classification.none


def may_read(principal: Principal, level: Classification, departments: Iterable[str]) -> bool:
    roles = principal.roles
    in_department = principal.department is not None and principal.department in set(departments)
    if is_classified(level):
        return bool(roles & CLEARED_ROLES) or (
            in_department and bool(roles & {Role.handler, Role.drafter}))
    return bool(roles & OFFICE_ROLES) or (
        in_department and bool(roles & {Role.handler, Role.drafter}))


def visibility_filter(principal: Principal) -> dict[str, object] | None:
    """A MongoDB filter on ``classification_level`` and ``departments`` matching
    ``may_read``; None when the principal may see nothing."""
    roles = principal.roles
    clauses: list[dict[str, object]] = []
    if roles & CLEARED_ROLES:
        return {}
    if roles & OFFICE_ROLES:
        clauses.append({"classification_level": Classification.none.value})
    if principal.department and roles & {Role.handler, Role.drafter}:
        clauses.append({"departments": principal.department})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$or": clauses}


def not_found(what: str, object_id: str) -> GovbusError:
    """The one answer to an id that does not exist or that the caller may not see."""
    return GovbusError(ErrorCode.not_found, f"{what} {object_id} 不存在", id=object_id)


def require_visible(principal: Principal, found: S | None, what: str, object_id: str) -> S:
    """The document, if it exists and the principal may read it; otherwise exactly the
    answer an unknown id gets (same code, message and details)."""
    if found is None or not may_read(principal, found.classification_level, found.departments):
        raise not_found(what, object_id)
    return found
