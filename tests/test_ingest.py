"""Readers: every input kind, and every bad-input rule (one ParseError each, stream goes on)."""

from __future__ import annotations

import io
import json
import random
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from truthmeter.errors import FetchError, ParseError
from truthmeter.ingest import STDIN, read_items
from truthmeter.ingest import text as text_module
from truthmeter.ingest.fetch import guarded
from truthmeter.ingest.text import iter_text, sniff_kind
from truthmeter.types import RawDocument

DATA = Path(__file__).parent / "data"
SHARED = next((p for p in (Path("/work/shared/data"), Path(__file__).parents[2] / "shared" / "data")
               if p.is_dir()), None)
needs_shared = pytest.mark.skipif(SHARED is None, reason="shared datasets not found at /work/shared/data "
                                                          "or ../shared/data")


def items(*paths: str | Path, **kwargs: str) -> list[RawDocument | ParseError]:
    return list(read_items([str(p) for p in paths], **kwargs))


def one_error(*paths: str | Path) -> ParseError:
    (result,) = items(*paths)
    assert isinstance(result, ParseError), result
    return result


# ---- bad input ----

def test_missing_path() -> None:
    error = one_error("/no/such/thing.txt")
    assert (error.line, error.why) == (None, "no such file or folder")


@pytest.mark.parametrize("content", [b"", b"  \n\t\n  "])
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(content)
    error = one_error(path)
    assert (error.path, error.line, error.why) == (str(path), None, "empty file")
    assert str(error) == f"{path}: empty file"


@pytest.mark.parametrize("name", ["blob.txt", "blob.bin"])
def test_binary_file_named_explicitly(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 50)
    assert one_error(path).why == "binary file, not text"


def test_control_characters_count_as_binary(tmp_path: Path) -> None:
    path = tmp_path / "noise.txt"
    path.write_bytes(bytes(range(1, 9)) * 20 + b"some text")
    assert one_error(path).why == "binary file, not text"


def test_oversized_file_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "huge.html"
    with open(path, "wb") as f:
        f.truncate(50_000_000)  # sparse: costs no disk and, if it were read, lots of time
    error = one_error(path)
    assert error.why == "file is 50.0 MB, over the 20 MB limit (set TRUTHMETER_MAX_FILE_BYTES)"


def test_size_limit_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUTHMETER_MAX_FILE_BYTES", "1000")
    path = tmp_path / "a.txt"
    path.write_text("Headline\n\n" + "word " * 400)
    assert one_error(path).why == "file is 0.0 MB, over the 0.001 MB limit (set TRUTHMETER_MAX_FILE_BYTES)"


def test_latin1_and_cp1252_decode(tmp_path: Path) -> None:
    path = tmp_path / "old.txt"
    text = "Beyoncé’s café tour\n\nThe singer said “merci” to fans in Montréal.\n"
    path.write_bytes(text.encode("cp1252"))
    (doc,) = items(path)
    assert isinstance(doc, RawDocument) and doc.kind == "text"
    assert doc.text == text
    latin = tmp_path / "latin.txt"
    latin.write_bytes("Señor Niño\n\nÀ bientôt.\n".encode("latin-1"))
    (doc,) = items(latin)
    assert isinstance(doc, RawDocument) and doc.text.startswith("Señor Niño")


# ---- folders, stdin, order ----

def test_folder_recursion_is_sorted_and_skips_hidden(tmp_path: Path) -> None:
    for name in ("b.txt", "a/z.txt", "a/c/d.md", "c.txt", ".hidden.txt", ".git/x.txt", "a/.env"):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"Title of {name}\n\nBody of {name}.\n")
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" * 20)  # skipped silently
    found = [Path(d.origin.path).relative_to(tmp_path).as_posix() for d in items(tmp_path)]
    assert found == ["a/c/d.md", "a/z.txt", "b.txt", "c.txt"]


def test_input_order_is_kept_and_errors_do_not_stop_the_stream(tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text("Headline\n\nBody text here.\n")
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    results = items(good, "/missing", empty, DATA / "feed.atom")
    kinds = [type(r).__name__ for r in results]
    assert kinds == ["RawDocument", "ParseError", "ParseError", "RawDocument"]


def test_stdin_plain_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("Star Weds In Secret\n\nBy Ann Bell\n\nThe star wed.\n"))
    (doc,) = items("-")
    assert isinstance(doc, RawDocument)
    assert (doc.origin.path, doc.kind) == (STDIN, "text")


