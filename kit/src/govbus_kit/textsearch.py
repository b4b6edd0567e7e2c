"""Full-text search of Chinese office text: how text becomes terms, and how matches rank.

Chinese has no spaces, so text is cut into overlapping character bigrams (a lone character
stays a unigram); Latin and digit runs are words. 发文字号 such as 宜府办发〔2026〕71号 are
also kept whole, because an office looks a document up by its number first, and by year
and serial (2026, 71). Fields weigh number > title > issuer > body, so that an item whose
number or title holds the words outranks one that merely mentions them.

Office-neutral: no service's visibility rules live here (who may see what is each
service's own domain). Pure functions, no I/O; used by the documents search and the
disclosure catalogue alike.
"""

from __future__ import annotations

import heapq
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

E = TypeVar("E")

# --- tokens -------------------------------------------------------------------------------

_CJK = (
    "\u3007"  # 〇
    "\u3400-\u4dbf"  # Extension A
    "\u4e00-\u9fff"  # Unified Ideographs
    "\uf900-\ufaff"  # Compatibility Ideographs
    "\U00020000-\U0003134f"  # Extensions B-G
)
_RUNS = re.compile(rf"(?P<cjk>[{_CJK}]+)|(?P<word>[^\W_{_CJK}]+)")
#: 机关代字〔年份〕序号号: brackets as offices write them, after NFKC ([] and () are half width).
_DOC_NUMBER = re.compile(
    rf"(?P<agency>[{_CJK}a-z]{{1,8}})\s*[〔\[【(]\s*(?P<year>(?:19|20)\d{{2}})\s*[〕\]】)]"
    r"\s*(?P<serial>\d{1,6})\s*号")

MAX_QUERY_TERMS = 32


#: CJK unified ideographs (Extension A and the main block): no decomposition, no combining
#: class, their own NFKC and lower case (``test_textsearch`` checks every one).
_IDEOGRAPHS = "\u3400-\u4dbf\u4e00-\u9fff"


def _plain_characters() -> tuple[dict[str, str], re.Pattern[str]]:
    """Characters of office text whose NFKC is one character taken alone (full-width forms
    to ASCII, the ideographic space to a space, most others to themselves), and that neither
    combine nor compose with a neighbour: ASCII, CJK ideographs and punctuation, full-width
    forms, general punctuation."""
    ranges = [(0x09, 0x0D), (0x20, 0x7E), (0x2000, 0x206F), (0x3000, 0x303F),
              (0xFE30, 0xFE4F), (0xFF01, 0xFF5E)]
    folds: dict[str, str] = {}
    plain: list[str] = []
    for first, last in ranges:
        for code in range(first, last + 1):
            char = chr(code)
            folded = unicodedata.normalize("NFKC", char)
            if (len(folded) != 1 or unicodedata.combining(char)
                    or unicodedata.combining(folded) or len(folded.lower()) != 1):
                continue
            plain.append(re.escape(char))
            if folded != char:
                folds[char] = folded
    return folds, re.compile(f"[^{''.join(plain)}{_IDEOGRAPHS}]")


#: NFKC over text of plain characters only is these replacements, character by character:
#: far faster than ``unicodedata.normalize`` on Chinese text with full-width punctuation
#: (which the quick check of NFKC refuses), the dearest part of a snippet.
_FOLDS, _NOT_PLAIN = _plain_characters()
_FOLDED = re.compile(f"[{''.join(map(re.escape, _FOLDS))}]")


def normalize(text: str) -> str:
    """NFKC (full-width digits and letters become half width) and lower case."""
    if _NOT_PLAIN.search(text) is not None:
        return unicodedata.normalize("NFKC", text).lower()
    # One search and one replace per distinct character to fold (a handful in office text).
    found = _FOLDED.search(text)
    while found is not None:
        char = found.group()
        text = text.replace(char, _FOLDS[char])
        found = _FOLDED.search(text, found.start())
    return text.lower()


def _run_terms(text: str) -> list[str]:
    out: list[str] = []
    for match in _RUNS.finditer(text):
        run = match.group(0)
        if match.group("cjk") is not None:
            if len(run) == 1:
                out.append(run)
            else:
                out.extend(run[i:i + 2] for i in range(len(run) - 1))
        else:
            out.append(run)
    return out


