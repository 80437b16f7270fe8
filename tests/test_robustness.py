"""Style robustness: the tone edits (what they change, and that quoted speech never changes), the
pair and tone reports on a tiny model trained here, `truthmeter eval --pairs/--pairs-file/--tone`,
and the reports on the real LLMFake and ARG files when ../shared/data is there."""

from __future__ import annotations

import csv
import json
import os
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import truthmeter
from conftest import labelled_rows
from truthmeter.cli import main
from truthmeter.errors import DataError
from truthmeter.model.robustness import (PairReport, ToneReport, by_origin, llmfake_pairs, match_pairs, p_true,
                                         pair_robustness, tone_robustness)
from truthmeter.parse import extract_quotes
from truthmeter.tone import TONE_EDITS, calm, sensationalise, strip_outlets
from truthmeter.types import Article, Origin

pytestmark = pytest.mark.usefixtures("clean_env")

QUOTED = re.compile(r"“[^“”\n]+”|\"[^\"\n]+\"")


def quoted(text: str) -> list[str]:
    return QUOTED.findall(text)


def outside_quotes(text: str) -> str:
    return QUOTED.sub(" ", text)


def article(title: str, body: str, outlet: str | None = None) -> Article:
    return Article(id="a1", title=title, body=body, outlet=outlet, quotes=extract_quotes(body))


LOUD = article(
    "EXCLUSIVE: Nerys Dravik SHOCKING Split!",
    "Nerys Dravik has ended her engagement, a source told Us Weekly! The explosive split came after a "
    "totally stunning fight. \"This is SHOCKING and I am absolutely devastated!\" Dravik told PEOPLE. "
    "Fans are NEVER going to believe it!! Mr. Orlby declined to comment.", outlet="Nowhere Weekly")
PLAIN = article(
    "Ivo Orlby joins the cast of Moonwater",
    "Ivo Orlby has joined the cast of Moonwater, a representative confirmed on Monday. “I am thrilled to "
    "be back, it is a stunning show!” Orlby told Variety in an interview. The news was first reported by "
    "Nowhere Weekly. Filming begins in the spring. The studio shared a video on Instagram.",
    outlet="Nowhere Weekly")
# ARG / LLMFake shape: no title of its own, so the title is the body's first sentence.
OPENS_WITH_TITLE = article("Ivo Orlby joins Moonwater.",
                           "Ivo Orlby joins Moonwater. He told TMZ that the series \"is a dream come true\". "
                           "The news came on Monday.")


# ---- tone edits ----

@pytest.mark.parametrize("name", list(TONE_EDITS))
@pytest.mark.parametrize("source", [LOUD, PLAIN, OPENS_WITH_TITLE], ids=["loud", "plain", "opens-with-title"])
def test_every_edit_keeps_quotes_id_and_is_deterministic(name: str, source: Article) -> None:
    edited = TONE_EDITS[name](source)
    assert edited == TONE_EDITS[name](source)  # pure and deterministic
    assert edited.id == source.id and edited.label == source.label
    assert quoted(edited.body) == quoted(source.body)  # quoted speech is never touched
    assert [q.text for q in edited.quotes] == [q.text for q in source.quotes]
    assert edited.quotes == extract_quotes(edited.body)  # offsets consistent with the new body
    # A body that opened with its headline still does: the model never reads the headline twice.
    assert edited.title_in_text == source.title_in_text


def test_sensationalise() -> None:
    loud = sensationalise(PLAIN)
    assert loud.title == "SHOCKING: Ivo Orlby joins the cast of Moonwater!"
    outside = outside_quotes(loud.body)
    assert sum(w in outside for w in ("shocking", "stunning", "jaw-dropping")) >= 2
    assert outside.count("!") == 3 and outside_quotes(PLAIN.body).count("!") == 0
    assert "Monday!" in loud.body and "the shocking cast" not in loud.body
    assert "a representative" in loud.body  # only nouns from the list get an adjective
    headline = sensationalise(OPENS_WITH_TITLE)
    assert headline.body.startswith("SHOCKING: Ivo Orlby joins Moonwater! He told TMZ")


