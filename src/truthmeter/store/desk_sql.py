"""The editorial Desk (schema version 4) in SQL, over a SQLStore's connection: one codebase for SQLite
and PostgreSQL, the store's Dialect supplying what differs (search, the queue's ranking, new ids).

Every change and its audit row commit in one transaction, so the log never misses an action that
took effect and never records one that did not. Reads and writes go through the store's `_db`, which
holds the store's lock and turns driver errors into StoreError.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from truthmeter.errors import StoreError
from truthmeter.newsroom.desk import NothingToPublish, UnknownStory
from truthmeter.newsroom.queue import UNRATED_AS, suspicion
from truthmeter.newsroom.records import (MAX_SUMMARY_CHARS, AuditAction, AuditEntry, Correction, OutletStory,
                                         PublishedStory, QueueItem, Review, ReviewStatus, Tip)
from truthmeter.rating import verdict_for
from truthmeter.store import desk_rows as decode
from truthmeter.store.desk_accounts import SQLAccounts
from truthmeter.store import stories as story_sql
from truthmeter.store.dialect import Connection
from truthmeter.store.sqlutil import Row, check_page, chunks, marks, utc_now
from truthmeter.types import MAX_CLAIM_CHARS, Claim, ClaimBasis, FactCheck, Story, Verdict

if TYPE_CHECKING:
    from truthmeter.store.sqlstore import SQLStore

__all__ = ["SQLDesk"]


_UPSERT_REVIEW = """
INSERT INTO reviews (story_id, status, model_rating, final_rating, final_verdict, note, editor, reviewed_at,
                     published_at, changed_at, summary, summary_by)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (story_id) DO UPDATE SET status = excluded.status, model_rating = excluded.model_rating,
    final_rating = excluded.final_rating, final_verdict = excluded.final_verdict, note = excluded.note,
    editor = excluded.editor, reviewed_at = excluded.reviewed_at, published_at = excluded.published_at,
    changed_at = excluded.changed_at, summary = excluded.summary, summary_by = excluded.summary_by
"""
# An outlet's told stories (as outlet_counts counts them: Unrated ones say nothing), each dated by the outlet's first supporting
# article: its own date when it has one, else when it was stored.
_OUTLET_HISTORY = """
SELECT s.id AS story_id, s.story_rating, s.verdict, MIN(a.seq) AS seq
FROM story_articles sa JOIN articles a ON a.content_hash = sa.content_hash JOIN stories s ON s.id = sa.story_id
WHERE sa.outlet_key = ? AND sa.stance = 'supports' AND s.story_rating IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM fact_checks fc WHERE fc.content_hash = sa.content_hash)
GROUP BY s.id, s.story_rating, s.verdict
ORDER BY MIN(a.seq)
LIMIT ?
"""
# Stories awaiting an editor, with what ranks them; {suspicion} is the Dialect's spelling of the rank.
_QUEUE = """
SELECT s.*, COALESCE(t.n, 0) AS n_tips, COALESCE(c.n, 0) AS n_contra
FROM stories s
LEFT JOIN reviews r ON r.story_id = s.id
LEFT JOIN (SELECT sa.story_id, COUNT(*) AS n FROM tips JOIN story_articles sa ON sa.content_hash = tips.content_hash
           GROUP BY sa.story_id) t ON t.story_id = s.id
LEFT JOIN (SELECT story_id, COUNT(*) AS n FROM story_articles WHERE stance = 'contradicts'
           GROUP BY story_id) c ON c.story_id = s.id