def canonical_doc_number(agency: str, year: str, serial: str) -> str:
    """The number as one term: 宜府办发〔2026〕71号 (serial without leading zeros)."""
    return f"{agency}〔{year}〕{int(serial)}号"


def doc_numbers_in(text: str) -> list[str]:
    """Every 发文字号 written in ``text``, each as its canonical whole term."""
    norm = normalize(text)
    return [canonical_doc_number(m.group("agency"), m.group("year"), m.group("serial"))
            for m in _DOC_NUMBER.finditer(norm)]


def _number_terms(match: re.Match[str], *, suffixes: bool) -> list[str]:
    agency, year, serial = match.group("agency"), match.group("year"), match.group("serial")
    # Running text does not say where the 机关代字 starts (根据宜府办发〔2026〕71号): a
    # document keeps every ending of at least two characters, so a query naming the
    # number as the office writes it (宜府办发〔2026〕71号) finds it.
    agencies = ([agency[i:] for i in range(len(agency) - 1)] if suffixes and len(agency) > 2
                else [agency])
    terms = [canonical_doc_number(a, year, serial) for a in agencies]
    if str(int(serial)) != serial:
        terms.append(str(int(serial)))  # the serial as the office says it: 71 for 071
    return terms


def tokenize(text: str, *, query: bool = False) -> list[str]:
    """The terms of ``text`` in order, with repeats; whole document numbers come last.

    For a query a number is kept as written; for a document also by the endings of its
    机关代字, see ``_number_terms``.
    """
    norm = normalize(text)
    terms = _run_terms(norm)
    for m in _DOC_NUMBER.finditer(norm):
        terms.extend(_number_terms(m, suffixes=not query))
    return terms


def query_terms(q: str) -> list[str]:
    """Distinct terms of a query, in the order written (at most MAX_QUERY_TERMS)."""
    seen: dict[str, None] = {}
    for term in tokenize(q, query=True):
        seen.setdefault(term, None)
    return list(seen)[:MAX_QUERY_TERMS]


# --- weights ------------------------------------------------------------------------------

#: Field weights: a number names one document; a title says what it is about; the issuer
#: narrows; the body only mentions.
FIELD_WEIGHTS: Mapping[str, float] = {"number": 10.0, "title": 5.0, "issuer": 3.0, "body": 1.0}
#: Repeats count less and less and never more than this factor, so that a body repeating a
#: word cannot outweigh a title that holds it once (5.0 > 1.0 * 3.0).
MAX_TF_FACTOR = 3.0


def tf_factor(count: int) -> float:
    return min(1.0 + math.log(count), MAX_TF_FACTOR) if count > 0 else 0.0


def field_terms(numbers: Iterable[str], title: str | None, issuer: str | None,
                body: str | None) -> dict[str, float]:
    """Weight of every distinct term of a document over its fields."""
    weights: dict[str, float] = {}
    fields = [("number", " ".join(n for n in numbers if n)), ("title", title or ""),
              ("issuer", issuer or ""), ("body", body or "")]
    for name, text in fields:
        if not text:
            continue
        for term, count in Counter(tokenize(text)).items():
            weights[term] = weights.get(term, 0.0) + FIELD_WEIGHTS[name] * tf_factor(count)
    return {t: round(w, 4) for t, w in weights.items()}


# --- ranking ------------------------------------------------------------------------------


def idf(document_frequency: int, total_documents: int) -> float:
    """Rare terms decide more than common ones."""
    return math.log(1.0 + total_documents / max(document_frequency, 1))


@dataclass(frozen=True)
class Ranking:
    ranked: list[tuple[str, float]]  # (document key, score), best first
    matched_all_terms: bool