def test_calm() -> None:
    quiet = calm(LOUD)
    assert quiet.title == "Nerys Dravik shocking Split."
    outside = outside_quotes(quiet.body)
    assert "!" not in outside and "NEVER" not in outside and "never going" in outside
    assert not any(w in outside.lower().split() for w in ("explosive", "totally", "stunning"))
    assert "The split came after a fight." in quiet.body
    assert "Mr. Orlby" in quiet.body and "PEOPLE" in quiet.body  # names and outlets are not tone
    assert quoted(quiet.body) == ["\"This is SHOCKING and I am absolutely devastated!\""]
    # what sensationalise adds, calm takes away again
    assert calm(sensationalise(PLAIN)).body == PLAIN.body


def test_calm_keeps_grammar() -> None:
    a = article("t", "It was an explosive row, and an absolutely huge one. They are totally and utterly in love. "
                     "The reveal was stunning. Stunning news: it is over.")
    assert calm(a).body == ("It was a row, and a huge one. They are totally and utterly in love. "
                            "The reveal was stunning. News: it is over.")


def test_strip_outlets() -> None:
    stripped = strip_outlets(PLAIN)
    assert stripped.outlet is None
    assert "Nowhere Weekly" not in stripped.body and "Variety" not in stripped.body
    assert "Orlby told a magazine in an interview" in stripped.body
    assert "first reported by a magazine." in stripped.body
    loud = strip_outlets(LOUD)
    assert "a source told a magazine!" in loud.body and "Dravik told a magazine." in loud.body
    many = article("TMZ: Star Wars actor spotted", "Star Wars fans told E! News and Page Six about it. "
                   "The Daily Mail reports more. People were happy. According to the Hollywood Reporter, yes. "
                   "\"I read it in TMZ,\" she said.")
    out = strip_outlets(many)
    assert out.title == "A magazine: Star Wars actor spotted"
    assert out.body == ("Star Wars fans told a magazine about it. A magazine reports more. People were happy. "
                        "According to a magazine, yes. \"I read it in TMZ,\" she said.")


def test_edits_leave_an_article_without_any_of_it_alone() -> None:
    dull = article("A quiet day", "Nothing happened on Monday, the council said")
    assert calm(dull) == dull and strip_outlets(dull) == replace(dull, outlet=None)


# ---- pair and tone reports ----

@pytest.fixture(scope="module")
def model(tiny_result):  # type: ignore[no-untyped-def]
    return tiny_result.model


def held_out(n: int = 20, seed: int = 7) -> list[Article]:
    """Synthetic stories the tiny model never saw: it rates them all correctly, far from the cut."""
    return [Article(id=f"h{r['id']}", title=str(r["title"]), body=str(r["content"]), label=int(r["label"]),
                    origin=Origin("held-out.jsonl", i + 1)) for i, r in enumerate(labelled_rows(n, seed=seed))]


def test_identical_variants_change_nothing(model) -> None:  # type: ignore[no-untyped-def]
    originals = held_out()
    report = pair_robustness(originals, [replace(a) for a in reversed(originals)], model)
    assert report == PairReport(n_pairs=20, n_fake=10, n_real=10, n_unmatched=0, threshold=model.threshold,
                                fake_recall_original=1.0, fake_recall_variant=1.0, recall_drop_points=0.0,
                                real_fpr_original=0.0, mean_abs_change=0.0, mean_abs_change_fake=0.0,
                                mean_signed_change_fake=0.0)
    assert report.to_dict()["recall_drop_points"] == 0.0


