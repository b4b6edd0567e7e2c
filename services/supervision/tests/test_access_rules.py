"""Who sees what, without servers: the supervision office and leaders see every item; a
department only the items it leads or co-handles (any other answers as an unknown id);
co-departments see the lead's answer only once submitted; deputies' contact details only
the supervision office sees, and no fact carries them."""

from __future__ import annotations

from datetime import date

import pytest

from govbus_contracts.envelope import Principal
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.services.supervision.items import DraftAnswer, OpenItem, SubmitAnswer
from govbus_supervision.domain import handling, opening
from govbus_supervision.domain.access import may_see, view, visible


def test_the_office_and_leaders_see_every_item_a_department_only_its_own(walk):
    item = walk.assigned()
    for who in (walk.supervisor, walk.leader, walk.lead_handler, walk.co_handler):
        assert visible(who, item, item.id) is item
    for who in (walk.other_handler, Principal.anonymous(),
                Principal(subject="x", roles=frozenset({"handler"}))):  # no department
        with pytest.raises(GovbusError) as raised:
            visible(who, item, item.id)
        assert raised.value.code is ErrorCode.not_found
        assert raised.value.message == "督查事项item-1不存在"
    with pytest.raises(GovbusError) as unknown:
        visible(walk.supervisor, None, "item-1")
    assert unknown.value.message == "督查事项item-1不存在"


def test_a_department_sees_an_item_only_once_assigned_to_it(walk):
    proposed = walk.opened(proposed_lead_department=walk.lead)
    assert not may_see(walk.lead_handler, proposed)
    assert may_see(walk.lead_handler, walk.assigned())


def test_co_departments_see_the_leads_answer_only_once_submitted(walk):
    item = walk.opinion_given()
    drafted = handling.draft_answer(item, DraftAnswer(id=item.id, text="拟答复: 已完成32部"),
                                    walk.lead_handler, walk.at(item.opened_on)).state
    assert view(drafted, walk.co_handler).answer_draft is None
    assert view(drafted, walk.lead_handler).answer_draft.text == "拟答复: 已完成32部"
    assert view(drafted, walk.supervisor).answer_draft is not None
    assert view(drafted, walk.co_handler).answers == []
    answered = walk.answered(drafted)
    shown = view(answered, walk.co_handler)
    assert shown.answers[-1].text == answered.answers[-1].text


def test_deputies_contact_details_are_shown_to_the_supervision_office_only(walk):
    item = walk.assigned(walk.registered(walk.opened(walk.motion_source())))
    office = view(item, walk.supervisor).source.motion.signers
    assert office[0].contact.phone == "13800000001"
    for who in (walk.leader, walk.lead_handler, walk.co_handler):
        signers = view(item, who).source.motion.signers
        assert [s.name for s in signers] == ["张代表", "李代表"]  # names are public
        assert all(s.contact is None for s in signers)


def test_no_fact_carries_a_deputys_contact_details(walk):
    cmd = OpenItem(title="关于加快老旧小区改造的建议", content="……",
                   source=walk.motion_source())
    opened = opening.open_item(cmd, "item-1", walk.supervisor, walk.at(date(2026, 6, 1)))
    item = walk.assigned(walk.registered(opened.state))
    answered = handling.submit_answer(
        walk.opinion_given(item), SubmitAnswer(id=item.id, text="答复", result_code="A",
                                               replies_to=["张代表", "李代表"]),
        walk.lead_handler, walk.at(date(2026, 6, 20)))
    for change in (opened, answered):
        for emit in change.events:
            body = emit.body.model_dump_json()
            assert "13800000001" not in body and "人民路" not in body and "张代表" not in body
