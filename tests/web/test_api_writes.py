"""The REST API's writes end to end: credentials (tokens, session + CSRF) and the desk workflow
(override, publish, correct, unpublish, queue, tips, ingest), httpx over the ASGI app on a real
SQLite database with examples/ ingested."""

from __future__ import annotations

import pytest

from truthmeter.store import Store

from .conftest import RUMOUR, TEXT, SyncClient

# --- writes: credentials ------------------------------------------------------------------------

WRITES = [("POST", "/api/articles", [{"text": TEXT}]), ("PUT", "/api/stories/{id}/rating", {"rating": 3, "note": "n"}),
          ("POST", "/api/stories/{id}/publish", None), ("POST", "/api/stories/{id}/unpublish", None),
          ("GET", "/api/queue", None), ("GET", "/api/audit", None)]


@pytest.mark.parametrize("method, path, body", WRITES)
def test_writes_need_a_valid_token(client: SyncClient, token: str, story_id: str, method: str, path: str,
                                   body: object) -> None:
    url = path.format(id=story_id)
    r = client.request(method, url, json=body)
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert r.json() == {"detail": "an API token is required (Authorization: Bearer <token>)"}
    for header in ("Basic ZWRpdG9yOnB3", "Bearer", "Bearer "):
        r = client.request(method, url, json=body, headers={"Authorization": header})
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    for wrong in ("tm_wrong", token + "x", token[3:]):
        r = client.request(method, url, json=body, headers={"Authorization": f"Bearer {wrong}"})
        assert (r.status_code, r.json()) == (403, {"detail": "invalid or revoked API token"})
    ok = client.request(method, url, json=body, headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code in (200, 201), ok.text


def test_revoked_token_is_refused(client: SyncClient, store: Store, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/queue", headers=headers).status_code == 200
    store.desk.revoke_token(store.desk.tokens()[0].id, actor="editor")
    assert client.get("/api/queue", headers=headers).status_code == 403


def test_session_cookie_works_for_the_api_only_with_the_csrf_header(client: SyncClient, story_id: str,
                                                                     editor_session: tuple[str, str]) -> None:
    _, csrf = editor_session
    assert client.get("/api/queue").status_code == 200  # reading needs no CSRF token
    body = {"rating": 2, "note": "denied on the record"}
    r = client.put(f"/api/stories/{story_id}/rating", json=body)
    assert (r.status_code, r.json()) == (403, {"detail": "missing or wrong X-CSRF-Token header"})
    r = client.put(f"/api/stories/{story_id}/rating", json=body, headers={"X-CSRF-Token": csrf + "x"})
    assert r.status_code == 403
    r = client.put(f"/api/stories/{story_id}/rating", json=body, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200 and r.json()["editor"] == "editor"
    client.cookies.set("tm_session", "not-a-session")
    r = client.get("/api/queue")
    assert (r.status_code, r.json()) == (403, {"detail": "the session has expired: log in again"})


# --- writes: the desk workflow ------------------------------------------------------------------

@pytest.mark.parametrize("body, detail", [
    ({"rating": 11, "note": "n"}, "rating: Input should be less than or equal to 10"),
    ({"rating": -1, "note": "n"}, "rating: Input should be greater than or equal to 0"),
    ({"rating": "5", "note": "n"}, "rating: must be a whole number from 0 to 10"),
    ({"rating": True, "note": "n"}, "rating: must be a whole number from 0 to 10"),
    ({"rating": 5.5, "note": "n"}, "rating: Input should be a valid integer, got a number with a fractional part"),
    ({"rating": 5}, "note: Field required"),
    ({"rating": 5, "note": "  "}, "note: must not be blank"),
    ({"note": "n"}, "rating: Field required"),
])
def test_rating_override_validates(client: SyncClient, auth_headers: dict[str, str], story_id: str,
                                   body: dict[str, object], detail: str) -> None:
    r = client.put(f"/api/stories/{story_id}/rating", json=body, headers=auth_headers)
    assert (r.status_code, r.json()) == (422, {"detail": detail})


@pytest.mark.parametrize("method, path", [("PUT", "rating"), ("POST", "publish"), ("POST", "unpublish")])
def test_writes_to_an_unknown_story_get_404(client: SyncClient, auth_headers: dict[str, str], method: str,
                                            path: str) -> None:
    r = client.request(method, f"/api/stories/nope/{path}", json={"rating": 1, "note": "n"}, headers=auth_headers)
    assert (r.status_code, r.json()) == (404, {"detail": "no story nope"})


def test_override_publish_correct_unpublish(client: SyncClient, auth_headers: dict[str, str], story_id: str,
                                            store: Store) -> None:
    model_rating = store.get_story(story_id).story.story_rating
    r = client.put(f"/api/stories/{story_id}/rating", json={"rating": 7, "note": "confirmed by the label"},
                   headers=auth_headers)
    assert r.status_code == 200
    assert {k: r.json()[k] for k in ("status", "final_rating", "final_verdict", "model_rating", "editor")} == \
        {"status": "reviewed", "final_rating": 7, "final_verdict": "Mostly true", "model_rating": model_rating,
         "editor": "editor"}
    r = client.post(f"/api/stories/{story_id}/publish", headers=auth_headers)
    assert r.status_code == 200 and r.json()["status"] == "published" and r.json()["published_at"]
    story = client.get(f"/api/stories/{story_id}").json()
    assert story["review"]["status"] == "published" and story["review"]["final_rating"] == 7
    assert story["story_rating"] == model_rating  # the model's rating stays beside the final one
    r = client.put(f"/api/stories/{story_id}/rating", json={"rating": 2, "note": "the label retracted it"},
                   headers=auth_headers)
    assert r.status_code == 200 and r.json()["status"] == "published"
    story = client.get(f"/api/stories/{story_id}").json()
    assert [(c["previous_rating"], c["new_rating"], c["note"], c["editor"]) for c in story["corrections"]] == \
        [(7, 2, "the label retracted it", "editor")]
    assert client.post(f"/api/stories/{story_id}/unpublish", headers=auth_headers).json()["status"] == "unpublished"
    audit = client.get("/api/audit", headers=auth_headers).json()
    mine = [(e["action"], e["actor"], e["target"]) for e in audit["items"] if e["target"] == story_id]
    assert mine == [("unpublish", "editor", story_id), ("correction", "editor", story_id),
                    ("publish", "editor", story_id), ("review", "editor", story_id)]
    assert audit["total"] >= 4


def test_queue_lists_unreviewed_stories(client: SyncClient, auth_headers: dict[str, str], story_id: str,
                                        store: Store) -> None:
    queue = client.get("/api/queue", headers=auth_headers).json()
    assert queue["total"] == store.count_stories() == len(queue["items"])
    assert [q["suspicion"] for q in queue["items"]] == sorted((q["suspicion"] for q in queue["items"]), reverse=True)
    client.put(f"/api/stories/{story_id}/rating", json={"rating": 5, "note": "n"}, headers=auth_headers)
    queue = client.get("/api/queue", headers=auth_headers, params={"limit": 200}).json()
    assert story_id not in {q["story"]["id"] for q in queue["items"]} and queue["total"] == store.count_stories() - 1


def test_a_tip_lands_in_the_queue_and_the_audit_log(client: SyncClient, auth_headers: dict[str, str]) -> None:
    r = client.post("/api/tips", json={"title": "Harrow exit shock", "text": RUMOUR, "note": "  Looks made up.  "})
    assert r.status_code == 201, r.text
    tip = r.json()
    assert tip["note"] == "Looks made up." and tip["story_id"]
    queue = client.get("/api/queue", headers=auth_headers, params={"limit": 200}).json()["items"]
    tipped = [q for q in queue if q["story"]["id"] == tip["story_id"]]
    assert len(tipped) == 1 and tipped[0]["tips"] == 1
    entry = client.get("/api/audit", headers=auth_headers).json()["items"][0]
    assert (entry["action"], entry["actor"], entry["target"]) == ("tip", "reader", tip["story_id"])
    r = client.post("/api/tips", json={"note": "no article"})
    assert (r.status_code, r.json()) == (422, {"detail": "body: give exactly one of text or url"})


def test_ingest_stores_articles_or_nothing(client: SyncClient, auth_headers: dict[str, str], store: Store) -> None:
    before = store.count()
    r = client.post("/api/articles", json=[{"text": TEXT}, {"text": "  "}], headers=auth_headers)
    assert (r.status_code, r.json()) == (422, {"detail": "item 1: api: no text given"})
    assert store.count() == before
    r = client.post("/api/articles", json=[{"text": TEXT}] * 101, headers=auth_headers)
    too_many = "too many articles in one request: 101, the limit is 100"
    assert (r.status_code, r.json()) == (413, {"detail": too_many})
    r = client.post("/api/articles", json=[{"title": "Vance back on stage", "text": TEXT}, {"text": RUMOUR}],
                    headers=auth_headers)
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["read"], body["new"], body["new_stories"] + body["updated_stories"] >= 1) == (2, 2, True)
    assert store.count() == before + 2
    for item in body["articles"]:
        assert client.get(f"/api/articles/{item['content_hash']}").json()["id"] == item["id"]
    again = client.post("/api/articles", json=[{"text": RUMOUR}], headers=auth_headers).json()
    assert (again["read"], again["new"]) == (1, 0)
