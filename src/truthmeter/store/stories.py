"""Queries for stories (schema version 3): functions over a connection, used by SQLStore and SQLDesk.

Writes happen inside the caller's transaction (the article batch's), so a crash never leaves an
article without its story link or a story row without the articles it counts.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable

from truthmeter.store.base import (OutletCount, StoryLink, StoryMemberRow, StoryUpdate, signals_from_json,
                                   signals_to_json)
from truthmeter.store.dialect import SQLITE, Connection, Dialect
from truthmeter.store.sqlutil import Row, chunks, marks
from truthmeter.types import Claim, ClaimBasis, FactCheck, Story, Verdict

__all__ = ["write_update", "known_hashes", "links_after", "members", "list_stories", "find_story_id",
           "story_facts", "story_from_row", "claim_from_row", "fact_checks", "fact_check_from_row", "outlet_counts"]

_UPSERT_STORY = """
INSERT INTO stories (id, title, created_at, updated_at, story_rating, verdict, fact_check_rating, signals_json,
                     claim, claim_basis, claim_source, claim_by, claim_on)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET title = excluded.title, updated_at = excluded.updated_at,
    story_rating = excluded.story_rating, verdict = excluded.verdict,
    fact_check_rating = excluded.fact_check_rating, signals_json = excluded.signals_json,
    claim_source = excluded.claim_source, claim_by = excluded.claim_by, claim_on = excluded.claim_on,
    claim = CASE WHEN stories.claim_basis = 'editor' THEN stories.claim ELSE excluded.claim END,
    claim_basis = CASE WHEN stories.claim_basis = 'editor' THEN stories.claim_basis ELSE excluded.claim_basis END
"""
_INSERT_LINK = """
INSERT INTO story_articles (content_hash, story_id, stance, people_json, date, signature, vector, outlet_key,
                            evidence_json, claim, claim_basis)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (content_hash) DO NOTHING
"""
_UPSERT_FACT_CHECK = """
INSERT INTO fact_checks (content_hash, story_id, rating, basis, title, outlet, url, date, wording)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (content_hash) DO UPDATE SET story_id = excluded.story_id, rating = excluded.rating,
    basis = excluded.basis, wording = excluded.wording
"""
_LAST_SEQ = """
UPDATE stories SET last_seq = (SELECT MAX(a.seq) FROM story_articles sa JOIN articles a
                               ON a.content_hash = sa.content_hash WHERE sa.story_id = stories.id)
