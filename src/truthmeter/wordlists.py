"""Small word lists for presenting reasons: words that must never be a reason on their own (function
words, calendar words, numbers), and a first-names gazetteer for spotting people the rule-based name
finder misses (a first name on its own: "Jennifer said ...").

Tokens here are lower case, as the features tokenise: runs of letters and digits, apostrophes split
("don't" -> "don", "t"), so contraction pieces are listed too.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

__all__ = ["STOP_WORDS", "WEEKDAYS", "MONTHS", "NUMBER_WORDS", "first_names", "one_names", "is_filler"]

STOP_WORDS = frozenset("""a about above across after afterwards again against all almost alone along already
also although always am among amongst an and another any anyhow anyone anything anyway anywhere are
around as at back be became because become becomes been before beforehand behind being below beside
besides between beyond both but by can cannot could did do does doing done down during each either
else elsewhere enough etc even ever every everyone everything everywhere except few for former formerly
from further get gets got had has have having he hence her here hereafter hereby herein hers herself him
himself his how however i if in indeed into is it its itself just last latter least less let like made
make many may me meanwhile might mine more moreover most mostly much must my myself namely neither never
nevertheless next no nobody none noone nor not nothing now nowhere of off often on once one only onto or
other others otherwise our ours ourselves out over own per perhaps please put quite rather re really
said same say says see seem seemed seeming seems several she should since so some somehow someone
something sometime sometimes somewhere still such than that the their theirs them themselves then
thence there thereafter thereby therefore therein thereupon these they this those though through
throughout thru thus to together too toward towards under until up upon us very via was we well were
what whatever when whence whenever where whereafter whereas whereby wherein whereupon wherever whether
which while whither who whoever whole whom whose why will with within without would yet you your yours
yourself yourselves yes oh ok okay also s t d ll m ve don didn doesn isn wasn weren aren hasn haven
hadn won wouldn couldn shouldn ain o y mr mrs ms""".split())

WEEKDAYS = frozenset("""monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur
thurs fri sat sun weekend today yesterday tomorrow tonight""".split())

MONTHS = frozenset("""january february march april may june july august september october november
december jan feb mar apr jun jul aug sep sept oct nov dec""".split())

NUMBER_WORDS = frozenset("""zero one two three four five six seven eight nine ten eleven twelve thirteen
fourteen fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty
ninety hundred thousand million billion first second third fourth fifth once twice""".split())

_FILLER = STOP_WORDS | WEEKDAYS | MONTHS | NUMBER_WORDS


def is_filler(token: str) -> bool:
    """Whether a lower-case token says nothing a reader could weigh: a function word, a day or month,
    a number, a stray letter, or the fact-checker mask the features put in place of their names."""
    return token in _FILLER or len(token) < 2 or any(c.isdigit() for c in token) or token == "factchecker"


@lru_cache(maxsize=1)
def first_names() -> frozenset[str]:
    """Common first names and one-name celebrities (lower case, accents folded), from the package's
    `first_names.txt`; words that are also calendar or function words are left out."""
    names = {w.lower() for line in _name_lines() if not line.startswith("#") for w in line.split()}
    return frozenset(names - _FILLER)


@lru_cache(maxsize=1)
def one_names() -> frozenset[str]:
    """Celebrities known by one name ("beyonce", "rihanna"): the `# one-name` section that ends
    `first_names.txt`, so the one file stays the single gazetteer."""
    lines = _name_lines()
    start = next((i for i, line in enumerate(lines) if line.startswith("# one-name")), len(lines))
    return frozenset(w.lower() for line in lines[start + 1:] if not line.startswith("#") for w in line.split())


def _name_lines() -> list[str]:
    return resources.files("truthmeter").joinpath("first_names.txt").read_text(encoding="utf-8").splitlines()