def test_fakes_rewritten_as_reporting_lose_all_recall(model) -> None:  # type: ignore[no-untyped-def]
    originals = held_out()
    fakes, reals = [a for a in originals if a.label == 1], [a for a in originals if a.label == 0]
    # Each fake's "rewrite" reads like on-record reporting; the reals are copied (LLMFake's shape).
    variants = [replace(r, id=f.id, label=1) for f, r in zip(fakes, reals)] + [replace(r) for r in reals]
    report = pair_robustness(originals, variants, model)
    assert (report.n_pairs, report.n_fake, report.n_real, report.n_unmatched) == (20, 10, 10, 0)
    assert (report.fake_recall_original, report.fake_recall_variant) == (1.0, 0.0)
    assert report.recall_drop_points == 100.0 and report.real_fpr_original == 0.0
    # The rating change is what `rate` itself reports for the same texts.
    rated = {x.article.id: x.rating.truth_rating for x in truthmeter.rate(fakes, model)}
    moved = [r.rating.truth_rating - rated[f.id] for f, r in zip(fakes, truthmeter.rate(reals[:10], model))]
    assert report.mean_signed_change_fake == pytest.approx(np.mean(moved))
    assert report.mean_abs_change_fake == pytest.approx(np.mean(np.abs(moved)))
    assert report.mean_abs_change == pytest.approx(np.sum(np.abs(moved)) / 20)


def test_pairing(model) -> None:  # type: ignore[no-untyped-def]
    originals = held_out(6)
    report = pair_robustness(originals, originals[:4] + [replace(originals[0], id="stray")], model)
    assert (report.n_pairs, report.n_unmatched) == (4, 3)  # 2 originals and 1 variant without a partner
    with pytest.raises(DataError, match="two variants share the key"):
        match_pairs(originals, [originals[0], originals[0]])
    with pytest.raises(DataError, match="no original has a variant"):
        pair_robustness(originals, [replace(a, id="x" + a.id) for a in originals], model)
    by_row, _ = match_pairs(originals, [replace(a, id="other") for a in originals[::-1]], key=by_origin)
    assert [(o.id, v.origin) for o, v in by_row] == [(o.id, o.origin) for o in originals]


def test_tone_report(model) -> None:  # type: ignore[no-untyped-def]
    articles = held_out(30) + [replace(PLAIN, label=None), replace(LOUD, label=1)]
    report = tone_robustness(articles, model)
    assert isinstance(report, ToneReport) and report.n == 16  # 15 real + 1 unlabelled; fakes left out
    assert [e.edit for e in report.effects] == ["sensationalise", "calm", "strip_outlets"]
    sens = report.effects[0]
    assert sens.n_edited == 16 and sens.mean_abs_change >= abs(sens.mean_signed_change)
    assert report.effects[2].n_edited >= 1  # the outlets in the synthetic reals and PLAIN
    changes = [e.mean_abs_change for e in report.effects]
    assert report.mean_abs_change == pytest.approx(np.mean(changes))
    d = report.to_dict()
    assert set(d["effects"]) == set(TONE_EDITS) and d["n"] == 16  # type: ignore[arg-type]
    json.dumps(d)
    with pytest.raises(DataError, match="no real or unlabelled"):
        tone_robustness([a for a in articles if a.label == 1], model)


def test_p_true_matches_rate(model) -> None:  # type: ignore[no-untyped-def]
    articles = held_out(6)
    assert p_true(model, articles) == pytest.approx([x.rating.p_true for x in truthmeter.rate(articles, model)])
    assert len(p_true(model, [])) == 0


# ---- the command line ----

@pytest.fixture(scope="module")
def model_dir(tiny_result, tmp_path_factory: pytest.TempPathFactory) -> str:  # type: ignore[no-untyped-def]
    return str(tiny_result.model.save(tmp_path_factory.mktemp("robust") / "model"))


def llmfake_csv(path: Path, n: int = 20) -> Path:
    """LLMFake's shape: fakes with a rewrite in synthetic_misinformation (here: on-record reporting),
    reals with a copy of news_text."""
    rows = labelled_rows(n, seed=11)
    reals = [r for r in rows if r["label"] == 0]
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["news_id", "news_text", "label", "lang", "theme", "synthetic_misinformation"])
        for i, r in enumerate(rows):
            text = f"{r['title']}. {r['content']}"
            rewrite = f"{reals[i // 2]['title']}. {reals[i // 2]['content']}" if r["label"] == 1 else text
            w.writerow([f"gossipcop-{i}", text, r["label"], "en", "celebrity", rewrite])
    return path


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    return result.exit_code, result.stdout, result.stderr