WHERE r.story_id IS NULL OR r.status = 'unreviewed'
ORDER BY {suspicion} DESC, s.last_seq DESC, s.id
LIMIT ? OFFSET ?
"""
_TIPS = """
SELECT t.id, t.content_hash, a.id AS article_id, sa.story_id, t.note, t.submitted_at
FROM tips t JOIN articles a ON a.content_hash = t.content_hash
LEFT JOIN story_articles sa ON sa.content_hash = t.content_hash
"""


class SQLDesk(SQLAccounts):
    """The Desk protocol over one SQLStore (get it as `store.desk`): reviews, publishing, the queue, tips,
    search and the audit log here; editors, tokens and sessions in desk_accounts.py."""

    def __init__(self, store: SQLStore) -> None:
        super().__init__(store)
        dialect = store.dialect
        self._queue_sql = _QUEUE.format(suspicion=dialect.suspicion(f"COALESCE(s.story_rating, {UNRATED_AS})",
                                                                     "COALESCE(t.n, 0)",
                                                                     "COALESCE(c.n, 0)"))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._store.location!r})"

    @staticmethod
    def _story_row(conn: Connection, story_id: str) -> Row:
        found = story_sql.find_story_id(conn, story_id)
        if found is None:
            raise UnknownStory(story_id)
        return conn.execute("SELECT id, story_rating FROM stories WHERE id = ?", (found,)).fetchone()

    @staticmethod
    def _review_of(conn: Connection, story_id: str) -> Review | None:
        row = conn.execute("SELECT * FROM reviews WHERE story_id = ?", (story_id,)).fetchone()
        return None if row is None else decode.review(row)

    @staticmethod
    def _save(conn: Connection, r: Review) -> Review:
        conn.execute(_UPSERT_REVIEW, (r.story_id, r.status.value, r.model_rating, r.final_rating,
                                      None if r.final_verdict is None else r.final_verdict.value, r.note, r.editor,
                                      r.reviewed_at, r.published_at, r.changed_at, r.summary, r.summary_by))
        return r

    @staticmethod
    def _stories(conn: Connection, ids: list[str]) -> dict[str, Story]:
        out: dict[str, Story] = {}
        for chunk in chunks(ids):
            rows = conn.execute(f"SELECT * FROM stories WHERE id IN ({marks(len(chunk))})", chunk).fetchall()
            facts = story_sql.story_facts(conn, [r["id"] for r in rows])
            out.update((r["id"], story_sql.story_from_row(r, facts.get(r["id"], {}))) for r in rows)
        return out

    def review(self, story_id: str) -> Review | None:
        with self._read("cannot read review") as conn:
            found = story_sql.find_story_id(conn, story_id)
            return None if found is None else self._review_of(conn, found)

    def set_rating(self, story_id: str, rating: int, note: str, *, editor: str) -> Review:
        """See Desk.set_rating. Any change to a published story is a correction, even one keeping the
        rating and rewording the note: the note is public, so readers see that it changed."""
        rating, text = decode.check_rating(rating), decode.clean_note(note)
        with self._write("cannot set rating") as conn:
            story = self._story_row(conn, story_id)
            sid, model = story["id"], story["story_rating"]
            old = self._review_of(conn, sid)
            now, changed = utc_now(), decode.precise_now()
            if old is not None and old.status is ReviewStatus.PUBLISHED:
                if text is None:
                    raise ValueError("a correction to a published verdict needs a note saying why")
                previous = old.final_rating if old.final_rating is not None else old.model_rating
                conn.execute("INSERT INTO corrections (story_id, previous_rating, new_rating, note, editor, at) "
                             "VALUES (?, ?, ?, ?, ?, ?)", (sid, previous, rating, text, editor, now))
                new = replace(old, model_rating=model, final_rating=rating, final_verdict=verdict_for(rating),
                              note=text, editor=editor, reviewed_at=now, changed_at=changed)
                self._audit(conn, editor, AuditAction.CORRECTION, sid,
                            {"previous_rating": previous, "rating": rating, "note": text})
            else:
                new = Review(story_id=sid, status=ReviewStatus.REVIEWED, model_rating=model, final_rating=rating,
                             final_verdict=verdict_for(rating), note=text, editor=editor, reviewed_at=now,
                             published_at=None if old is None else old.published_at, changed_at=changed,
                             summary=None if old is None else old.summary,
                             summary_by=None if old is None else old.summary_by)
                self._audit(conn, editor, AuditAction.REVIEW, sid,
                            {"rating": rating, "model_rating": model, "note": text})
            return self._save(conn, new)

    def set_claim(self, story_id: str, text: str, *, editor: str) -> Claim:
        claim = " ".join((text or "").split())
        if not claim:
            raise ValueError("a claim needs some words")
        if len(claim) > MAX_CLAIM_CHARS:
            raise ValueError(f"a claim is at most {MAX_CLAIM_CHARS} characters (this one has {len(claim)})")
        with self._write("cannot set claim") as conn:
            sid = self._story_row(conn, story_id)["id"]
            old = conn.execute("SELECT * FROM stories WHERE id = ?", (sid,)).fetchone()
            conn.execute("UPDATE stories SET claim = ?, claim_basis = ?, claim_editor = ? WHERE id = ?",
                         (claim, ClaimBasis.EDITOR.value, editor, sid))
            self._audit(conn, editor, AuditAction.CLAIM, sid, {"previous": old["claim"], "claim": claim})
            row = conn.execute("SELECT * FROM stories WHERE id = ?", (sid,)).fetchone()
            found = story_sql.claim_from_row(row)
            assert found is not None  # just written
            return found

    def set_summary(self, story_id: str, text: str | None, *, editor: str) -> Review:
        """See Desk.set_summary. On a story without a review an UNREVIEWED one is opened (it stays in the
        queue); the desk's change time is kept, so rewording the prose does not move a story in the feed.
        Writing what is there already changes nothing and is not audited."""
        summary = " ".join((text or "").split()) or None
        if summary is not None and len(summary) > MAX_SUMMARY_CHARS:
            raise ValueError(f"the verdict in prose is at most {MAX_SUMMARY_CHARS} characters "
                             f"(this one has {len(summary)})")
        with self._write("cannot set summary") as conn:
            story = self._story_row(conn, story_id)
            sid = story["id"]
            old = self._review_of(conn, sid)
            if old is None and summary is None:
                return Review(story_id=sid, status=ReviewStatus.UNREVIEWED, model_rating=story["story_rating"])
            if old is not None and old.summary == summary:
                return old  # nothing changes: not audited
            if old is None:
                old = Review(story_id=sid, status=ReviewStatus.UNREVIEWED, model_rating=story["story_rating"],
                             changed_at=decode.precise_now())
            new = replace(old, summary=summary, summary_by=editor if summary else None)
            self._audit(conn, editor, AuditAction.SUMMARY, sid, {"previous": old.summary, "summary": summary})
            return self._save(conn, new)

    def reviews(self, story_ids: list[str]) -> dict[str, Review]:
        """The desk's reviews of these stories (exact ids), by story id; stories without one are left out."""
        with self._read("cannot read reviews") as conn:
            return {r.story_id: r for r in self._reviews(conn, list(dict.fromkeys(story_ids)))}

    def stories(self, story_ids: list[str]) -> dict[str, Story]:
        """These stories (exact ids), by id; unknown ids are left out."""
        with self._read("cannot read stories") as conn:
            return self._stories(conn, list(dict.fromkeys(story_ids)))

    def outlet_history(self, outlet_key: str, limit: int = 5000) -> list[OutletStory]:
        """The stories an outlet told (an article of its supporting the claim, not a fact-check), oldest
        first, each dated by the outlet's first such article (its date, else when it was stored)."""
        check_page(limit, 0)
        with self._read("cannot read outlet history") as conn:
            rows = conn.execute(_OUTLET_HISTORY, (outlet_key.strip().lower(), limit)).fetchall()
            seqs = [r["seq"] for r in rows]
            dated: dict[int, tuple[str | None, str]] = {}
            for chunk in chunks(seqs):
                for a in conn.execute(f"SELECT seq, date, ingested_at FROM articles WHERE seq IN "
                                      f"({marks(len(chunk))})", chunk):
                    dated[a["seq"]] = (a["date"], a["ingested_at"])
        out = []
        for r in rows:
            date, stored = dated.get(r["seq"], (None, ""))
            out.append(OutletStory(story_id=r["story_id"], date=date or None, stored_at=stored,
                                   story_rating=r["story_rating"], verdict=Verdict(r["verdict"])))
        return out

    def publish(self, story_id: str, *, editor: str) -> Review:
        with self._write("cannot publish") as conn:
            story = self._story_row(conn, story_id)
            sid, model = story["id"], story["story_rating"]
            old = self._review_of(conn, sid)
            if old is not None and old.status is ReviewStatus.PUBLISHED:
                return old
            now = utc_now()
            final = old.final_rating if old is not None and old.final_rating is not None else model
            if final is None:
                # Nothing to publish: the model had too little to judge and no editor has rated it.
                raise NothingToPublish(sid)
            new = Review(story_id=sid, status=ReviewStatus.PUBLISHED, model_rating=model, final_rating=final,
                         final_verdict=verdict_for(final), note=None if old is None else old.note, editor=editor,
                         reviewed_at=now if old is None or old.reviewed_at is None else old.reviewed_at,
                         published_at=now if old is None or old.published_at is None else old.published_at,
                         changed_at=decode.precise_now(), summary=None if old is None else old.summary,
                         summary_by=None if old is None else old.summary_by)
            self._audit(conn, editor, AuditAction.PUBLISH, sid, {"rating": final, "verdict": new.final_verdict.value})
            return self._save(conn, new)

    def unpublish(self, story_id: str, *, editor: str) -> Review:
        with self._write("cannot unpublish") as conn:
            story = self._story_row(conn, story_id)
            old = self._review_of(conn, story["id"])
            if old is None:
                return Review(story_id=story["id"], status=ReviewStatus.UNREVIEWED, model_rating=story["story_rating"])
            if old.status is not ReviewStatus.PUBLISHED:
                return old
            self._audit(conn, editor, AuditAction.UNPUBLISH, old.story_id, {"rating": old.final_rating})
            return self._save(conn, replace(old, status=ReviewStatus.UNPUBLISHED, changed_at=decode.precise_now()))

    def corrections(self, story_id: str) -> list[Correction]:
        with self._read("cannot read corrections") as conn:
            found = story_sql.find_story_id(conn, story_id)
            rows = [] if found is None else conn.execute(
                "SELECT * FROM corrections WHERE story_id = ? ORDER BY id", (found,)).fetchall()
        return [decode.correction(r) for r in rows]

    def queue(self, limit: int = 50, offset: int = 0) -> list[QueueItem]:
        """Stories no editor has rated yet (no review, or one still UNREVIEWED), the most suspicious
        first (newsroom.queue.suspicion: the model's story rating, lowered by readers' tips and
        contradicting articles), then the one with the newest article, then by id."""
        check_page(limit, offset)
        with self._read("cannot read queue") as conn:
            rows = conn.execute(self._queue_sql, (limit, offset)).fetchall()
            facts = story_sql.story_facts(conn, [r["id"] for r in rows])
            reviews = {r.story_id: r for r in self._reviews(conn, [r["id"] for r in rows])}
        return [QueueItem(story=story_sql.story_from_row(r, facts.get(r["id"], {})),
                          suspicion=suspicion(r["story_rating"], r["n_tips"], r["n_contra"]), tips=r["n_tips"],
                          review=reviews.get(r["id"])) for r in rows]

    def count_queue(self) -> int:
        with self._read("cannot count queue") as conn:
            return int(conn.execute("SELECT COUNT(*) FROM stories s LEFT JOIN reviews r ON r.story_id = s.id "
                                    "WHERE r.story_id IS NULL OR r.status = 'unreviewed'").fetchone()[0])

    def _reviews(self, conn: Connection, ids: list[str]) -> list[Review]:
        out: list[Review] = []
        for chunk in chunks(ids):
            out += [decode.review(r) for r in conn.execute(
                f"SELECT * FROM reviews WHERE story_id IN ({marks(len(chunk))})", chunk)]
        return out

    def published(self, limit: int = 50, offset: int = 0) -> list[PublishedStory]:
        check_page(limit, offset)
        with self._read("cannot read published stories") as conn:
            reviews = [decode.review(r) for r in conn.execute(
                "SELECT * FROM reviews WHERE status = 'published' ORDER BY changed_at DESC, story_id LIMIT ? OFFSET ?",
                (limit, offset))]
            ids = [r.story_id for r in reviews]
            stories = self._stories(conn, ids)
            fixes: dict[str, list[Correction]] = {}
            for chunk in chunks(ids):
                for row in conn.execute(f"SELECT * FROM corrections WHERE story_id IN ({marks(len(chunk))}) "
                                        "ORDER BY id", chunk):
                    fixes.setdefault(row["story_id"], []).append(decode.correction(row))
            urls = self._appearances(conn, ids)
        return [PublishedStory(story=stories[r.story_id], review=r, corrections=tuple(fixes.get(r.story_id, ())),
                               appearances=tuple(urls.get(r.story_id, ()))) for r in reviews]

    @staticmethod
    def _appearances(conn: Connection, ids: list[str]) -> dict[str, list[str]]:
        """Where each claim appeared: web URLs of the articles telling it (supporting, not fact-checks:
        a debunk or a denial is not an appearance of the claim), oldest first, each once."""
        out: dict[str, list[str]] = {}
        for chunk in chunks(ids):
            rows = conn.execute(
                "SELECT sa.story_id, a.url FROM story_articles sa JOIN articles a ON a.content_hash = sa.content_hash "
                f"WHERE sa.story_id IN ({marks(len(chunk))}) AND a.url IS NOT NULL AND sa.stance = 'supports' "
                "AND NOT EXISTS (SELECT 1 FROM fact_checks fc WHERE fc.content_hash = sa.content_hash) "
                "ORDER BY a.seq", chunk)
            for story_id, url in rows:
                seen = out.setdefault(story_id, [])
                if url.lower().startswith(("http://", "https://")) and url not in seen:
                    seen.append(url)
        return out

    def count_published(self) -> int:
        with self._read("cannot count published stories") as conn:
            return int(conn.execute("SELECT COUNT(*) FROM reviews WHERE status = 'published'").fetchone()[0])

    # --- tips, search, fact-checks, audit -------------------------------------------------------
    def add_tip(self, content_hash: str, note: str | None) -> Tip:
        text, now = decode.clean_note(note), utc_now()
        with self._write("cannot store tip") as conn:
            if not conn.execute("SELECT 1 FROM articles WHERE content_hash = ?", (content_hash,)).fetchone():
                raise StoreError(f"no stored article {content_hash}")
            tip_id = self._dialect.insert_id(conn, "INSERT INTO tips (content_hash, note, submitted_at) "
                                             "VALUES (?, ?, ?)", (content_hash, text, now))
            tip = decode.tip(conn.execute(_TIPS + "WHERE t.id = ?", (tip_id,)).fetchone())
            self._audit(conn, "reader", AuditAction.TIP, tip.story_id or content_hash,
                        {"tip": tip.id, "content_hash": content_hash, "note": text})
        return tip

    def tips(self, story_id: str | None = None, limit: int = 50) -> list[Tip]:
        check_page(limit, 0)
        with self._read("cannot read tips") as conn:
            if story_id is None:
                rows = conn.execute(_TIPS + "ORDER BY t.id DESC LIMIT ?", (limit,)).fetchall()
            else:
                found = story_sql.find_story_id(conn, story_id)
                rows = [] if found is None else conn.execute(
                    _TIPS + "WHERE sa.story_id = ? ORDER BY t.id DESC LIMIT ?", (found, limit)).fetchall()
        return [decode.tip(r) for r in rows]

    def search(self, query: str, limit: int = 50, offset: int = 0) -> list[Story]:
        """Stories whose articles contain every word of `query` (accents ignored where the backend can),
        the story with the best-matching article first (SQLite: bm25; PostgreSQL: ts_rank)."""
        check_page(limit, offset)
        match = self._dialect.search(query)
        if match is None:
            return []
        with self._read("cannot search") as conn:
            ids = [r[0] for r in conn.execute(
                f"SELECT sa.story_id, {match.best} AS best {match.from_where} "
                "GROUP BY sa.story_id ORDER BY best, sa.story_id LIMIT ? OFFSET ?", (*match.params, limit, offset))]
            stories = self._stories(conn, ids)
        return [stories[i] for i in ids if i in stories]

    def count_search(self, query: str) -> int:
        match = self._dialect.search(query)
        if match is None:
            return 0
        with self._read("cannot search") as conn:
            return int(conn.execute(f"SELECT COUNT(DISTINCT sa.story_id) {match.from_where}",
                                    match.params).fetchone()[0])

    def fact_checks(self, limit: int = 50, offset: int = 0) -> list[FactCheck]:
        check_page(limit, offset)
        with self._read("cannot read fact-checks") as conn:
            rows = conn.execute("SELECT fc.*, a.id AS article_id FROM fact_checks fc JOIN articles a "
                                "ON a.content_hash = fc.content_hash ORDER BY a.seq DESC LIMIT ? OFFSET ?",
                                (limit, offset)).fetchall()
        return [story_sql.fact_check_from_row(r) for r in rows]

    def count_fact_checks(self) -> int:
        with self._read("cannot count fact-checks") as conn:
            return int(conn.execute("SELECT COUNT(*) FROM fact_checks").fetchone()[0])

    def audit(self, limit: int = 100, offset: int = 0) -> list[AuditEntry]:
        check_page(limit, offset)
        with self._read("cannot read audit log") as conn:
            rows = conn.execute("SELECT * FROM audit_log ORDER BY id DESC LIMIT ? OFFSET ?", (limit, offset)).fetchall()
        return [decode.audit_entry(r) for r in rows]

    def count_audit(self) -> int:
        with self._read("cannot count audit log") as conn:
            return int(conn.execute("SELECT COUNT(*) FROM audit_log").fetchone()[0])

    def log(self, actor: str, action: AuditAction, target: str | None, detail: dict[str, object]) -> None:
        with self._write("cannot write audit log") as conn:
            self._audit(conn, actor, action, target, detail)

    def story_exists(self, story_id: str) -> Story | None:
        with self._read("cannot read story") as conn:
            found = story_sql.find_story_id(conn, story_id)
            return None if found is None else self._stories(conn, [found]).get(found)
