"""中止 and 恢复办理 with a 延期 decided while the item stands still: the extension approved
meanwhile is kept, and the working days suspended are added to it."""

from __future__ import annotations

from datetime import date

from govbus_contracts.services.supervision.common import ItemStatus as S
from govbus_contracts.services.supervision.items import (
    DecideExtension,
    RequestExtension,
    SuspendItem,
)
from govbus_supervision.domain import deadlines


def test_an_extension_approved_while_suspended_is_kept_at_resumption(walk):
    item = walk.assigned(on=date(2026, 6, 1))  # 15 working days: due 23 June
    asked = deadlines.request_extension(
        item, RequestExtension(id=item.id, reason="需征求省级部门意见",
                               requested_due_on=date(2026, 7, 10)),
        walk.lead_handler, walk.at(date(2026, 6, 2)), walk.periods).state
    suspended = deadlines.suspend(asked, SuspendItem(id=item.id, reason="涉及诉讼, 待判决",
                                                     approved_by="王副市长"),
                                  walk.supervisor, walk.at(date(2026, 6, 3))).state
    extended = deadlines.decide_extension(
        suspended, DecideExtension(id=item.id, decision="同意延期"), walk.leader,
        walk.at(date(2026, 6, 4)), walk.periods).state
    assert (extended.status, extended.due_on) == (S.suspended, date(2026, 7, 10))
    resumed = deadlines.resume(extended, "判决已生效", walk.supervisor,
                               walk.at(date(2026, 6, 10)), walk.periods)
    # 4–10 June: 5 working days suspended, after 10 July (Friday): 17 July.
    assert (resumed.state.status, resumed.state.due_on) == (S.handling, date(2026, 7, 17))
    assert resumed.events[0].body.previous_due_on == date(2026, 7, 10)
    assert resumed.state.suspensions[-1].due_on_after == date(2026, 7, 17)