def rank(
    terms: Sequence[str],
    postings: Mapping[str, Mapping[str, float]],
    document_frequency: Mapping[str, int],
    total_documents: int,
    *,
    tie_break: Mapping[str, Any] | None = None,
    limit: int | None = None,
) -> Ranking:
    """Rank the documents of ``postings`` (term → {document: weight}, visible ones only).

    Every term must match (AND), rarest first so the candidate set shrinks fastest; if no
    document holds every term, documents holding any are ranked instead (OR). Score: sum of
    term weight × idf. Ties go to the ``tie_break`` value (e.g. the year), higher first.
    """
    present = [t for t in terms if postings.get(t)]
    if not terms:
        return Ranking([], True)
    candidates: set[str] | None = None
    if len(present) == len(terms):
        for term in sorted(terms, key=lambda t: len(postings[t])):
            docs = postings[term].keys()
            candidates = set(docs) if candidates is None else candidates & docs
            if not candidates:
                break
    matched_all = bool(candidates)
    if not matched_all:
        candidates = set().union(*(postings[t].keys() for t in present)) if present else set()
    weights = {t: idf(document_frequency.get(t, len(postings[t])), total_documents)
               for t in present}
    # Term by term (in the order of ``present``, as a per-document sum would add them),
    # walking whichever is shorter: the term's postings or the candidates.
    sums: dict[str, float] = dict.fromkeys(candidates or (), 0.0)
    for t in present:
        w, post = weights[t], postings[t]
        if len(post) <= len(sums):
            for doc, tw in post.items():
                if doc in sums:
                    sums[doc] += tw * w
        else:
            for doc in sums:
                found = post.get(doc)
                if found is not None:
                    sums[doc] += found * w
    scores = {doc: round(total, 6) for doc, total in sums.items()}
    tb = tie_break or {}

    def order(kv: tuple[str, float]) -> tuple[float, float, str]:
        return (-kv[1], -(tb.get(kv[0]) or 0), kv[0])

    # Only the best ``limit`` are wanted: a partial selection instead of sorting them all.
    ranked = (heapq.nsmallest(limit, scores.items(), key=order)
              if limit is not None and limit < len(scores)
              else sorted(scores.items(), key=order))
    return Ranking(ranked, matched_all)


def rank_visible(
    terms: Sequence[str],
    entries: Mapping[str, E],
    postings: Mapping[str, Mapping[str, float]],
    visible: Callable[[E], bool],
    tie_break: Callable[[E], Any],
) -> Ranking:
    """``rank`` over the entries a query may see: ``visible`` (the service's rule, asked once
    per entry the query's postings name, not of the whole index) filters the postings
    first; a term's document frequency counts every entry holding it."""
    verdict: dict[str, bool] = {}

    def allowed(key: str) -> bool:
        found = verdict.get(key)
        if found is None:
            entry = entries.get(key)
            found = verdict[key] = entry is not None and visible(entry)
        return found

    frequency = {t: len(postings.get(t, {})) for t in terms}
    filtered = {t: {d: w for d, w in postings.get(t, {}).items() if allowed(d)} for t in terms}
    candidates = {d for docs in filtered.values() for d in docs}
    return rank(terms, filtered, frequency, max(len(entries), 1),
                tie_break={key: tie_break(entries[key]) for key in candidates})


# --- snippets -----------------------------------------------------------------------------


def snippet(body: str, terms: Sequence[str], width: int = 80) -> str | None:
    """About ``width`` characters of the body around the first match of any term."""
    if not body:
        return None
    norm = normalize(body)
    origin: list[int] | None = None
    if len(norm) != len(body):
        # Some character normalised to more or fewer (ligatures, combining marks): map
        # positions back per character. Same length (nearly all office text): one to one,
        # and the per-character pass, the dearest part of a search, is skipped.
        norm_chars: list[str] = []
        origin = []
        for i, ch in enumerate(body):
            n = normalize(ch)
            norm_chars.append(n)
            origin.extend([i] * len(n))
        norm = "".join(norm_chars)
    first: int | None = None
    for term in terms:
        at = norm.find(term)
        if at >= 0 and (first is None or at < first):
            first = at
    center = 0 if first is None else (origin[first] if origin is not None else first)
    start = max(0, center - width // 4)
    end = min(len(body), start + width)
    text = " ".join(body[start:end].split())
    return ("…" if start > 0 else "") + text + ("…" if end < len(body) else "")


__all__ = [
    "FIELD_WEIGHTS",
    "MAX_QUERY_TERMS",
    "MAX_TF_FACTOR",
    "Ranking",
    "canonical_doc_number",
    "doc_numbers_in",
    "field_terms",
    "idf",
    "normalize",
    "query_terms",
    "rank",
    "rank_visible",
    "snippet",
    "tf_factor",
    "tokenize",
]