WHERE id = ?
"""
_LINK_COLUMNS = ("sa.content_hash, sa.story_id, sa.stance, sa.people_json, sa.date, sa.signature, sa.vector, "
                 "sa.outlet_key, sa.evidence_json, sa.claim, sa.claim_basis")


def _claim_columns(claim: Claim | None) -> tuple[object, ...]:
    if claim is None:
        return (None,) * 5
    return (claim.text, claim.basis.value, claim.source, claim.reported_by, claim.reported_on)


def write_update(conn: Connection, update: StoryUpdate, now: str) -> None:
    """Write story rows; the caller holds the transaction and has inserted the articles already."""
    conn.executemany(_UPSERT_STORY, [
        (s.id, s.title, now, now, None if s.story_rating is None else int(s.story_rating),
         s.verdict.value,
         None if s.fact_check_rating is None else int(s.fact_check_rating), signals_to_json(s.signals),
         *_claim_columns(s.claim))
        for s in update.stories])
    conn.executemany(_INSERT_LINK, [
        (x.content_hash, x.story_id, x.stance, json.dumps(list(x.people), ensure_ascii=False), x.date,
         x.signature, x.vector, x.outlet_key, x.evidence_json, x.claim, x.claim_basis) for x in update.links])
    conn.executemany("UPDATE story_articles SET stance = ? WHERE content_hash = ?",
                     [(stance, digest) for digest, stance in update.stances])
    conn.executemany(_UPSERT_FACT_CHECK, [
        (f.content_hash, f.story_id, int(f.rating), f.basis, f.title, f.outlet, f.url, f.date, f.wording)
        for f in update.fact_checks])
    # Another writer may have stored these articles first (ON CONFLICT skipped our links): a story
    # left without articles is not a story.
    conn.executemany("DELETE FROM stories WHERE id = ? AND NOT EXISTS "
                     "(SELECT 1 FROM story_articles sa WHERE sa.story_id = stories.id)", [(s.id,) for s in update.stories])
    conn.executemany(_LAST_SEQ, [(s.id,) for s in update.stories])


def known_hashes(conn: Connection, hashes: Iterable[str]) -> set[str]:
    found: set[str] = set()
    for chunk in chunks(dict.fromkeys(hashes)):
        rows = conn.execute(f"SELECT content_hash FROM articles WHERE content_hash IN ({marks(len(chunk))})", chunk)
        found.update(r[0] for r in rows)
    return found


def _link(row: Row) -> StoryLink:
    return StoryLink(content_hash=row["content_hash"], story_id=row["story_id"], stance=row["stance"],
                     people=tuple(json.loads(row["people_json"])), date=row["date"],
                     signature=bytes(row["signature"]),
                     vector=None if row["vector"] is None else bytes(row["vector"]),
                     outlet_key=row["outlet_key"], evidence_json=row["evidence_json"], claim=row["claim"],
                     claim_basis=row["claim_basis"])


def links_after(conn: Connection, seq: int, limit: int) -> list[tuple[int, StoryLink]]:
    """Up to `limit` links of articles stored after ingest position `seq`, in ingest order, each with
    its position (the caller pages on it)."""
    rows = conn.execute(f"SELECT {_LINK_COLUMNS}, a.seq FROM story_articles sa JOIN articles a "
                        "ON a.content_hash = sa.content_hash WHERE a.seq > ? ORDER BY a.seq LIMIT ?",
                        (seq, limit)).fetchall()
    return [(r["seq"], _link(r)) for r in rows]


def fact_check_from_row(row: Row, prefix: str = "") -> FactCheck:
    g = lambda k: row[prefix + k]  # noqa: E731
    return FactCheck(content_hash=g("content_hash"), article_id=g("article_id"), rating=g("rating"),
                     basis=g("basis"), title=g("title"), outlet=g("outlet"), url=g("url"), date=g("date"),
                     wording=g("wording"), story_id=g("story_id"))


def members(conn: Connection, story_ids: Iterable[str]) -> dict[str, list[StoryMemberRow]]:
    out: dict[str, list[StoryMemberRow]] = {}
    for chunk in chunks(story_ids):
        rows = conn.execute(
            f"SELECT {_LINK_COLUMNS}, a.id AS article_id, a.title AS a_title, a.outlet AS a_outlet, a.seq, "
            "r.p_true, r.truth_rating, fc.content_hash AS fc_content_hash, a.id AS fc_article_id, "
            "fc.rating AS fc_rating, fc.basis AS fc_basis, fc.title AS fc_title, fc.outlet AS fc_outlet, "
            "fc.url AS fc_url, fc.date AS fc_date, fc.wording AS fc_wording, fc.story_id AS fc_story_id "
            "FROM story_articles sa JOIN articles a ON a.content_hash = sa.content_hash "
            "JOIN ratings r ON r.content_hash = sa.content_hash "
            "LEFT JOIN fact_checks fc ON fc.content_hash = sa.content_hash "
            f"WHERE sa.story_id IN ({marks(len(chunk))}) ORDER BY a.seq", chunk)
        for r in rows:
            out.setdefault(r["story_id"], []).append(StoryMemberRow(
                link=_link(r), article_id=r["article_id"], title=r["a_title"], outlet=r["a_outlet"], seq=r["seq"],
                p_true=r["p_true"], truth_rating=r["truth_rating"],
                fact_check=fact_check_from_row(r, "fc_") if r["fc_content_hash"] else None))
    return out


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text.strip().lower()) if not unicodedata.combining(c))


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _filters(person: str | None, outlet: str | None, verdict: str | None,
             dialect: Dialect) -> tuple[str, list[object]]:
    clauses: list[str] = []
    params: list[object] = []
    if verdict is not None:
        clauses.append("s.verdict = ?")
        params.append(verdict)
    if outlet is not None:
        clauses.append("EXISTS (SELECT 1 FROM story_articles sa JOIN articles a ON a.content_hash = sa.content_hash "
                       "WHERE sa.story_id = s.id AND (lower(a.outlet) = lower(?) OR sa.outlet_key = lower(?)))")
        params += [outlet.strip(), outlet.strip()]
    if person is not None:
        # A whole name or a run of whole words of one ("kardashian" finds "khloe kardashian").
        names = {" ".join(person.lower().split()), " ".join(_fold(person).split())}
        tests = " OR ".join(f"(' ' || p.value || ' ') {dialect.like} ? ESCAPE '\\'" for _ in names)
        clauses.append(f"EXISTS (SELECT 1 FROM story_articles sa, {dialect.people_source} "
                       f"WHERE sa.story_id = s.id AND ({tests}))")
        params += [f"% {_like_escape(n)} %" for n in names]
    return ("WHERE " + " AND ".join(clauses) + " ") if clauses else "", params


def list_stories(conn: Connection, limit: int, offset: int, person: str | None, outlet: str | None,
                 verdict: str | None, dialect: Dialect = SQLITE) -> list[Story]:
    where, params = _filters(person, outlet, verdict, dialect)
    rows = conn.execute(f"SELECT s.* FROM stories s {where}ORDER BY s.last_seq DESC, s.id LIMIT ? OFFSET ?",
                        (*params, limit, offset)).fetchall()
    facts = story_facts(conn, [r["id"] for r in rows])
    return [story_from_row(r, facts.get(r["id"], {})) for r in rows]


def find_story_id(conn: Connection, story_id: str) -> str | None:
    """An exact id, else the one story whose id starts with `story_id`."""
    wanted = story_id.strip()
    if not wanted:
        return None
    row = conn.execute("SELECT id FROM stories WHERE id = ?", (wanted,)).fetchone()
    if row:
        return str(row[0])
    rows = conn.execute("SELECT id FROM stories WHERE id >= ? AND id < ? LIMIT 2",
                        (wanted, wanted + "\U0010ffff")).fetchall()
    return str(rows[0][0]) if len(rows) == 1 else None


def story_facts(conn: Connection, story_ids: list[str]) -> dict[str, dict[str, list[object]]]:
    """Per story: its article ids, outlets, dates and people, in ingest order."""
    out: dict[str, dict[str, list[object]]] = {}
    for chunk in chunks(story_ids):
        rows = conn.execute(
            "SELECT sa.story_id, a.id, a.outlet, a.date, sa.people_json FROM story_articles sa "
            f"JOIN articles a ON a.content_hash = sa.content_hash WHERE sa.story_id IN ({marks(len(chunk))}) "
            "ORDER BY a.seq", chunk)
        for r in rows:
            d = out.setdefault(r[0], {"ids": [], "outlets": [], "dates": [], "people": []})
            d["ids"].append(r[1])
            d["outlets"] += [r[2]] if r[2] and r[2] not in d["outlets"] else []
            d["dates"] += [r[3]] if r[3] else []
            d["people"] += [p for p in json.loads(r[4]) if p not in d["people"]]
    return out


def story_from_row(row: Row, facts: dict[str, list[object]]) -> Story:
    signals = signals_from_json(row["signals_json"])
    dates = sorted(str(d) for d in facts.get("dates", []))
    return Story(id=row["id"], title=row["title"], story_rating=row["story_rating"], verdict=Verdict(row["verdict"]),
                 signals=signals, fact_check_rating=row["fact_check_rating"],
                 article_ids=tuple(str(x) for x in facts.get("ids", [])),
                 outlets=tuple(str(x) for x in facts.get("outlets", [])),
                 people=tuple(str(x) for x in facts.get("people", [])),
                 first_date=dates[0] if dates else None, last_date=dates[-1] if dates else None,
                 created_at=row["created_at"], updated_at=row["updated_at"], claim=claim_from_row(row))


def claim_from_row(row: Row) -> Claim | None:
    """The stored claim; None for a story stored before claims existed (it gets one when it grows)."""
    if not row["claim"]:
        return None
    basis = ClaimBasis(row["claim_basis"])
    return Claim(text=row["claim"], basis=basis, source=row["claim_source"], reported_by=row["claim_by"],
                 reported_on=row["claim_on"], edited_by=row["claim_editor"] if basis is ClaimBasis.EDITOR else None)


def fact_checks(conn: Connection, story_id: str) -> list[FactCheck]:
    rows = conn.execute("SELECT fc.*, a.id AS article_id FROM fact_checks fc JOIN articles a "
                        "ON a.content_hash = fc.content_hash WHERE fc.story_id = ? ORDER BY a.seq", (story_id,))
    return [fact_check_from_row(r) for r in rows]


def outlet_counts(conn: Connection) -> list[OutletCount]:
    """Per outlet key: stories it told (an article supporting the claim, not a fact-check) and how
    many of those are rated false; one spelling of its name (the last alphabetically). An Unrated
    story says nothing about an outlet's record: left out."""
    rows = conn.execute(
        "SELECT sa.outlet_key AS key, MAX(a.outlet) AS name, COUNT(DISTINCT sa.story_id) AS told, "
        "COUNT(DISTINCT CASE WHEN s.story_rating < 5 THEN sa.story_id END) AS rated_false "
        "FROM story_articles sa JOIN articles a ON a.content_hash = sa.content_hash "
        "JOIN stories s ON s.id = sa.story_id "
        "WHERE sa.outlet_key IS NOT NULL AND sa.stance = 'supports' AND s.story_rating IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM fact_checks fc WHERE fc.content_hash = sa.content_hash) "
        "GROUP BY sa.outlet_key ORDER BY sa.outlet_key").fetchall()
    return [OutletCount(key=r["key"], name=r["name"] or r["key"], told=r["told"], rated_false=r["rated_false"])
            for r in rows]
