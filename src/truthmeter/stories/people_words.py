"""Word lists for the name finder (`people.py`): lower case, accents folded.

Kept apart from the rules so that each list can grow without crowding them. The first names
themselves are the package's gazetteer, `truthmeter/first_names.txt`.
"""

from __future__ import annotations

__all__ = ["AMBIGUOUS", "HEADLINE", "HONORIFICS", "NEVER", "OUTLETS", "PARTICLES", "ROLES", "ROYAL", "STOP",
           "SURNAME_FIRSTS", "SUFFIXES"]

PARTICLES = frozenset("de da di du del della der den van von le la bin al st".split())

STOP = frozenset("""a about above after again against all also am an and any are as at be because been
before being below between both but by can could did do does doing down during each even ever every
few for from further had has have having he her here hers herself him himself his how i if in into is
it its itself just let me might more most much must my myself never no nor not now of off on once only
or other our ours out over own same she should so some such than that the their theirs them then there
these they this those though through to too under until up upon very was we were what when where which
while who whom why will with would yet you your yours yes oh ok okay hey wow dear why despite
according while although however meanwhile plus per via amid among toward towards within without
is isn't it's we're they're you're i'm he's she's that's what's don't can't won't didn't""".split())

# Words that are never part of a person's name: calendar, outlets, places, media, award and
# religious words. Outlet words here are those that are no surname ("Variety", not "Page").
NEVER = frozenset("""january february march april may june july august september october november
december jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday
saturday sunday today yesterday tomorrow tonight weekend people weekly magazine news online daily
times post gossip cop radar tmz hollywood instagram twitter facebook youtube snapchat tiktok netflix
hulu hbo abc nbc cbs cnn bravo mtv awards award show shows season episode series festival hills
street road avenue city county island beach university college school hospital center centre
records studios studio pictures entertainment network channel tv music film movie album single tour
christmas thanksgiving easter valentine halloween god america american british english french london
paris york angeles vegas francisco los las san santa new club house theatre theater museum bar
restaurant hotel stadium arena cup bowl super globe globes grammy grammys oscar oscars emmy emmys vma
vmas academy department police group process productions production home funeral research cancer
worth net celebrity real housewives housewife actual old female male rules life style
family baby wedding images getty reading continue click read more share related advertisement
subscribe email view live palace castle chapel cathedral gala fair enquirer press bros diaries
week story stories girls lies wars war eye theory association article company resort minister envoy
nation upper role things minds raider eagles patriots cavaliers lakers league united national states
kingdom emirates republican democratic convention committee foundation institute agency office six
guild cancel play last instagram's insider insiders source sources report reports reportedly breaking
exclusive shocking update watch photos photo video videos pics pic inc llc ltd co corp variety
reporter mail touch vogue billboard deadline cosmopolitan tatler glamour elle allure okmagazine
hello spotify apple amazon disney marvel warner universal sony paramount pixar google
california texas florida malibu beverly calabasas chicago atlanta boston miami nashville seattle
brooklyn manhattan toronto vancouver sydney melbourne berlin rome milan tokyo dubai mexico canada
australia england scotland ireland wales france italy spain germany india china japan africa
europe asia lisbon duluth minneapolis vacation holy spirit heaven christ lord bible gospel catholic zoo square
garden drive cosmetics beauty jazz rangers olympian olympians original lifetime jr sr ii iii iv wireimage filmmagic afp reuters shutterstock backgrid splash
""".split())

# Capitalised in headlines, never a surname: "Brad Pitt Secretly Engaged", "Custody Drama".
HEADLINE = frozenset("""secret secrets secretly marriage married marry marries marrying custody drama
agreement revealed reveal reveals revealing relationship relationships bombshell bombshells exposed
exposes expose engaged engagement pregnant pregnancy divorce divorced divorcing divorces split splits
splitting breakup break breaks feud feuds feuding wedding weddings dating dates date romance romantic
affair affairs cheating cheated cheats scandal scandals shock shocks stunning stuns slams slammed
blasts blasted says said talks speaks spoke confirms confirmed confirm denies denied deny admits
admitted finally fans fan rumors rumours rumor rumour rumored rumoured truth inside claims claim
spotted seen caught reunion reunite reunites reunited back together again officially official allegedly
alleged really totally new first last big little huge major hot sexy sweet cute adorable sad tragic
tragedy heartbreak heartbroken heartbreaking emotional tearful tears fight fights fighting war feud
slam blast shade shades throws throwing responds response reacts reaction calls call called hits hit
shares shared posts posted post shows showed flaunts flaunting debuts debut announces announced
announcement welcomes welcome welcomed expecting expects baby babies son daughter kids kid children
child twins mom dad mother father husband wife boyfriend girlfriend ex exes fiance fiancee couple
couples pair duo star stars celebrity celeb celebs singer actor actress rapper model host judge
icon king queen coach captain chief officer agent sheriff mayor governor senator
president diva boss leaked leak leaks photos pic pics video footage clip interview
statement lawsuit sues sued suing court trial arrest arrested arrests jail prison charges charged
charge rehab health hospitalized hospitalised illness sick dies died dead death passes passed
funeral tribute tributes honors honours honor honour award awards wins won win loses lost nominated
nomination nominations red carpet gown dress look looks style fashion outfit body bikini weight
diet workout plastic surgery makeover transformation makeup hair haircut tattoo ring rings diamond
proposal proposes proposed proposing mansion house home buys bought sells sold lists listed estate
net worth money fortune millions billion million deal contract salary paid pays pay fired quits quit
leaves leaving left joins joined return returns returned comeback tour album song songs single
track hit record records chart charts music movie film films show shows series season episode
sequel reboot trailer premiere premieres release released releases cast casting role roles lead
starring stars new news latest breaking exclusive update updates report reports source sources
insider insiders friend friends pal pals family relatives claims claimed slammed denies reveals
fuming furious angry upset happy thrilled excited devastated heartbroken jealous betrayed drunk
wild crazy epic awkward bizarre weird strange mystery mysterious hidden unseen rare never ever
nude naked topless steamy racy risque kiss kisses kissing hug hugs cuddle cuddles cuddling pda
holiday vacation trip getaway date night dinner party birthday anniversary celebrates celebrating
celebration engaged nuptials vows honeymoon elope elopes eloped estranged reconcile reconciled
reconciling rekindle rekindled rekindling moves moving move living lives life exclusive why how what
whoa omg wtf lol yikes oops sorry apology apologizes apologises apologized apologised regret regrets
truth lies lie liar fake false true real fact facts debunked busted gossip cop
one two three four five six seven eight nine ten since given neither whether opposite add enter haha follow surprisingly unlike like besides
defends defend defended addresses opens gets goes makes takes gives keeps tells wants needs loves
hates praises supports sends spends files drops plans hints teases jokes gushes dishes claps fires
sparks fuels sets steps walks rocks wears dazzles poses bares stays tries finds explains insists
recalls remembers thanks reportedly allegedly accused accuses blames blamed begs pleads slams
mocks trolls shuts claps fires hits lashes rips disses snubs ignores unfollows unfollowed follows
dumps dumped ditches ditched moves cancels cancelled canceled postpones delays reschedules
sues settles wins loses signs inks lands scores nabs books go goes adds enjoy enjoys
enjoying pose posing take takes took snapshot""".split())