def test_stdin_sniffs_jsonl(monkeypatch: pytest.MonkeyPatch) -> None:
    lines = [json.dumps({"id": "a", "text": "One story."}), json.dumps({"id": "b", "text": "Two."})]
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(lines)))
    docs = items("-")
    assert [(d.kind, d.fields["id"], d.origin.line) for d in docs] == [("record", "a", 1), ("record", "b", 2)]


def test_stdin_sniffs_html(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO((DATA / "claimreview.html").read_text()))
    (doc,) = items("-")
    assert doc.kind == "html"


def test_unknown_extension_is_sniffed(tmp_path: Path) -> None:
    path = tmp_path / "page.dat"
    path.write_text("<html><body><p>Hello there, world.</p></body></html>")
    (doc,) = items(path)
    assert doc.kind == "html"


@pytest.mark.parametrize(("head", "kind"), [
    ('{"text": "x"}', "json"), ("[{", "json"), ("[Exclusive] Star Splits\n\nBody.", "text"),
    ("<!DOCTYPE html><html>", "html"), ('<?xml version="1.0"?><rss>', "feed"), ("<feed xmlns=", "feed"),
    ("id,title,text\n1,a,b", "csv"), ("Title, text and more\n\nBody.", "text"), ("Plain words.", "text"),
])
def test_sniff_kind(head: str, kind: str) -> None:
    assert sniff_kind(head) == kind


# ---- JSON ----

def test_jsonl_bad_line_in_the_middle(tmp_path: Path) -> None:
    path = tmp_path / "items.jsonl"
    path.write_text('{"id": 1, "text": "First."}\n{"id": 2, "text": \n{"id": 3, "text": "Third."}\n')
    first, bad, third = items(path)
    assert isinstance(first, RawDocument) and first.fields["id"] == "1"
    assert isinstance(bad, ParseError) and bad.line == 2 and bad.why.startswith("not valid JSON: ")
    assert str(bad).startswith(f"{path}:2: not valid JSON")
    assert isinstance(third, RawDocument) and third.text == "Third." and third.origin.line == 3


def test_jsonl_lines_that_are_not_articles(tmp_path: Path) -> None:
    path = tmp_path / "items.ndjson"
    path.write_text('[1, 2]\n\n{"id": 5, "label": 1}\n{"text": ""}\n')
    errors = items(path)
    assert [(e.line, e.why) for e in errors] == [
        (1, "not a JSON object (found list)"),
        (3, "no text field: expected one of text, content, news_text, body, title"),
        (4, "empty text in field 'text'"),
    ]


def test_json_list_file(tmp_path: Path) -> None:
    path = tmp_path / "items.json"
    path.write_text(json.dumps([{"title": "A", "content": "Alpha story."}, {"body": "Beta story."}]))
    docs = items(path)
    assert [(d.text, d.origin.line) for d in docs] == [("Alpha story.", 1), ("Beta story.", 2)]
    assert docs[0].fields == {"title": "A"}


_TRICKY = ['plain', 'quote " inside', 'back\\slash', 'brackets ] } [ {', 'comma, "quoted, too"',
           'caf\u00e9 \u2019 \U0001f389', '\\"', 'new\nline', '']


