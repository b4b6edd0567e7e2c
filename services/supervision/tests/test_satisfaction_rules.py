"""代表 (委员) 评价 of a 联名建议: one signer's 不满意 has the answer handled again within a
month whether the office reviewed it or not, the others' ratings are still recorded
meanwhile, and once every signer has rated the answer of a 办结 item its completion is
announced again with the satisfaction (once per answer)."""

from __future__ import annotations

from datetime import date

from govbus_contracts.errors import ErrorCode
from govbus_contracts.services.supervision.common import ItemStatus as S
from govbus_contracts.services.supervision.common import Satisfaction
from govbus_contracts.services.supervision.items import (
    ITEM_COMPLETED,
    ITEM_REOPENED,
    ITEM_SATISFACTION_RECORDED,
    RecordSatisfaction,
)
from govbus_supervision.domain import closing

JUN1 = date(2026, 6, 1)


def motion_completed(walk):
    return walk.completed(walk.answered(walk.opinion_given(walk.assigned(walk.registered(
        walk.opened(walk.motion_source())), on=JUN1))))


def rate(walk, item, signer, satisfaction, on):
    return closing.record_satisfaction(
        item, RecordSatisfaction(id=item.id, satisfaction=satisfaction, signer=signer),
        walk.supervisor, walk.at(on), walk.periods)


def test_a_dissatisfied_signer_reopens_the_item_reviewed_or_not(walk):
    # 审结 done: the item reopens (ItemReopened, addressed to the departments).
    reopened = rate(walk, motion_completed(walk), "李代表", Satisfaction.dissatisfied,
                    date(2026, 8, 31))
    assert [e.spec for e in reopened.events] == [ITEM_SATISFACTION_RECORDED, ITEM_REOPENED]
    assert (reopened.state.status, reopened.state.due_on) == (S.handling, date(2026, 9, 30))
    assert reopened.events[1].body.rehandling_rounds == 1
    # Before 审结: handled again alike, never accepted as it stands.
    answered = walk.answered(walk.opinion_given(walk.assigned(walk.registered(
        walk.opened(walk.motion_source())), on=JUN1)))
    early = rate(walk, answered, "张代表", Satisfaction.dissatisfied, date(2026, 6, 16))
    assert [e.spec for e in early.events] == [ITEM_SATISFACTION_RECORDED, ITEM_REOPENED]
    assert (early.state.status, early.state.due_on, early.state.rehandling_rounds) == (
        S.handling, date(2026, 7, 16), 1)
    assert early.state.appraisal is None


def test_the_other_signers_still_rate_an_answer_handled_again(walk):
    reopened = rate(walk, motion_completed(walk), "李代表", Satisfaction.dissatisfied,
                    date(2026, 7, 1)).state
    other = rate(walk, reopened, "张代表", Satisfaction.basically_satisfied, date(2026, 7, 2))
    # Recorded, and nothing reopens twice: the re-handling runs already.
    assert [e.spec for e in other.events] == [ITEM_SATISFACTION_RECORDED]
    assert (other.state.status, other.state.due_on, other.state.rehandling_rounds) == (
        S.handling, reopened.due_on, 1)
    assert [(r.round, r.signer) for r in other.state.satisfaction] == [
        (1, "李代表"), (1, "张代表")]
    walk.refused(ErrorCode.conflict, lambda: rate(
        walk, other.state, "张代表", Satisfaction.satisfied, date(2026, 7, 2)), other.state)


def test_an_item_being_handled_whose_answer_nobody_found_wanting_is_not_rated(walk):
    assigned = walk.assigned(walk.registered(walk.opened(walk.motion_source())), on=JUN1)
    walk.refused(ErrorCode.invalid_transition, lambda: rate(
        walk, assigned, "张代表", Satisfaction.satisfied, date(2026, 6, 5)),
        assigned)


def test_completion_is_announced_again_once_every_signer_has_rated(walk):
    item = motion_completed(walk)
    first = rate(walk, item, "张代表", Satisfaction.satisfied, date(2026, 7, 1))
    assert [e.spec for e in first.events] == [ITEM_SATISFACTION_RECORDED]
    second = rate(walk, first.state, "李代表", Satisfaction.basically_satisfied,
                  date(2026, 7, 2))
    assert [e.spec for e in second.events] == [ITEM_SATISFACTION_RECORDED, ITEM_COMPLETED]
    completed = second.events[1]
    assert completed.event_id is not None  # once per answer, whoever sweeps or retries
    assert (completed.body.satisfaction, completed.body.rehandling_rounds,
            completed.body.completed_on, completed.body.result_code) == (
        Satisfaction.basically_satisfied, 0, item.appraisal.completed_on, "B")
    assert second.state.appraisal.satisfaction is Satisfaction.basically_satisfied
    assert second.state.status is S.completed


def test_other_items_are_announced_again_when_the_office_rates_them_after_review(walk):
    done = walk.completed()
    rated = closing.record_satisfaction(
        done, RecordSatisfaction(id=done.id, satisfaction=Satisfaction.satisfied),
        walk.supervisor, walk.at(date(2026, 6, 17)), walk.periods)
    assert [e.spec for e in rated.events] == [ITEM_SATISFACTION_RECORDED, ITEM_COMPLETED]
    assert rated.events[1].body.satisfaction is Satisfaction.satisfied
