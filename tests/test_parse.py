"""Parser: the seed articles (the acceptance case), the plain-text rules, quotes, HTML and records."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from truthmeter.errors import ParseError
from truthmeter.ingest import read_items
from truthmeter.parse import content_hash, extract_quotes, normalize_date, parse, parse_text
from truthmeter.types import Article, Origin, RawDocument

DATA = Path(__file__).parent / "data"
SEEDS = DATA / "seeds"
SHARED = next((p for p in (Path("/work/shared/data"), Path(__file__).parents[2] / "shared" / "data")
               if p.is_dir()), None)
needs_shared = pytest.mark.skipif(SHARED is None, reason="shared datasets not found at /work/shared/data "
                                                          "or ../shared/data")


def article(path: Path) -> Article:
    (doc,) = read_items([str(path)])
    assert isinstance(doc, RawDocument), doc
    return parse(doc)


def text_article(text: str) -> Article:
    return parse(RawDocument(Origin("test.txt"), "text", text))


@pytest.fixture(scope="module")
def seed0() -> Article:
    return article(SEEDS / "000_04e86c36df86185d.txt")


@pytest.fixture(scope="module")
def seed2() -> Article:
    return article(SEEDS / "002_e2eb09c47003f324.txt")


# ---- the seeds ----

def test_seed_000(seed0: Article) -> None:
    assert seed0.title == ("Khloe Kardashian First Interview About Lamar Odom In PEOPLE: "
                           "We’re Not “In A Relationship Right Now”")
    assert seed0.author == "Shari Weiss"
    assert seed0.fact_check_rating == 10 and seed0.is_fact_check
    assert seed0.outlet == "Gossip Cop"
    assert seed0.body.startswith("Khloe Kardashian gives her first interview")
    for leftover in ("Truth rating", "By Shari Weiss", "Khloe Kardashian First Interview Lamar Odom",
                     "Mediaite", "LawNewz", "The Mary Sue"):
        assert leftover not in seed0.body
    assert seed0.body.endswith("Gossip Cop will continue to have updates.")
    assert seed0.body.count("\n\n") == 7  # eight paragraphs
    assert seed0.id == content_hash(seed0.title, seed0.body)[:16]


def test_seed_002(seed2: Article) -> None:
    assert seed2.title == "Khloé Defends Her Interview About Lamar Odom"
    assert seed2.author == "Michelle McGahan"
    assert seed2.fact_check_rating is None and not seed2.is_fact_check
    assert seed2.body.startswith("Khloé Kardashian wants to make one thing perfectly clear")
    assert "Image: Getty" not in seed2.body and "Michelle McGahan" not in seed2.body
    assert seed2.body.endswith("they might just make you a better person.")


def test_seed_quotes(seed0: Article) -> None:
    quotes = seed0.quotes
    assert len(quotes) == 8
    for quote in quotes:
        assert seed0.body[quote.start:quote.end] == quote.text
    first = quotes[0]
    assert first.text.startswith("There are too many other important things")
    assert not first.text.endswith(",")
    # '“...,” she says': "she" is the last clause subject named before it, Kardashian.
    assert first.speaker == "Khloe Kardashian"
    # A quote running on after its attribution keeps the speaker; "Kardashian goes on to explain,"
    # and "she tells People," attribute forwards.
    assert [q.speaker for q in quotes[1:4]] == ["Khloe Kardashian"] * 3
    he_has = next(q for q in quotes if q.text.startswith("He has to walk that road"))
    assert he_has.speaker == "Khloe Kardashian"  # "She goes on," despite "Odom" in between


def test_content_hash() -> None:
    digest = content_hash("Title", "Body")
    assert len(digest) == 64 and digest == content_hash("Title", "Body")
    assert digest != content_hash("Title", "Body.")
    assert digest == hashlib.sha256("Title\nBody".encode()).hexdigest()


# ---- plain-text rules ----

@pytest.mark.parametrize(("line", "rating"), [
    ("Truth rating: 10", 10), ("Rating: 3/10", 3), ("Gossip Cop rating: 4", 4),
    ("Truth Rating: 7 out of 10", 7), ("Rating: 4/5", 8), ("Rating: 70/100", 7), ("Rating: 2.5/5", 5),
])
def test_rating_lines(line: str, rating: int) -> None:
    found = parse_text(f"Star Splits\n\n{line}\n\nThe star split from her husband.\n")
    assert found["fact_check_rating"] == rating
    assert "ating" not in str(found["body"])


def test_rating_deep_in_the_body_is_not_a_fact_check() -> None:
    found = parse_text("Film Review\n\nThe film is long and slow, with a weak script.\n\nRating: 3/10\n")
    assert found["fact_check_rating"] is None


@pytest.mark.parametrize(("line", "author"), [
    ("By Shari Weiss |", "Shari Weiss"), ("by Michelle McGahan", "Michelle McGahan"),
    ("By Ann Bell and Joe Day", "Ann Bell and Joe Day"), ("By Jane Roe | October 28, 2015", "Jane Roe"),
    ("Author: Pat Lee", "Pat Lee"),
])
def test_bylines(line: str, author: str) -> None:
    found = parse_text(f"Star Splits\n\n{line}\n\nThe star split from her husband last week.\n")
    assert found["author"] == author
    assert found["body"] == "The star split from her husband last week."


def test_sentence_starting_with_by_is_body() -> None:
    text = "Star Splits\n\nThe star split.\n\nBy Friday, Everyone Knew about it and talked.\n"
    found = parse_text(text)
    assert found["author"] is None
    assert found["body"] == "The star split.\n\nBy Friday, Everyone Knew about it and talked."


def test_headers_credits_and_footer() -> None:
    text = ("# Singer Cancels Tour Dates\n"
            "Published: October 28, 2015\n"
            "URL: https://example.com/tour\n"
            "Source: Tour Gazette\n\n"
            "Singer Cancels Tour\n\n"
            "The singer cancelled four dates.\n"
            "Fans were told on Monday.\n\n"
            "(Photo: Getty Images)\n\n"
            "She will return next year.\n\n"
            "Photo credit: Jane Roe\n\n"
            "  1. Site One\n  2. Site Two\n  3. Site Three\n")
    found = parse_text(text)
    assert found["title"] == "Singer Cancels Tour Dates"
    assert found["date"] == "2015-10-28"
    assert found["url"] == "https://example.com/tour"
    assert found["outlet"] == "Tour Gazette"  # an explicit Source: beats the footer's first item
    assert found["body"] == ("The singer cancelled four dates. Fans were told on Monday.\n\n"
                             "She will return next year.")


def test_footer_first_item_is_the_outlet() -> None:
    found = parse_text("Headline Here\n\nThe story.\n\nMore from our network:\n1. Alpha News\n2. Beta\n")
    assert found["outlet"] == "Alpha News"
    assert found["body"] == "The story."


def test_numbered_list_in_the_middle_stays() -> None:
    text = "Top Picks\n\nOur picks:\n\n1. Jaws\n2. Alien\n\nBoth are classics of the genre.\n"
    found = parse_text(text)
    assert found["outlet"] is None and "1. Jaws" in str(found["body"])


def test_text_without_a_headline_line() -> None:
    body = " ".join(["The couple were seen together at dinner on Friday night."] * 5)
    found = parse_text(body)
    assert found["body"] == body
    assert found["title"] == "The couple were seen together at dinner on Friday night."


@pytest.mark.parametrize(("text", "iso"), [
    ("2016-03-31 15:00:00", "2016-03-31"), ("Oct. 28, 2015", "2015-10-28"),
    ("Wednesday, 28 October 2015", "2015-10-28"), ("10/28/2015", "2015-10-28"),
    ("Wed, 28 Oct 2015 10:00:00 +0000", "2015-10-28"), ("next Friday", None), ("2015-13-45", None),
])
def test_normalize_date(text: str, iso: str | None) -> None:
    assert normalize_date(text) == iso


def test_no_text_at_all_is_an_error() -> None:
    with pytest.raises(ParseError) as caught:
        parse(RawDocument(Origin("x.txt", 3), "text", " \n "))
    assert (caught.value.path, caught.value.line, caught.value.why) == ("x.txt", 3, "no article text found")


# ---- quotes ----

def test_quote_speakers() -> None:
    body = ("Jane Smith arrived late. “We are very happy together,” says Jane Smith. "
            "“It was a lovely day for everyone,” a source tells Us Weekly. "
            "Tom Hale spoke next. He said: “I have nothing more to add here.” "
            "The deal is off, according to the studio. \"We will not be renewing it,\" "
            "said an insider. “Short quote” is ignored.")
    quotes = extract_quotes(body)
    assert [(q.text, q.speaker) for q in quotes] == [
        ("We are very happy together", "Jane Smith"),
        ("It was a lovely day for everyone", "a source"),
        ("I have nothing more to add here.", "Tom Hale"),
        ("We will not be renewing it", "an insider"),
    ]
    for quote in quotes:
        assert body[quote.start:quote.end] == quote.text


def test_surname_speaker_expands_to_full_name() -> None:
    body = "Lea Salonga sang. “I never thought I would be a princess,” Salonga told the magazine."
    (quote,) = extract_quotes(body)
    assert quote.speaker == "Lea Salonga"


def test_unattributed_quote_has_no_speaker() -> None:
    (quote,) = extract_quotes("The sign read “keep out of the yard” in red paint.")
    assert quote.speaker is None


# ---- HTML and feeds ----

def test_html_with_claim_review() -> None:
    page = article(DATA / "claimreview.html")
    assert page.title == "Did the Star Secretly Marry?"
    assert page.author == "Dana Cole" and page.outlet == "Rumor Check"
    assert page.date == "2018-06-04" and page.url == "https://rumorcheck.example/star-married"
    assert page.fact_check_rating == 3  # 2 on a 1-5 scale
    assert page.body.startswith("A tabloid claimed this week")
    assert "Copyright" not in page.body and "Home" not in page.body
    (quote,) = page.quotes
    assert quote.speaker == "the representative"


@pytest.mark.parametrize(("rating", "expected"), [
    ('{"ratingValue": 10, "bestRating": 10, "worstRating": 0}', 10),
    ('{"ratingValue": "1", "bestRating": "5", "worstRating": "1"}', 0),
    ('{"ratingValue": 4}', 8),
    ('{"alternateName": "Mostly false"}', 2),
])
def test_claim_review_scales(rating: str, expected: int) -> None:
    html = ('<html><head><script type="application/ld+json">[{"@type": "Organization"}, '
            f'{{"@type": ["ClaimReview"], "reviewRating": {rating}}}]</script></head>'
            "<body><p>Some article text about the claim under review.</p></body></html>")
    assert parse(RawDocument(Origin("p.html"), "html", html)).fact_check_rating == expected


def test_broken_html_falls_back_to_body_text() -> None:
    html = "<html><head><title>Broken Page</title><body><div>Only some <b>broken</i> text here"
    page = parse(RawDocument(Origin("b.html"), "html", html))
    assert page.title == "Broken Page"
    assert page.body == "Only some broken text here"


def test_html_without_text_is_an_error() -> None:
    with pytest.raises(ParseError) as caught:
        html = "<html><head><script>x=1</script></head><body> </body></html>"
        parse(RawDocument(Origin("e.html"), "html", html))
    assert caught.value.why == "no article text found in HTML"


def test_feed_entries_parse() -> None:
    first, second = (parse(d) for d in read_items([str(DATA / "feed.rss")]))
    assert first.title == "Singer Announces World Tour" and first.outlet == "Celebrity Wire"
    assert first.body.startswith("The singer announced a forty-date world tour")
    assert first.author == "Pat Lee" and first.date == "2015-10-28"
    assert second.body == "The actor said there is no feud with his former co-star."


# ---- records ----

def record(text: str, **fields: str) -> Article:
    return parse(RawDocument(Origin("d.jsonl", 1), "record", text, fields))


def test_arg_style_record() -> None:
    item = record("Born and raised in the Philippines , Lea Salonga grew up . She sang .",
                  id="0", date="2016-03-31 15:00:00", label="0")
    assert (item.id, item.date, item.label) == ("0", "2016-03-31", 0)
    assert item.body == "Born and raised in the Philippines , Lea Salonga grew up . She sang ."
    assert item.title.startswith("Born and raised")


@pytest.mark.parametrize(("label", "value"), [
    ("1", 1), ("0", 0), ("fake", 1), ("Real", 0), ("true", 0), ("FALSE", 1), ("2", None),
])
def test_labels(label: str, value: int | None) -> None:
    assert record("Some text.", label=label).label == value


def test_title_only_record() -> None:
    item = record("Did the couple marry?", id="gossipcop-1", title="Did the couple marry?", url="x.com/a")
    assert (item.title, item.body) == ("Did the couple marry?", "")
    assert (item.id, item.url) == ("gossipcop-1", "x.com/a")


def test_record_without_id_gets_content_hash() -> None:
    item = record("Body text.", title="A Title")
    assert item.id == content_hash("A Title", "Body text.")[:16]


@needs_shared
def test_shared_datasets_parse() -> None:
    arg = parse(next(read_items([str(SHARED / "arg_gossipcop" / "val.jsonl")])))
    assert arg.id == "3884" and arg.date == "2018-06-04" and arg.label == 0
    llm = parse(next(read_items([str(SHARED / "llmfake_gossipcop" / "gossipcop_paraphrase_gpt35.csv")],
                                text_field="synthetic_misinformation")))
    assert llm.id.startswith("gossipcop-") and llm.label in (0, 1) and llm.body
    upfd = parse(next(read_items([str(SHARED / "upfd_gossipcop" / "gossipcop_real.csv")])))
    assert upfd.body == "" and upfd.title and upfd.url


def test_parse_errors_survive_pickling() -> None:
    # Engines send errors between processes with the items they belong to.
    import pickle

    from truthmeter.errors import FetchError

    for error in (ParseError("a.jsonl", 3, "not JSON"), ParseError("b.txt", None, "empty file"),
                  FetchError("http://x.example/", "timed out")):
        back = pickle.loads(pickle.dumps(error))
        assert type(back) is type(error)
        assert (back.path, back.line, back.why, str(back)) == (error.path, error.line, error.why, str(error))
