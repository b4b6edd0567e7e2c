"""依申请公开: the rules of a request for government information, from receipt to reply.

[政府信息公开条例 2019] Read top to bottom:
- 第三十一条 the date of receipt: handed in — that day; registered post — the day the office
  signs for it; 平常信函 — the day the office confirms it with the applicant; online and 传真 —
  the day both sides confirm (an online platform confirms at once unless the office says
  otherwise). Until then the request is 待确认 and no clock runs. The 20 working days count
  from the day after receipt (次日起算, as the kit's DeadlineClock counts): submitted online on
  Saturday 7 March 2026 and confirmed at once, received that Saturday, day 1 is Monday 9 March.
  An office whose local rules take a non-working-day receipt as received on the next working
  day sets that (``receipt_next_working_day``); it is configuration, not the national rule.
- 第三十三条 the reply within 20 working days; one extension of at most 20 with the
  approval of the 负责人 and a notice to the applicant, granted before the period ends.
- 第三十条 补正: one notice within 7 working days of receipt, naming what to complete and a
  reasonable period; the clock stands still and starts again from zero (restart) the day the
  completed request arrives; no answer within the period: 视为放弃 (closed, 其他处理).
- 第三十二条 third-party consultation: 15 working days for the third party, not counted; when
  they pass unanswered the sweep ends the consultation as 逾期未答复 and the clock runs again
  by itself. 不予公开 to protect a third party rests on a consultation (or a recorded reason why
  none was possible); disclosing over an objection needs a written notice to the third party.
- 国办函〔2020〕109号: a fee only for excess volume (see ``fees``); from the notice to the
  payment the time is not counted; unpaid within the period: closed (其他处理).
- 第三十六条/第三十七条 the reply types and what each must say; 第三十九条 a complaint,
  report or 信访 matter is answered 不予处理 and handed to the complaints side.

One module per idea: ``record`` (the request and the applicant's month), ``access`` (who
handles which request), ``codes`` (申请编号 and 查询码), ``periods`` (receipt and the reply
clock), ``submission`` (第二十九条, 第三十一条), ``steps`` (staff and the applicant along the
way), ``reply`` (第三十六条), ``sweep`` (the deadlines' decisions) and ``views`` (what the
applicant sees). Pure: no I/O, the time and the calendar are passed in.
"""