@pytest.mark.parametrize("piece", [1, 2, 3, 7, 65536])
def test_json_list_streamed_in_any_piece_size_reads_as_json_does(tmp_path: Path, piece: int,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # Cuts at every position: escapes, strings, brackets and multibyte characters split across pieces.
    monkeypatch.setattr(text_module, "_PIECE", piece)
    rng = random.Random(piece)
    rows = [{"id": f"r{i}", "text": " ".join(rng.choices(_TRICKY, k=4)) + f" story {i}",
             "meta": {"tags": [rng.choice(_TRICKY)], "n": [i, [i]]}} for i in range(30)]
    path = tmp_path / "rows.json"
    for indent in (None, 2):
        path.write_text(json.dumps(rows, indent=indent, ensure_ascii=indent is None), encoding="utf-8")
        docs = items(path)
        assert [(d.text, d.origin.line) for d in docs] == [(r["text"].strip(), i) for i, r in enumerate(rows, 1)]


@pytest.mark.parametrize("piece", [1, 3, 65536])
def test_iter_text_never_splits_a_character(piece: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(text_module, "_PIECE", piece)
    text = "Beyonc\u00e9 \u2019 \U0001f389 caf\u00e9\nsecond line \u00e9\u00e9\n" * 3
    assert "".join(iter_text(io.BytesIO(text.encode("utf-8")))) == text
    assert "".join(iter_text(io.BytesIO(text.encode("utf-16")))) == text
    mixed = "caf\u00e9\n".encode() + "caf\u00e9\n".encode("cp1252")  # one line each: each decodes on its own
    assert "".join(iter_text(io.BytesIO(mixed))) == "caf\u00e9\ncaf\u00e9\n"


def test_json_object_pretty_printed(tmp_path: Path) -> None:
    path = tmp_path / "one.json"
    path.write_text(json.dumps({"id": "a", "title": "T", "text": "One story."}, indent=2))
    (doc,) = items(path)
    assert (doc.text, doc.fields, doc.origin.line) == ("One story.", {"id": "a", "title": "T"}, 1)


def test_json_lines_under_a_json_name(tmp_path: Path) -> None:
    path = tmp_path / "rows.json"
    path.write_text('\n{"id": 1, "text": "First."}\n{"id": 2, "text": \n{"id": 3, "text": "Third."}\n')
    first, bad, third = items(path)
    assert (first.text, first.origin.line, third.text, third.origin.line) == ("First.", 2, "Third.", 4)
    assert str(bad).startswith(f"{path}:3: not valid JSON: Expecting value")
    path.write_text('{"id": 1, "text": \n{"id": 2, "text": "Second."}\n')  # a broken first line too
    bad, second = items(path)
    assert (bad.line, second.text, second.origin.line) == (1, "Second.", 2)


def test_json_list_with_something_after_it(tmp_path: Path) -> None:
    path = tmp_path / "rows.json"
    path.write_text('[{"text": "One."}] {"text": "Two."}')
    one, error = items(path)
    assert one.text == "One." and str(error) == f"{path}: not valid JSON: extra data after the list"


def test_json_list_stray_bracket_fails_its_element_only(tmp_path: Path) -> None:
    path = tmp_path / "rows.json"
    path.write_text('[{"text": "One."}}, {"text": "Two."}]')
    bad, two = items(path)
    assert str(bad) == f"{path}:1: not valid JSON: Extra data"
    assert (two.text, two.origin.line) == ("Two.", 2)


def test_record_fields_use_canonical_names(tmp_path: Path) -> None:
    path = tmp_path / "arg.jsonl"
    path.write_text(json.dumps({"source_id": 0, "time": "2016-03-31 15:00:00", "label": 0,
                                "content": "Born and raised in the Philippines , she sang ."}) + "\n")
    (doc,) = items(path)
    assert doc.kind == "record"
    assert doc.text == "Born and raised in the Philippines , she sang ."
    assert doc.fields == {"id": "0", "date": "2016-03-31 15:00:00", "label": "0"}


# ---- CSV ----

def test_csv_without_text_column(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("a,b,c\n1,2,3\n4,5,6\n")
    error = one_error(path)
    assert (error.line, error.why) == (
        1, "no text column: expected one of text, content, news_text, body, title (found: a, b, c)")


def test_upfd_style_row(tmp_path: Path) -> None:
    # Comma-separated with tab-separated tweet ids inside one column, as in the UPFD files.
    path = tmp_path / "gossipcop_fake.csv"
    path.write_text("id,news_url,title,tweet_ids\n"
                    "gossipcop-1,www.example.com/a.html,Did the couple secretly marry?,111\t222\t333\n")
    (doc,) = items(path)
    assert doc.text == "Did the couple secretly marry?"
    assert doc.fields == {"id": "gossipcop-1", "title": "Did the couple secretly marry?",
                          "url": "www.example.com/a.html"}
    assert doc.origin.line == 2


def test_tsv_and_multiline_rows_keep_physical_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "t.tsv"
    path.write_text('id\ttext\n1\t"first line\nsecond line"\n\n2\tlast\n')
    first, second = items(path)
    assert (first.text, first.origin.line) == ("first line\nsecond line", 2)
    assert (second.text, second.origin.line) == ("last", 5)


def test_csv_text_field_option(tmp_path: Path) -> None:
    path = tmp_path / "llmfake.csv"
    path.write_text("news_id,news_text,label,synthetic_misinformation\n"
                    'g-1,"Original, human text.",1,"Rewritten, machine text."\n')
    (default,) = items(path)
    (chosen,) = items(path, text_field="synthetic_misinformation")
    assert default.text == "Original, human text."
    assert chosen.text == "Rewritten, machine text."
    assert chosen.fields == {"id": "g-1", "label": "1"}
    (error,) = items(path, text_field="missing")
    assert error.why.startswith("no text column: expected missing (found: news_id, news_text")


# ---- feeds ----

def test_rss_feed() -> None:
    first, second = items(DATA / "feed.rss")
    assert (first.kind, first.origin.line) == ("html", 1)
    assert first.fields == {"title": "Singer Announces World Tour", "url": "https://wire.example/tour",
                            "date": "2015-10-28", "author": "Pat Lee", "outlet": "Celebrity Wire"}
    assert (second.kind, second.origin.line) == ("record", 2)
    assert second.text == "The actor said there is no feud with his former co-star."


def test_atom_feed() -> None:
    (entry,) = items(DATA / "feed.atom")
    assert entry.kind == "html" and "first child" in entry.text
    assert entry.fields["author"] == "Sam Rivera" and entry.fields["outlet"] == "Showbiz Daily"
    assert entry.fields["date"] == "2016-03-31"


def test_feed_without_entries(tmp_path: Path) -> None:
    path = tmp_path / "empty.rss"
    path.write_text('<?xml version="1.0"?><rss version="2.0"><channel><title>T</title></channel></rss>')
    assert one_error(path).why == "feed has no entries"


# ---- URLs ----

def test_url_failure_is_one_fetch_error() -> None:
    (error,) = items("http://127.0.0.1:9/")
    assert isinstance(error, FetchError)
    assert error.path == "http://127.0.0.1:9/" and error.why.startswith("could not fetch: ")


class _Handler(BaseHTTPRequestHandler):
    pages = {"/page": ("text/html; charset=utf-8", (DATA / "claimreview.html").read_bytes()),
             "/feed": ("application/rss+xml", (DATA / "feed.rss").read_bytes()),
             "/big": ("text/plain", b"x" * 5000)}

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        if self.path.startswith("/to/"):  # /to/page answers 302 Location: /page
            self.send_response(302)
            self.send_header("Location", self.path[3:])
            self.end_headers()
            return
        content_type, body = self.pages.get(self.path, ("text/plain", b""))
        self.send_response(200 if self.path in self.pages else 404)
        self.send_header("Content-Type", content_type)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_url_fetch(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    (page,) = items(f"{server}/page")
    assert page.kind == "html" and page.fields == {"url": f"{server}/page"}
    assert [d.origin.line for d in items(f"{server}/feed")] == [1, 2]
    (missing,) = items(f"{server}/nope")
    assert isinstance(missing, FetchError) and missing.why == "could not fetch: HTTP 404 Not Found"
    monkeypatch.setenv("TRUTHMETER_FETCH_MAX_BYTES", "1000")
    (big,) = items(f"{server}/big")
    assert isinstance(big, FetchError) and "over the 0.001 MB limit" in big.why


def test_url_guard_sees_every_redirect_hop(server: str) -> None:
    (followed,) = items(f"{server}/to/page")
    assert followed.kind == "html" and "Did the Star Secretly Marry?" in followed.text
    seen: list[str] = []

    def no_page(url: str) -> str | None:
        seen.append(url)
        return "pages are off limits" if url == f"{server}/page" else None

    with guarded(no_page):
        (refused,) = items(f"{server}/to/page")
        (direct,) = items(f"{server}/page")
        (feed,) = items(f"{server}/to/feed")[:1]
    assert isinstance(refused, FetchError)
    assert refused.why == f"could not fetch: redirected to {server}/page: pages are off limits"
    assert isinstance(direct, FetchError) and direct.why == "could not fetch: pages are off limits"
    assert not isinstance(feed, FetchError)
    assert seen == [f"{server}/to/page", f"{server}/page", f"{server}/page", f"{server}/to/feed", f"{server}/feed"]
    (after,) = items(f"{server}/to/page")  # the guard ends with its block
    assert not isinstance(after, FetchError)


# ---- the real datasets (read in place, never copied) ----

@needs_shared
def test_arg_jsonl() -> None:
    first = next(read_items([str(SHARED / "arg_gossipcop" / "train.jsonl")]))
    assert first.kind == "record" and first.fields["id"] == "0" and first.fields["label"] == "0"


@needs_shared
def test_llmfake_csv() -> None:
    path = str(SHARED / "llmfake_gossipcop" / "gossipcop_rewrite_gpt35.csv")
    docs = list(read_items([path], text_field="synthetic_misinformation"))
    assert len(docs) == 551 and all(isinstance(d, RawDocument) for d in docs)


@needs_shared
def test_upfd_csv() -> None:
    docs = list(read_items([str(SHARED / "upfd_gossipcop" / "gossipcop_fake.csv")]))
    assert len(docs) == 2732 and all(isinstance(d, RawDocument) for d in docs)
    assert docs[0].fields["url"].startswith("www.dailymail.co.uk/")
