"""信息处理费 (国办函〔2020〕109号 《政府信息公开信息处理费管理办法》), 按件计收.

第四条: the same applicant, within one calendar month (自然月), counted request by request:
(一) up to 10 requests (含10件) free;
(二) the 11th to the 30th (含30件) 100 元 each;
(三) beyond 30, in bands of 10 (以10件为一档): each further band raises the price by 100 元
     a request — the 31st–40th cost 200 元 each, the 41st–50th 300 元, and so on (超额累进).
Every figure is configuration (``FeeSchedule``); the defaults are 109号's.

按量计收 (第五条, by pages) is not offered: an office may choose either per request, and
this service charges by count only.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class FeeSchedule:
    free_per_month: int = 10
    per_request: int = 100
    first_tier_top: int = 30
    band_size: int = 10
    band_increase: int = 100


def fee_for(position: int, schedule: FeeSchedule = FeeSchedule()) -> int:
    """The fee (元) of an applicant's ``position``-th request of a calendar month."""
    if position < 1:
        raise ValueError(f"position {position} must be at least 1")
    if position <= schedule.free_per_month:
        return 0
    if position <= schedule.first_tier_top:
        return schedule.per_request
    band = (position - schedule.first_tier_top - 1) // schedule.band_size + 1
    return schedule.per_request + band * schedule.band_increase


def month_total(count: int, schedule: FeeSchedule = FeeSchedule()) -> int:
    """What ``count`` requests of one applicant in one calendar month cost together."""
    return sum(fee_for(n, schedule) for n in range(1, count + 1))


def applicant_key(applicant_type: str, *, id_number: str | None, credit_code: str | None,
                  email: str | None, phone: str | None, name: str) -> str:
    """Who the applicant is across requests, as a hash: the ID document or credit code when
    given, else the contact, else the name. The hash, not the number, is what is compared."""
    if credit_code:
        basis = "credit:" + credit_code.strip().upper()
    elif id_number:
        basis = "id:" + id_number.strip().upper()
    elif email:
        basis = "email:" + email.strip().lower()
    elif phone:
        basis = "phone:" + "".join(ch for ch in phone if ch.isdigit())
    else:
        basis = f"name:{applicant_type}:{name.strip()}"
    return hashlib.sha256(("govbus-disclosure-applicant/" + basis).encode()).hexdigest()