def test_eval_pairs(tmp_path: Path, model_dir: str) -> None:
    path = str(llmfake_csv(tmp_path / "llmfake.csv"))
    code, out, err = invoke("eval", path, "--pairs", "synthetic_misinformation", "--model", model_dir,
                            "--format", "json")
    assert code == 0, err
    report = json.loads(out)
    assert report["n"] == 20 and "macro_f1" in report  # the usual metrics come first, unchanged
    assert report["pairs"] == {**report["pairs"], "n_pairs": 20, "n_fake": 10, "n_real": 10, "n_unmatched": 0,
                               "fake_recall_original": 1.0, "fake_recall_variant": 0.0,
                               "recall_drop_points": 100.0, "real_fpr_original": 0.0}
    code, text, _ = invoke("eval", path, "--pairs", "synthetic_misinformation", "--model", model_dir)
    lines = text.splitlines()
    assert lines[0].split() == ["n", "20"] and "pairs:" in lines
    assert any(line.split() == ["recall_drop_points", "100.0"] for line in lines)


def test_eval_pairs_file_and_tone(tmp_path: Path, model_dir: str) -> None:
    path = str(llmfake_csv(tmp_path / "llmfake.csv"))
    code, out, err = invoke("eval", path, "--pairs-file", path, "--tone", "--model", model_dir, "--format", "json")
    assert code == 0, err
    report = json.loads(out)
    assert report["pairs"]["n_pairs"] == 20 and report["pairs"]["mean_abs_change"] == 0.0  # matched by id
    assert set(report["tone"]["effects"]) == {"sensationalise", "calm", "strip_outlets"}
    code, text, _ = invoke("eval", path, "--tone", "--model", model_dir)
    assert code == 0 and "tone:" in text and "pairs:" not in text
    assert all(re.search(rf"^\s+{e}\s", text, re.M) for e in TONE_EDITS)
    code, _, err = invoke("eval", path, "--pairs", "x", "--pairs-file", path)
    assert code == 2 and "not both" in err


# ---- the real data ----

def _shared() -> Path | None:
    env = os.environ.get("TRUTHMETER_SHARED")
    candidates = [Path(env), Path(env) / "data"] if env else []
    candidates.append(Path(__file__).resolve().parents[2] / "shared" / "data")
    return next((p for p in candidates if (p / "llmfake_gossipcop").is_dir()), None)


SHARED = _shared()
needs_shared = pytest.mark.skipif(SHARED is None, reason="shared datasets not found at ../shared/data "
                                                          "(or $TRUTHMETER_SHARED): LLMFake/ARG robustness not run")


@pytest.mark.shared_data
@needs_shared
def test_real_llmfake_and_arg_reports_are_well_formed() -> None:
    model = truthmeter.load_model()
    originals, variants = llmfake_pairs(str(SHARED / "llmfake_gossipcop" / "gossipcop_paraphrase_gpt35.csv"))
    assert len(originals) == len(variants) == 551
    assert all(o.id == v.id and o.label == v.label for o, v in zip(originals, variants))
    report = pair_robustness(originals, variants, model).to_dict()
    assert (report["n_pairs"], report["n_fake"] + report["n_real"], report["n_unmatched"]) == (551, 551, 0)
    assert all(0 <= report[k] <= 1 for k in ("fake_recall_original", "fake_recall_variant", "real_fpr_original"))
    assert 0 <= report["mean_abs_change"] <= 10
    val = [a for a in truthmeter.read(SHARED / "arg_gossipcop" / "val.jsonl")][:300]
    tone = tone_robustness(val, model).to_dict()
    assert tone["n"] == sum(a.label != 1 for a in val) and set(tone["effects"]) == set(TONE_EDITS)
    assert all(0 <= e["mean_abs_change"] <= 10 for e in tone["effects"].values())  # type: ignore[union-attr]
