"""Who sees what of an item, and who may act for a department.

督查室 staff (and admins) manage and see everything; leaders read everything; a department's
handler sees only the items where the department is lead or co-department, and gets for any
other what an unknown id gets. Co-departments see the lead's answer only once submitted (the
draft is the lead's and the office's). Deputies' names are public; their contact details
are shown to the supervision office only.

Pure: no I/O.
"""

from __future__ import annotations

from govbus_contracts.envelope import Principal
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.services.supervision.common import Role
from govbus_contracts.services.supervision.items import ChildrenProgress, ItemView, Source
from govbus_kit.domain import Actor, act_as
from govbus_supervision.domain.record import SupervisionItem, not_found


def is_office(principal: Principal) -> bool:
    """The supervision office (督查室) and admins."""
    return principal.has_any(Role.supervisor, Role.admin)


def reads_all(principal: Principal) -> bool:
    return is_office(principal) or Role.leader in principal.roles


def may_see(principal: Principal, item: SupervisionItem) -> bool:
    if reads_all(principal):
        return True
    return (Role.handler in principal.roles and principal.department is not None
            and principal.department in item.departments)


def visible(principal: Principal, item: SupervisionItem | None, item_id: str) -> SupervisionItem:
    """The item if the principal may see it; ``not_found`` for unknown and invisible alike."""
    if item is None or not may_see(principal, item):
        raise not_found(item_id)
    return item


def act_for_lead(principal: Principal, item: SupervisionItem, step: str) -> Actor:
    """A handler of the lead department (a co-department is refused; any other department
    does not see the item at all)."""
    visible(principal, item, item.id)
    actor = act_as(principal, Role.handler, step=step)
    if actor.department != item.lead_department:
        raise GovbusError(ErrorCode.forbidden, f"只有主办部门可以{step}", step=step,
                          lead_department=item.lead_department)
    return actor


def act_for_co(principal: Principal, item: SupervisionItem, step: str) -> Actor:
    """A handler of one of the co-departments."""
    visible(principal, item, item.id)
    actor = act_as(principal, Role.handler, step=step)
    if actor.department not in item.co_departments:
        raise GovbusError(ErrorCode.forbidden, f"只有协办部门可以{step}", step=step,
                          co_departments=item.co_departments)
    return actor


def public_source(source: Source) -> Source:
    """The source without the signers' contact details."""
    if source.motion is None:
        return source
    signers = [s.model_copy(update={"contact": None}) for s in source.motion.signers]
    return source.model_copy(update={"motion": source.motion.model_copy(
        update={"signers": signers})})


def view(item: SupervisionItem, principal: Principal,
         children: ChildrenProgress | None = None) -> ItemView:
    """The item as ``principal`` may see it (call ``visible`` first)."""
    office = is_office(principal)
    lead = principal.department is not None and principal.department == item.lead_department
    data = item.model_dump(exclude={"due_set_on", "report_reminded", "serial",
                                    "proposed_lead_department", "proposed_co_departments",
                                    "suspended_from"})
    data.update(source=item.source if office else public_source(item.source),
                answer_draft=item.answer_draft if office or lead else None,
                children=children)
    return ItemView.model_validate(data)
