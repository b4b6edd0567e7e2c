"""Rules of full-text search in Chinese: terms, weights, ranking, snippets."""

from __future__ import annotations

from govbus_documents.domain.search import (
    field_terms,
    idf,
    query_terms,
    rank,
    snippet,
    tokenize,
)


def test_chinese_text_becomes_overlapping_bigrams_and_a_lone_character_stays_whole():
    assert tokenize("加强自身建设") == ["加强", "强自", "自身", "身建", "建设"]
    assert tokenize("函") == ["函"]
    assert tokenize("办公室 与 信息科") == ["办公", "公室", "与", "信息", "息科"]


def test_latin_and_digits_are_words_after_width_and_case_are_normalised():
    assert tokenize("ＯＦＤ格式，２０２６年") == ["ofd", "格式", "2026", "年"]
    assert tokenize("12345热线") == ["12345", "热线"]


def test_a_document_number_is_a_term_whole_and_by_year_and_serial():
    terms = tokenize("宜府办发〔2026〕71号")
    assert "宜府办发〔2026〕71号" in terms
    assert {"2026", "71", "宜府", "府办", "办发", "号"} <= set(terms)


def test_brackets_and_leading_zeros_of_a_number_do_not_matter():
    whole = "宜府办发〔2026〕71号"
    assert whole in tokenize("宜府办发[2026]071号")
    assert whole in tokenize("宜府办发［２０２６］71号")
    assert whole in tokenize("宜府办发【2026】71号")


def test_a_number_cited_in_running_text_is_found_by_its_own_name():
    assert "宜府办发〔2008〕71号" in tokenize("根据宜府办发〔2008〕71号文件精神")
    assert query_terms("宜府办发〔2008〕71号")[-1] == "宜府办发〔2008〕71号"


def test_query_terms_are_distinct_and_in_order():
    assert query_terms("办公室办公") == ["办公", "公室", "室办"]


def test_a_title_outweighs_a_body_however_often_the_body_repeats_it():
    in_title = field_terms([], "关于加强督查督办工作的通知", None, "")
    in_body = field_terms([], "会议纪要", None, "督查督办。" * 50)
    assert in_title["督查"] > in_body["督查"]


def test_field_weights_run_number_title_issuer_body():
    number = field_terms(["宜府办发〔2026〕71号"], None, None, None)["办发"]
    title = field_terms([], "办发", None, None)["办发"]
    issuer = field_terms([], None, "办发", None)["办发"]
    body = field_terms([], None, None, "办发")["办发"]
    assert number > title > issuer > body


def test_rare_terms_weigh_more_than_common_ones():
    assert idf(1, 1000) > idf(500, 1000)


def test_every_term_must_match_before_any_term_may():
    postings = {"督查": {"a": 5.0, "b": 1.0, "c": 1.0}, "督办": {"b": 1.0, "c": 5.0}}
    ranking = rank(["督查", "督办"], postings, {"督查": 3, "督办": 2}, 10)
    assert ranking.matched_all_terms
    assert [doc for doc, _ in ranking.ranked] == ["c", "b"]


def test_when_no_document_holds_every_term_any_term_ranks():
    postings = {"督查": {"a": 5.0}, "招标": {"b": 1.0}, "缺席": {}}
    ranking = rank(["督查", "招标", "缺席"], postings, {"督查": 1, "招标": 1}, 10)
    assert not ranking.matched_all_terms
    assert [doc for doc, _ in ranking.ranked] == ["a", "b"]


def test_equal_scores_go_to_the_newer_year():
    postings = {"通知": {"old": 1.0, "new": 1.0}}
    ranking = rank(["通知"], postings, {"通知": 2}, 2, tie_break={"old": 2008, "new": 2026})
    assert [doc for doc, _ in ranking.ranked] == ["new", "old"]


def test_a_snippet_shows_the_body_around_the_first_match():
    body = ("各处室：" + "一般性表述。" * 20 + "要进一步改进信息工作，更好地为本级政府服务。"
            + "结尾。" * 20)
    text = snippet(body, query_terms("信息工作"), width=30)
    assert text is not None and "信息工作" in text
    assert text.startswith("…") and text.endswith("…")
    assert snippet("", ["信息"]) is None
