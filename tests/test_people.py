"""Person names by rules: full names, canonical keys, single mentions resolved, non-names left out."""

from __future__ import annotations

from pathlib import Path

import pytest

import truthmeter
from truthmeter.stories import find_people, names_key

SEEDS = Path(__file__).parent / "data" / "seeds"
EXAMPLES = Path(__file__).parents[1] / "examples"


def _people(path: Path) -> dict[str, list[str]]:
    return {a.id: find_people(a.text) for a in truthmeter.read(path) if isinstance(a, truthmeter.Article)}


def test_seeds_name_the_same_two_people_despite_accents_and_possessives() -> None:
    found = list(_people(SEEDS).values())
    assert found == [["khloe kardashian", "lamar odom"], ["khloe kardashian", "lamar odom"]]


def test_examples_find_the_invented_people() -> None:
    found = {tuple(p) for p in _people(EXAMPLES).values()}
    assert ("marisol vance", "dex harrow") in found
    assert ("marisol vance", "ellis grant") in found
    assert ("dex harrow",) in found  # "his wife Nadia" alone is no full name
    assert ("priya lindqvist", "dana whitfield") in found  # not the show "Lindqvist Living"
    assert ("priya lindqvist", "carla menendez") in found
    assert ("nadia harrow",) in found


def test_names_key_folds_accents_case_possessives_and_spacing() -> None:
    assert names_key("Khloé  Kardashian's") == "khloe kardashian"
    assert names_key("KHLOE KARDASHIAN") == "khloe kardashian"
    assert names_key("Beyoncé Knowles’") == "beyonce knowles"


@pytest.mark.parametrize("text, expected", [
    # single mentions resolve to the full name, by last or first name
    ("Lamar Odom was taken to hospital. Odom's family flew in, and Lamar is awake.", ["lamar odom"]),
    ("Khloé said she would stay. Khloe Kardashian later confirmed it.", ["khloe kardashian"]),
    # a near-variant spelling is the same person; a longer form maps to the shorter one
    ("Zayn Malik danced. Zayn Mailk later posted the video.", ["zayn malik"]),
    ("Kim Kardashian West posed. Kim Kardashian shared the photo.", ["kim kardashian"]),
    # particles, apostrophes, titles before names
    ("Portia de Rossi and Shaquille O'Neal met Director Lena Moravec.",
     ["portia de rossi", "shaquille o'neal", "lena moravec"]),
    # sentence-initial words, outlets, calendar words, show titles and shouting are not people
    ("Though Kardashian appears on the cover of People, Us Weekly and Gossip Cop disagree. "
     "On Monday, October 28, the Keeping Up With The Kardashians star spoke. SHOCKING NEWS.", []),
    ("The couple watched Big Little Lies in Los Angeles before the Golden Globes.", []),
    # a headline alone (no body) still names its people
    ("Did Miley Cyrus and Liam Hemsworth secretly get married?", ["miley cyrus", "liam hemsworth"]),
    ("", []),
])
def test_find_people_rules(text: str, expected: list[str]) -> None:
    assert find_people(text) == expected


def test_title_case_headline_words_are_not_names() -> None:
    text = ("Khloe Kardashian First Interview About Lamar Odom In PEOPLE\n\n"
            "Khloe Kardashian gives her first interview about Lamar Odom in the new issue.")
    assert find_people(text) == ["khloe kardashian", "lamar odom"]


def test_order_is_first_appearance() -> None:
    text = "Dex Harrow arrived first. Later, Marisol Vance joined Dex Harrow on stage."
    assert find_people(text) == ["dex harrow", "marisol vance"]


# ---- the name model (issue 12): gazetteer-anchored names, headlines, context, non-people ----

PHRASES = {"custody drama", "agreement revealed", "relationship bombshell", "secret marriage exposed", "holy spirit"}


