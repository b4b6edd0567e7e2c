"""Who handles which request: staff of disclosure, an officer with a department claim only
what was assigned to it (the central office and admins everything).

Pure: no I/O, the time and the calendar are passed in.
"""

from __future__ import annotations

from typing import Any

from govbus_contracts.envelope import Principal
from govbus_contracts.services.disclosure.common import Role
from govbus_disclosure.domain.requests.record import InformationRequest


def is_staff(principal: Principal) -> bool:
    return principal.has_any(Role.officer, Role.approver, Role.admin)


def in_scope(principal: Principal, req: InformationRequest) -> bool:
    """An officer with a department claim handles only what was assigned to it; without
    one (the central office) everything; admin everything."""
    if Role.admin in principal.roles or principal.department is None:
        return True
    return req.department == principal.department


def scope_filter(principal: Principal) -> dict[str, Any]:
    if Role.admin in principal.roles or principal.department is None:
        return {}
    return {"department": principal.department}
