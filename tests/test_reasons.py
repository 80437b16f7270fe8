"""Reasons (reasons.py): the model's contributions grouped into families a reader can weigh.

Faithfulness and shape only: the lead retrains the model, so no exact weight of any text is asserted.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

import truthmeter
from conftest import CLI, SEEDS, cli_env
from truthmeter import Article, RatedArticle, Signal
from truthmeter.features import make_doc
from truthmeter.reasons import (Reason, ReasonKind, reason_for_signal, shown_signal, signal_label,
                                story_reason_text)
from truthmeter.wordlists import MONTHS, NUMBER_WORDS, STOP_WORDS, WEEKDAYS, first_names

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SHARED_SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
JENNIFER = "Jennifer Aniston secretly engaged, insider says"
_TOKEN = re.compile(r"[^\W_]+")

pytestmark = pytest.mark.usefixtures("clean_env")


def _articles() -> list[Article]:
    """The bundled examples, the test seeds, the shared seeds when present, and invented texts."""
    paths = [EXAMPLES, SEEDS, *([SHARED_SEEDS] if SHARED_SEEDS.is_dir() else [])]
    found = [a for a in truthmeter.read(paths) if isinstance(a, Article)]
    invented = [
        Article(id="j", title=JENNIFER, body=""),
        Article(id="k", title="Taylor Swift slams rumours",
                body="Taylor Swift gave a swift reply on Monday. \"It is not true,\" Swift said in a statement, "
                     "and a representative for the singer confirmed the tour. Sources say she is furious!"),
        Article(id="o", title="Star confirms split", body="The star confirmed the split in an interview.",
                url=f"https://{_known_outlet()}/news/1"),
    ]
    return [*found, *invented]


def _known_outlet() -> str:
    outlets = truthmeter.load_model().outlets
    assert outlets is not None
    keys = [str(k) for k in outlets.state()["keys"]]
    return next(k for k in keys if "." in k and outlets.lookup(k))


@pytest.fixture(scope="module")
def rated() -> list[RatedArticle]:
    return truthmeter.rate(_articles(), truthmeter.load_model())


def _by_title(rated: list[RatedArticle], start: str) -> RatedArticle:
    return next(r for r in rated if r.article.title.startswith(start))


def test_reasons_add_up_to_the_model_score(rated: list[RatedArticle]) -> None:
    model = truthmeter.load_model()
    scores = model.scores(model.features([make_doc(r.article) for r in rated]))
    assert len(rated) >= 10
    for item, score in zip(rated, scores):
        reasons = item.rating.reasons
        assert reasons, item.article.title
        in_score = sum(x.weight for x in reasons if x.kind.in_score)
        assert in_score + model.intercept == pytest.approx(float(score), abs=1e-9), item.article.title
        # Only the outlet shift and a published fact-check stand beside the score, as in the signals.
        outlet = [s.weight for s in item.rating.signals if s.name.startswith("outlet.v1:")]
        assert [x.weight for x in reasons if x.kind is ReasonKind.OUTLET] == pytest.approx(outlet or [])


def test_reasons_are_ordered_and_shaped(rated: list[RatedArticle]) -> None:
    for item in rated:
        reasons = [x for x in item.rating.reasons if x.kind is not ReasonKind.FACT_CHECK]
        # The verdict gate's reason (weight 0: it moves the shown rating, not the score) comes first.
        gate, scored = reasons[:1], reasons[1:]
        if gate and gate[0].weight != 0.0:
            gate, scored = [], reasons
        assert all(x.weight == 0.0 for x in gate)
        assert [abs(x.weight) for x in scored] == sorted((abs(x.weight) for x in scored), reverse=True)
        for x in item.rating.reasons:
            assert isinstance(x, Reason) and x.label and len(x.examples) <= 4
            assert x.weight != 0.0 or x in gate
            assert (x.subject is not None) == (x.kind is ReasonKind.SUBJECT_PRIOR)
        d = item.to_dict()["reasons"]
        assert d and all(set(r) == {"kind", "label", "weight", "examples", "subject"} for r in d)  # type: ignore


def _telling(example: str) -> bool:
    tokens = _TOKEN.findall(example.lower())
    return bool(tokens) and not all(t in STOP_WORDS for t in tokens) and not any(
        t in WEEKDAYS or t in MONTHS or t in NUMBER_WORDS or any(c.isdigit() for c in t) for t in tokens)


def test_no_registry_names_function_words_or_weekdays(rated: list[RatedArticle]) -> None:
    for item in rated:
        for x in item.rating.reasons:
            assert ".v1" not in x.label and "lexical" not in x.label and "_" not in x.label, x
            assert not any("lexical.v1" in e for e in x.examples), x
            if x.kind in (ReasonKind.WORDING, ReasonKind.SUBJECT_PRIOR):
                assert all(_telling(e) for e in x.examples), x
        for s in item.rating.signals:
            label = signal_label(s, item.rating.reasons)
            assert "lexical" not in label and ".v1" not in label and "fact_check" not in label, (s, label)


def test_wording_is_labelled_by_its_sign(rated: list[RatedArticle]) -> None:
    for item in rated:
        for x in item.rating.reasons:
            if x.kind is ReasonKind.WORDING:
                assert x.label == f"wording typical of {'true' if x.weight > 0 else 'false'} stories"


def test_a_name_is_a_prior_about_the_subject_never_wording(rated: list[RatedArticle]) -> None:
    item = _by_title(rated, JENNIFER)
    (subject,) = [x for x in item.rating.reasons if x.kind is ReasonKind.SUBJECT_PRIOR]
    assert subject.subject == "Jennifer Aniston"
    verdict = "true" if subject.weight > 0 else "false"
    assert subject.label == f"topic: stories about Jennifer Aniston in our data were often {verdict}"
    assert {"Jennifer", "Aniston"} <= set(subject.examples)
    wording = [e for x in item.rating.reasons if x.kind is ReasonKind.WORDING for e in x.examples]
    assert not any("Jennifer" in e or "Aniston" in e for e in wording)
    # The name's own signals read as the topic prior wherever a page shows them.
    for s in item.rating.signals:
        if s.text in ("Jennifer", "Aniston"):
            assert reason_for_signal(s, item.rating.reasons) is subject


def test_a_word_also_used_in_lower_case_is_not_a_name(rated: list[RatedArticle]) -> None:
    item = _by_title(rated, "Taylor Swift")
    subjects = [x for x in item.rating.reasons if x.kind is ReasonKind.SUBJECT_PRIOR]
    assert [x.subject for x in subjects] == ["Taylor Swift"]
    assert not any(e.lower() == "swift" for x in subjects for e in x.examples)  # "a swift reply"


def test_the_seed_names_its_people_and_hides_weekdays(rated: list[RatedArticle]) -> None:
    item = _by_title(rated, "Khloé Defends")
    subjects = {x.subject for x in item.rating.reasons if x.kind is ReasonKind.SUBJECT_PRIOR}
    assert "Khloé Kardashian" in subjects
    words = {e.lower() for x in item.rating.reasons for e in x.examples}
    assert "wednesday" not in words and "kardashian" not in {
        e.lower() for x in item.rating.reasons if x.kind is ReasonKind.WORDING for e in x.examples}


def test_cue_reasons_quote_their_sentences(tiny_result) -> None:
    # The shipped model has no cue families (they lowered dev AUC); a model trained with them gives
    # cue reasons, each with the sentences behind it.
    (item,) = truthmeter.rate([a for a in _articles() if a.id == "k"], tiny_result.model)
    (on_record,) = [x for x in item.rating.reasons if x.kind is ReasonKind.ON_RECORD and x.weight != 0.0]
    assert on_record.label == "on-the-record quote" and on_record.examples
    assert all(e.strip("…") in item.article.text for e in on_record.examples)


@pytest.mark.parametrize("rating, kind, label", [
    (9, ReasonKind.ON_RECORD, "on-the-record quote: lets the text say True"),
    (1, ReasonKind.ANONYMOUS_SOURCING, "anonymous sourcing: lets the text say False"),
])
def test_the_evidence_that_earns_a_firm_verdict_is_a_reason(rating: int, kind: ReasonKind, label: str) -> None:
    from truthmeter.reasons import gate_reasons

    article = Article(id="g", title="Star splits from husband",
                      body="A source close to the couple says it is over. \"We have parted as friends,\" the star "
                           "said in a statement on Monday, and her representative for press matters agreed.")
    (reason,) = gate_reasons((), make_doc(article), rating)
    assert (reason.kind, reason.label, reason.weight) == (kind, label, 0.0)
    assert reason.examples and reason.examples[0].strip("…") in article.text
    assert gate_reasons((), make_doc(article), 5) == ()  # a middling rating needs no evidence


def test_unrated_and_capped_are_reasons_first(rated: list[RatedArticle]) -> None:
    item = _by_title(rated, JENNIFER)
    assert item.rating.verdict.value == "Unrated"
    first = item.rating.reasons[0]
    assert (first.kind, first.label, first.weight) == (ReasonKind.UNRATED, "not enough to judge", 0.0)
    assert first.examples[0].startswith("too little text to judge: ")


def test_outlet_and_fact_check_reasons(rated: list[RatedArticle]) -> None:
    outlet = _by_title(rated, "Star confirms split")
    (track,) = [x for x in outlet.rating.reasons if x.kind is ReasonKind.OUTLET]
    assert track.label == "outlet track record" and track.examples == (_known_outlet(),)
    checked = [r for r in rated if r.rating.fact_check_rating is not None]
    assert checked, "the test seeds include a fact-check"
    for item in checked:
        first = item.rating.reasons[0]
        assert first.kind is ReasonKind.FACT_CHECK and first.weight == item.rating.fact_check_rating - 5


def test_signals_are_unchanged_and_reasons_only_when_asked() -> None:
    model = truthmeter.load_model()
    articles = _articles()
    with_reasons = truthmeter.rate(articles, model)
    without = truthmeter.rate(articles, model, reasons=False)
    assert [r.rating.signals for r in with_reasons] == [r.rating.signals for r in without]
    assert all(r.rating.reasons == () for r in without)
    bare = truthmeter.rate(articles, model, signals=0)
    # Only the rating's own notes remain (a published fact-check, an unrated or capped rating).
    assert all(r.rating.reasons == () and not any(":" in s.name for s in r.rating.signals) for r in bare)
    assert [r.rating.p_true for r in bare] == [r.rating.p_true for r in with_reasons]


def test_story_signals_in_reader_words() -> None:
    article = Signal("article", -1.2, text="Star splits (Gossip Mag): rated 3/10 (p_true 0.12), supports, weight 0.50 "
                                           "(reports the same story; anonymous sources only; outlet weight 0.80)")
    text = story_reason_text(article)
    assert text.startswith("“Star splits” (Gossip Mag) reports the same story: the model rates it 3/10")
    assert "p_true" not in text and "outlet track record ×0.80" in text
    assert story_reason_text(Signal("fact_check", 5.0, text="Truth rating: 10 (Gossip Cop)")) == \
        "A fact-check by Gossip Cop rated it 10/10"
    assert story_reason_text(Signal("articles", 0.0, text="the other articles alone would rate it 3/10")) == \
        "The other articles alone would rate it 3/10"
    lexical = Signal("lexical.v1:wednesday", 0.3, text="Wednesday", start=0, end=9)
    assert story_reason_text(lexical) == "wording typical of true stories: “Wednesday”"
    assert not shown_signal(lexical) and shown_signal(Signal("lexical.v1:insider", -0.5, text="insider"))
    assert signal_label(Signal("sourcing.v1:anonymous source", -0.4, text="a source")) == "anonymous sourcing"


def test_gazetteer_is_packaged_and_clean() -> None:
    names = first_names()
    assert {"jennifer", "khloe", "lamar"} <= names
    assert not names & (STOP_WORDS | WEEKDAYS | MONTHS)


def test_rate_jsonl_prints_reasons() -> None:
    out = subprocess.run([*CLI, "rate", "--format", "jsonl", "-"], input=JENNIFER + "\n", capture_output=True,
                         text=True, encoding="utf-8", env=cli_env(), timeout=120)
    assert out.returncode == 0, out.stderr
    row = json.loads(out.stdout)
    kinds = [r["kind"] for r in row["reasons"]]
    assert "subject_prior" in kinds and "wording" in kinds
    assert row["signals"] and all(s["name"] for s in row["signals"])


def test_a_title_case_headline_does_not_stretch_a_name() -> None:
    from truthmeter.reasons import _people

    article = Article(id="b", title="Jennifer Aniston Secretly Engaged To Brad Pitt, Insider Says",
                      body="Jennifer Aniston and Brad Pitt are secretly engaged, an insider close to the couple "
                           "claims. Khloé Defends nothing here; Khloé Kardashian said so and Kardashian agreed.")
    people = _people(make_doc(article))
    assert people["jennifer"] == people["aniston"] == "Jennifer Aniston"
    assert people["brad"] == people["pitt"] == "Brad Pitt"
    assert people["khloe"] == "Khloé Kardashian" and "secretly" not in people and "defends" not in people