@pytest.mark.parametrize("text, expected", [
    # Title Case headlines: a known first name plus one surname; the headline's words are not names
    ("Brad Pitt Secretly Engaged To Jennifer Aniston, Insider Says", ["brad pitt", "jennifer aniston"]),
    ("Angelina Jolie Custody Drama: Agreement Revealed", ["angelina jolie"]),
    ("Kanye West Relationship Bombshell", ["kanye west"]),
    ("Tom Cruise Secret Marriage Exposed", ["tom cruise"]),
    ("Holy Spirit Guides Justin Bieber Through Tough Year", ["justin bieber"]),
    ("Custody Drama Heats Up As Relationship Bombshell Drops", []),
    ("Sarah Jessica Parker Slams Kim Cattrall", ["sarah jessica parker", "kim cattrall"]),
    ("Elton John Cancels Farewell Tour", ["elton john"]),
    ("Portia De Rossi Opens Up About Her Marriage", ["portia de rossi"]),
    ("Rihanna Rubbishes Pregnancy Rumours", ["rihanna"]),
    ("Priya Lindqvist's Feud With Co-Star Explodes Behind The Scenes", ["priya lindqvist"]),
    # a first name that is also a word starts a headline name only when the text names them in full
    ("Will Smith Slaps Chris Rock", ["chris rock"]),
    ("Will Smith Slaps Chris Rock\n\nThe actor Will Smith walked on stage.", ["will smith", "chris rock"]),
    # ALL CAPS headlines
    ("KATIE HOLMES SECRET MARRIAGE EXPOSED", ["katie holmes"]),
    ("BRAD PITT AND JENNIFER ANISTON SECRETLY ENGAGED, INSIDER SAYS", ["brad pitt", "jennifer aniston"]),
    ("SHOCKING: DEX HARROW'S SECRET BABY REVEALED", ["dex harrow"]),
    ("HOLY SPIRIT TOLD ME TO DO IT, SAYS PASTOR", []),
    ("KHLOE DEFENDS HER INTERVIEW\n\nKhloe Kardashian spoke to the magazine.", ["khloe kardashian"]),
    # body text: invented people, context cues, surnames of the text's people, echoes
    ("Marisol Vance and Dex Harrow were seen in Lisbon.", ["marisol vance", "dex harrow"]),
    ("The red carpet welcomed actress Oona Castellane on Friday.", ["oona castellane"]),
    ("Tovah Brisk, 34, was spotted in Malibu.", ["tovah brisk"]),
    ("Dex Harrow arrived first, and later Ottilie Harrow spoke.", ["dex harrow", "ottilie harrow"]),
    ("Lyra Dunmore and Silas Okoro reached a custody deal. Dunmore and Okoro split last year.",
     ["lyra dunmore", "silas okoro"]),
    ("Paris Hilton flew to Paris with Will Smith.", ["paris hilton", "will smith"]),
    ("She wore a Rose Gold Bracelet to the party.", []),
    ("Sir Elton John thanked Mr. Pitt, and Brad Pitt smiled.", ["elton john", "brad pitt"]),
    ("Prince Harry and Meghan Markle visited. Harry laughed.", ["prince harry", "meghan markle"]),
    ("First Lady Melania Trump wore white. Queen Elizabeth II met the couple.",
     ["melania trump", "queen elizabeth"]),
    ("Michael J. Fox met the family of Martin Luther King Jr. in Atlanta.", ["michael j fox", "martin luther king"]),
    ("Jada Pinkett Smith arrived. Pinkett Smith said little.", ["jada pinkett smith"]),
    ("Beyoncé performed, and Adele cried.", ["beyonce", "adele"]),
    ("An usher showed Usher to his seat.", []),  # a one-name celebrity the text writes in lower case
    # possessives
    ("Harrow's publicist denied it. Dex Harrow is not engaged.", ["dex harrow"]),
    ("Khloé Kardashian's divorce is final. Kardashian's lawyer confirmed it.", ["khloe kardashian"]),
    # outlets, places, calendar words, titles, bylines and credits are not people
    ("Brad Pitt told People, Us Weekly and E! News, as Radar Online and TMZ reported; Page Six and "
     "Gossip Cop disagreed.", ["brad pitt"]),
    ("The story ran in Variety, The Hollywood Reporter, the Daily Mail, In Touch, OK!, Life & Style and Star.", []),
    ("Marie Claire and Harper's Bazaar interviewed Louis Vuitton designers.", []),
    ("Lena Moravec told Screen Ledger about the film.", ["lena moravec"]),
    ("They flew from Los Angeles to New York, then London, Hollywood and Beverly Hills.", []),
    ("On Monday, March 3, and in June, Friday's show aired.", []),
    ('She stars in "Emily In Paris" and "Lindqvist Living" this season.', []),
    ("By Jordan Pell\n\nBrad Pitt spoke at the premiere.", ["brad pitt"]),
    ("Photo: Kevin Mazur\n\nBrad Pitt spoke at the premiere.", ["brad pitt"]),
    ("Secret Marriage Exposed as Custody Drama grows, and the Holy Spirit is invoked.", []),
])
def test_name_model(text: str, expected: list[str]) -> None:
    assert find_people(text) == expected


@pytest.mark.parametrize("headline", [
    "Custody Drama: Agreement Revealed", "Relationship Bombshell!", "Secret Marriage Exposed",
    "Holy Spirit Guides Star Through Custody Drama", "CUSTODY DRAMA: AGREEMENT REVEALED",
    "SECRET MARRIAGE EXPOSED, RELATIONSHIP BOMBSHELL",
])
def test_headline_phrases_are_not_people(headline: str) -> None:
    body = "The custody drama continues, an insider says, and the relationship bombshell shook fans."
    assert find_people(headline) == [] and find_people(f"{headline}\n\n{body}") == []


BRAD_TEXT = """Brad Pitt Secretly Engaged To Jennifer Aniston, Insider Says

Brad Pitt and Jennifer Aniston are secretly engaged, according to a source close to the former couple. "They have never been happier, and they want to do it right this time," the insider said, adding that the pair exchanged rings at a private dinner in Malibu last month and plan a small ceremony with friends.
"""
REAL_NAMES = {"marisol vance", "dex harrow", "ellis grant", "priya lindqvist", "dana whitfield", "carla menendez",
              "lena moravec", "nadia harrow", "brad pitt", "jennifer aniston"}


def test_stories_name_only_people(tmp_path: Path) -> None:
    from truthmeter.store import open_store

    brad = tmp_path / "brad.txt"
    brad.write_text(BRAD_TEXT, encoding="utf-8")
    with open_store(":memory:") as store:
        truthmeter.ingest([EXAMPLES, brad], store)
        stories = store.list_stories(limit=100)
    people = [set(s.people) for s in stories]
    assert all(p <= REAL_NAMES for p in people), people
    assert set().union(*people) == REAL_NAMES
    assert not any(PHRASES & p for p in people)
    (pitt,) = [s for s in stories if "brad pitt" in s.people]
    assert set(pitt.people) == {"brad pitt", "jennifer aniston"}
