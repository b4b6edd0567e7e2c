"""The tests' office corpus: the same sentences for a seed, on any machine, from the repository."""

from __future__ import annotations

from govbus_testing import office_corpus


def test_a_seed_gives_the_same_distinct_sentences_every_time():
    first = office_corpus.sentences(seed=7, count=500)
    assert first == office_corpus.sentences(seed=7, count=500)
    assert len(first) == len(set(first)) == 500
    assert office_corpus.sentences(seed=8, count=500) != first


def test_sentences_read_like_an_office_and_fit_the_search_corpus():
    pool = office_corpus.sentences()
    assert len(pool) >= 1000
    assert all(8 <= len(s) <= 120 and not s.endswith("。") for s in pool)
    words = ("督查督办", "政务信息", "会议", "进一步", "办公室")  # what the search tests ask for
    assert all(any(w in s for s in pool) for w in words)
    assert len({s[i:i + 2] for s in pool for i in range(len(s) - 1)}) > 2000  # bigrams