# Honorifics: dropped before a full name; before one word they point at that person's full name.
HONORIFICS = frozenset("mr mrs ms miss mx dr sir dame".split())
# Royal titles: with a first name they are the name itself ("Prince Harry", "Queen Latifah").
ROYAL = frozenset("prince princess queen king duke duchess lady lord".split())

# A role before capitalised words makes them a name: "actress Zhang Ziyi", "Director Lena Moravec".
ROLES = frozenset("""president director producer senator sen gov governor singer actor actress
rapper officer detective captain ceo chef dj pastor reverend rev father mother
sister brother uncle aunt cousin pal husband wife boyfriend girlfriend fiance fiancee ex designer
writer author comedian comedienne musician guitarist drummer bassist bandmate co-star costar
spokesperson spokeswoman spokesman publicist manager agent attorney lawyer daughter son mom dad
grandmother grandfather stepmother stepfather stepson stepdaughter friend bestie newcomer
showrunner choreographer stylist photographer dancer athlete player quarterback striker golfer
tennis boxer wrestler influencer youtuber vlogger""".split())

# First names that are also everyday words or places: a name in prose before a surname, and in a
# headline only when the text names the person elsewhere ("Will Smith", not "Will Brad ...").
AMBIGUOUS = frozenset("""will mark bill pat sue guy hope grace rose may june april summer faith joy dawn
jordan paris chase hunter sky river rain storm autumn christian rob carol chad lance pierce amber
ruby destiny harmony ivy jade crystal frank ray rusty sandy dusty penny victoria austin dallas
orlando florence sydney brooklyn georgia madison phoenix jackson savannah chelsea charlotte
kingston virginia carolina dakota santiago milan drew wade miles chuck penn trinity raven poppy
violet scarlet ebony chanel mercedes tiffany bella cole nick pete holly willow gene jean mason
sterling roman don gal trace chip stormy buzz kit cliff herb rod""".split())

# First names common as surnames: "Elton John", "LeBron James", "Hugh Grant".
SURNAME_FIRSTS = frozenset("""john james thomas lewis henry taylor jordan lee grant scott allen austin
ross rose ryan kelly morgan howard marshall murray spencer douglas russell wayne franklin stewart
gordon craig dean elliott elliot jay carter parker cooper mason hunter tyler wallace warren wells
glenn bailey cole curtis davis ellis graham harris harrison hayden jackson jones joel keith kent
lane lloyd louis martin mitchell nelson neil owen paul perry phillips powell reed reid riley roberts
ross russell simon spencer stanley wade walker watson webb wesley west williams wilson young bell
brown adams anderson arnold bennett bryant carson chase clark collins dale fisher ford gray grey
hart holly jordan lawrence lynn miller milton moore morris oliver palmer pierce quinn ray
richards rogers sharp stone sullivan sutton vincent ward""".split())

# Endings of everyday words, not surnames, for headline words (see people._suffixed).
SUFFIXES = ("ally", "edly", "ously", "ively", "fully", "etly", "ntly", "ship", "ment", "ness", "tion",
            "sion", "ity", "less", "ism", "ishes")

# Outlet and brand names that a first name opens ("Marie Claire", "Calvin Klein"): not people,
# nor any name they begin ("Louis Vuitton Cruise").
OUTLETS = frozenset(tuple(name.split()) for name in """marie claire|harper bazaar|vanity fair|
teen vogue|rolling stone|perez hilton dot com|e news|us weekly|page six|radar online|in touch|
life style|daily mail|hollywood reporter|gossip cop|screen ledger|page wire|entertainment tonight|
access hollywood|extra tv|hollywood life|just jared|jezebel|
louis vuitton|calvin klein|alexander mcqueen|michael kors|ralph lauren|marc jacobs|jimmy choo|
christian dior|christian louboutin|giorgio armani|oscar de la renta|carolina herrera|vera wang|kate spade|
tom ford|yves saint laurent|tommy hilfiger|donna karan|roberto cavalli|elie saab|victoria secret""".replace("\n", "").split("|"))
