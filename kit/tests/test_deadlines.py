"""Deadline clocks for statutory periods, on the real 2025 calendar.

The disclosure rules are 政府信息公开条例 (2019): reply within 20 working days (Art. 33),
one extension of at most 20 working days, 补正 restarts the period (Art. 30), third-party
consultation is not counted (Art. 32).
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from pydantic import ValidationError

from govbus_kit.calendar import WorkingCalendar
from govbus_kit.deadlines import DeadlineClock, DeadlineError, Extension, Pause

CAL = WorkingCalendar()


def disclosure_reply_clock(received_on: date) -> DeadlineClock:
    return DeadlineClock(started_on=received_on, period=20, max_extensions=1, max_extension_days=20)


def test_disclosure_reply_is_due_twenty_working_days_after_receipt_across_national_day() -> None:
    clock = disclosure_reply_clock(date(2025, 9, 26))
    assert clock.due_date(CAL) == date(2025, 10, 30)
    assert clock.elapsed(date(2025, 10, 9), CAL) == 4
    assert clock.remaining(date(2025, 10, 9), CAL) == 16


def test_third_party_consultation_across_national_day_is_not_counted() -> None:
    # Received Fri 19 Sep: 22–26 Sep count (5). Consultation from 26 Sep to 10 Oct removes
    # 28, 29, 30 Sep, 9 and 10 Oct (5 working days); counting resumes 11 Oct (调休).
    clock = disclosure_reply_clock(date(2025, 9, 19))
    assert clock.due_date(CAL) == date(2025, 10, 23)

    paused = clock.pause(date(2025, 9, 26), reason="涉及第三方商业秘密", kind="征求第三方意见")
    assert paused.is_paused
    assert paused.due_date(CAL) is None
    assert paused.elapsed(date(2025, 10, 9), CAL) == 5

    resumed = paused.resume(date(2025, 10, 10))
    assert not resumed.is_paused
    assert resumed.pauses[0].ended_on == date(2025, 10, 10)
    assert resumed.elapsed(date(2025, 10, 11), CAL) == 6
    assert resumed.due_date(CAL) == date(2025, 10, 30)


def test_supplement_request_pauses_then_restarts_the_period_from_the_completed_request() -> None:
    # Received Mon 22 Sep; 补正 notice on 24 Sep; completed request arrives Thu 9 Oct.
    clock = disclosure_reply_clock(date(2025, 9, 22))
    paused = clock.pause(date(2025, 9, 24), reason="申请内容不明确", kind="补正")
    assert paused.due_date(CAL) is None

    restarted = paused.restart(date(2025, 10, 9), reason="收到补正后的申请")
    assert restarted.started_on == date(2025, 10, 9)
    assert restarted.pauses == ()
    assert not restarted.is_paused
    # 10(1) 11(2, 调休) 13–17(3–7) 20–24(8–12) 27–31(13–17) 3–5 Nov(18–20).
    assert restarted.due_date(CAL) == date(2025, 11, 5)

    (record,) = restarted.restarts
    assert record.on == date(2025, 10, 9)
    assert record.previous_started_on == date(2025, 9, 22)
    assert record.pauses == (
        Pause(
            started_on=date(2025, 9, 24),
            ended_on=date(2025, 10, 9),
            reason="申请内容不明确",
            kind="补正",
        ),
    )


def test_one_extension_of_at_most_twenty_working_days() -> None:
    clock = disclosure_reply_clock(date(2025, 9, 26))
    extended = clock.extend(20, reason="信息量大", approved_by="办公室主任", on=date(2025, 10, 28))
    assert extended.extensions == (
        Extension(
            working_days=20,
            reason="信息量大",
            approved_by="办公室主任",
            granted_on=date(2025, 10, 28),
        ),
    )
    # 20 more after 30 Oct: 31 Oct(1) 3–7 Nov(2–6) 10–14(7–11) 17–21(12–16) 24–27(17–20).
    assert extended.due_date(CAL) == date(2025, 11, 27)

    with pytest.raises(DeadlineError) as second:
        extended.extend(1, reason="仍需时间", approved_by="办公室主任", on=date(2025, 11, 20))
    assert second.value.code == "conflict"
    assert extended.due_date(CAL) == date(2025, 11, 27)


def test_an_extension_beyond_twenty_working_days_is_refused() -> None:
    clock = disclosure_reply_clock(date(2025, 9, 26))
    with pytest.raises(DeadlineError) as caught:
        clock.extend(21, reason="信息量大", approved_by="办公室主任", on=date(2025, 10, 28))
    assert caught.value.code == "conflict"
    assert clock.extensions == ()
    assert clock.due_date(CAL) == date(2025, 10, 30)


def test_extension_needs_a_positive_number_of_days() -> None:
    clock = disclosure_reply_clock(date(2025, 9, 26))
    with pytest.raises(ValidationError):
        clock.extend(0, reason="无", approved_by="办公室主任", on=date(2025, 10, 28))
    assert clock.due_date(CAL) == date(2025, 10, 30)


def test_overdue_only_after_the_due_date() -> None:
    clock = disclosure_reply_clock(date(2025, 9, 26))
    assert not clock.is_overdue(date(2025, 10, 30), CAL)
    assert clock.is_overdue(date(2025, 10, 31), CAL)
    assert clock.remaining(date(2025, 10, 29), CAL) == 1
    assert clock.remaining(date(2025, 10, 30), CAL) == 0
    assert clock.remaining(date(2025, 10, 31), CAL) == -1
    # The weekend after the due date adds no overdue working days.
    assert clock.remaining(date(2025, 11, 2), CAL) == -1


def test_a_paused_clock_is_never_overdue_and_has_no_due_date() -> None:
    clock = disclosure_reply_clock(date(2025, 9, 26)).pause(
        date(2025, 10, 20), reason="征求第三方意见", kind="征求第三方意见"
    )
    assert clock.due_date(CAL) is None
    assert clock.remaining(date(2025, 11, 10), CAL) is None
    assert not clock.is_overdue(date(2025, 11, 10), CAL)
    # 28–30 Sep, 9–11 Oct, 13–17 Oct, 20 Oct: counted up to the pause, nothing after.
    assert clock.elapsed(date(2025, 11, 10), CAL) == 12


def test_pausing_twice_is_refused() -> None:
    clock = disclosure_reply_clock(date(2025, 9, 26)).pause(
        date(2025, 9, 29), reason="补正", kind="补正"
    )
    with pytest.raises(DeadlineError) as caught:
        clock.pause(date(2025, 9, 30), reason="补正", kind="补正")
    assert caught.value.code == "invalid_transition"
    assert clock.pauses[0].started_on == date(2025, 9, 29)


def test_resuming_a_running_clock_is_refused() -> None:
    clock = disclosure_reply_clock(date(2025, 9, 26))
    with pytest.raises(DeadlineError) as caught:
        clock.resume(date(2025, 10, 9))
    assert caught.value.code == "invalid_transition"
    assert clock.due_date(CAL) == date(2025, 10, 30)


def test_resuming_before_the_pause_began_is_refused() -> None:
    clock = disclosure_reply_clock(date(2025, 9, 26)).pause(
        date(2025, 10, 9), reason="征求第三方意见", kind="征求第三方意见"
    )
    with pytest.raises(DeadlineError) as caught:
        clock.resume(date(2025, 10, 8))
    assert caught.value.code == "invalid_transition"
    assert clock.pauses[-1].started_on == date(2025, 10, 9)


def test_pausing_before_the_start_or_the_last_resume_is_refused() -> None:
    clock = disclosure_reply_clock(date(2025, 9, 26))
    with pytest.raises(DeadlineError, match="before the start"):
        clock.pause(date(2025, 9, 25), reason="补正", kind="补正")
    resumed = clock.pause(date(2025, 10, 9), reason="a", kind="征求第三方意见").resume(
        date(2025, 10, 15)
    )
    with pytest.raises(DeadlineError, match="before the last resume"):
        resumed.pause(date(2025, 10, 14), reason="b", kind="征求第三方意见")
    # Two pauses back to back: 10–15 Oct and 15–17 Oct, 7 working days out in all.
    again = resumed.pause(date(2025, 10, 15), reason="b", kind="征求第三方意见").resume(
        date(2025, 10, 17)
    )
    assert again.due_date(CAL) == date(2025, 11, 10)


def test_tendering_period_counts_calendar_days_and_ends_on_a_holiday() -> None:
    # Documents issued 11 Sep 2025: bids due at least 20 days later, 1 Oct, not moved.
    clock = DeadlineClock(started_on=date(2025, 9, 11), period=20, unit="calendar_days")
    assert clock.due_date(CAL) == date(2025, 10, 1)
    # An objection suspends the activity from 12 to 15 Sep: 13, 14 and 15 Sep do not count.
    suspended = clock.pause(date(2025, 9, 12), reason="对招标文件的异议", kind="异议").resume(
        date(2025, 9, 15)
    )
    assert suspended.due_date(CAL) == date(2025, 10, 4)
    assert suspended.elapsed(date(2025, 9, 16), CAL) == 2


def test_clock_round_trips_through_json_as_stored() -> None:
    clock = (
        disclosure_reply_clock(date(2025, 9, 22))
        .pause(date(2025, 9, 24), reason="申请内容不明确", kind="补正")
        .restart(date(2025, 10, 9), reason="收到补正后的申请")
        .pause(date(2025, 10, 13), reason="涉及第三方", kind="征求第三方意见")
        .resume(date(2025, 10, 20))
        .extend(10, reason="信息量大", approved_by="办公室主任", on=date(2025, 11, 10))
    )
    stored = json.loads(json.dumps(clock.model_dump(mode="json"), ensure_ascii=False))
    assert stored["started_on"] == "2025-10-09"
    assert stored["restarts"][0]["pauses"][0]["ended_on"] == "2025-10-09"

    loaded = DeadlineClock.model_validate(stored)
    assert loaded == clock
    assert loaded.restarts[0].previous_started_on == date(2025, 9, 22)
    # 5 working days out (14–17, 20 Oct) and 10 added: 5 Nov + 5 + 10 working days.
    assert loaded.due_date(CAL) == date(2025, 11, 26)


def test_a_stored_clock_with_overlapping_pauses_is_refused() -> None:
    with pytest.raises(ValidationError, match="overlaps"):
        DeadlineClock.model_validate(
            {
                "started_on": "2025-09-26",
                "period": 20,
                "pauses": [
                    {
                        "started_on": "2025-09-29",
                        "ended_on": "2025-10-10",
                        "reason": "a",
                        "kind": "补正",
                    },
                    {"started_on": "2025-10-09", "ended_on": None, "reason": "b", "kind": "补正"},
                ],
            }
        )
