"""rnnkit.translate: pairs split by source sentence, subwords that round-trip, the baselines,
scores against several references, and the commands end to end on small pairs."""

import itertools
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sacrebleu.metrics import BLEU

from rnnkit._checks import InputError
from rnnkit.cli.app import main
from rnnkit.translate.baselines import WordByWord, ibm_model1
from rnnkit.translate.pairs import Pairs, read_pairs, references, split_by_source
from rnnkit.translate.scores import corpus_scores
from rnnkit.translate.tokens import Subwords, Truecaser, normalise
from rnnkit.translate.translator import Translator

ANIMALS = {"cat": "chat", "dog": "chien", "bird": "oiseau", "horse": "cheval", "fish": "poisson"}
COLOURS = {"black": "noir", "white": "blanc", "small": "petit", "big": "grand"}


def _pairs() -> list[tuple[str, str]]:
    """Toy English-French pairs: adjective and noun swap places; some have two translations."""
    rows = []
    for (a, fa), (c, fc) in itertools.product(ANIMALS.items(), COLOURS.items()):
        for verb, fverb in (("sees", "voit"), ("likes", "aime")):
            rows.append((f"The {c} {a} {verb} Tom.", f"Le {fa} {fc} {fverb} Tom."))
        rows.append((f"I see the {c} {a}.", f"Je vois le {fa} {fc}."))
        rows.append((f"I see the {c} {a}.", f"Je vois le {fa} {fc}\u202f!"))
    return rows


@pytest.fixture(scope="module")
def pairs_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("pairs") / "pairs.tsv"
    path.write_text("".join(f"{e}\t{f}\tattribution\n" for e, f in _pairs()), encoding="utf-8")
    return path


# -- pairs -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "message"), [
    ("Go.\tVa !\nRun!\n", "line 2: no tab"),
    ("Go.\tVa !\n\nRun!\tCours !\n", "line 2: an empty line"),
    ("Go.\t \n", "line 1: the target sentence is empty"),
    ("", "holds no sentence pair"),
])
def test_bad_pair_files_are_named_with_their_line(tmp_path, text, message):
    path = tmp_path / "pairs.tsv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        read_pairs(path)


sentences = st.lists(st.tuples(st.sampled_from("abcdefghij"), st.text("xyz", min_size=1,
                                                                       max_size=3)),
                     min_size=1, max_size=40)


@settings(max_examples=40, deadline=None)
@given(sentences, sentences)
def test_every_translation_of_a_source_lands_on_one_side_whatever_else_the_file_holds(a, b):
    pairs = Pairs(tuple(f"s{s}" for s, _ in a + b) + tuple(f"t{k}" for k in range(20)),
                  tuple(t for _, t in a + b) + ("x",) * 20, "demo")
    kept, held = split_by_source(pairs, 0.3, "test")
    assert not set(kept.sources) & set(held.sources)
    assert sorted(zip(kept.sources + held.sources, kept.targets + held.targets,
                      strict=True)) == sorted(zip(pairs.sources, pairs.targets, strict=True))
    fewer = pairs.subset(list(range(len(a), len(pairs))), "demo")
    _, held_fewer = split_by_source(fewer, 0.3, "test")
    assert set(held_fewer.sources) == set(held.sources) & set(fewer.sources)
    sources, refs = references(held)
    assert sum(map(len, refs)) == len(held) and len(set(sources)) == len(sources)


# -- tokens and baselines ----------------------------------------------------------------------
def test_subwords_round_trip_what_a_person_reads():
    english = [e for e, _ in _pairs()]
    subwords = Subwords.learn(english, vocab_size=60)
    for sentence in english + ["The  black horse\u202fsees Tom."]:
        assert subwords.decode(subwords.encode(sentence)) == normalise(sentence)
    assert normalise("Vois\u202f! L\u2019eau") == "Vois ! L'eau"
    rebuilt = Subwords.rebuilt(subwords.tensor(), subwords.record())
    assert rebuilt.encode("I see the big dog.") == subwords.encode("I see the big dog.")
    assert subwords.unknown("Ölkatze") == {"Ö", "z", "k"} - set("".join(english))


def test_the_truecaser_lowers_only_a_capital_that_marks_the_start():
    caser = Truecaser.learn(["I like Paris.", "We saw Paris.", "It is here.", "Is it it?"])
    assert caser.lower("Paris is big.") == "Paris is big."
    assert caser.lower("It is big.") == "it is big." and caser.restore("it is big.") == \
        "It is big."
    assert caser.lower("I am.") == "I am."


def test_ibm_model1_learns_the_word_for_word_dictionary():
    english, french = zip(*_pairs(), strict=True)
    table = ibm_model1(list(english), list(french), iterations=10)
    for e, f in ANIMALS.items() | COLOURS.items():
        assert max(table[e], key=table[e].get) == f
    assert WordByWord.fit(list(english), list(french)).translate(["The big bird."]) == \
        ["Le grand oiseau."]


def test_scores_use_every_reference_of_a_sentence():
    hypotheses = ["the cat is on the mat", "a dog runs in the park"]
    refs = [["the cat sits on a mat", "the cat is on the mat"], ["a dog runs in the park"]]
    assert corpus_scores(hypotheses, refs)["bleu"] == 100.0
    only_first = BLEU().corpus_score(hypotheses, [[r[0] for r in refs]]).score
    assert corpus_scores(hypotheses, [r[:1] for r in refs])["bleu"] == round(only_first, 2)
    assert only_first < 100.0


# -- the commands ------------------------------------------------------------------------------
TINY = ["--epochs", "3", "--vocab-size", "60", "--embedding-size", "16", "--hidden-size", "16",
        "--batch-size", "16", "--test-fraction", "0.2", "--examples", "2", "--no-progress"]


@pytest.fixture(scope="module")
def trained(pairs_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("translate")
    assert main(["translate", "train", "--data", str(pairs_file), "--out", str(out),
                 *TINY]) == 0
    return out


def test_translate_train_writes_its_model_scores_and_figures(trained):
    metrics = json.loads((trained / "metrics.json").read_text())
    for name in ("model", "copy_source", "word_by_word"):
        assert metrics[name]["bleu_signature"].startswith("nrefs:var|case:mixed")
    assert len(metrics["history"]) == 3 and "val_bleu" in metrics["history"][0]
    for name in ("model/weights.safetensors", "translations.csv", "loss.png", "attention.png"):
        assert (trained / name).is_file()
    import pandas as pd

    table = pd.read_csv(trained / "translations.csv")
    assert list(table.columns) == ["source", "references", "hypothesis", "chrf"]
    assert len(table) == metrics["pairs"]["test_sentences"]
    assert metrics["word_by_word"]["bleu"] > metrics["copy_source"]["bleu"]


def test_translate_prints_a_line_per_sentence_as_the_saved_model_translates(trained, tmp_path,
                                                                            capsys):
    model = Translator.load(trained / "model")
    sentences = ["I see the small fish.", "The white cat likes Tom."]
    expected = model.translate(sentences)
    capsys.readouterr()
    assert main(["translate", "--model", str(trained / "model"), *sentences]) == 0
    assert capsys.readouterr().out.splitlines() == expected
    lines = tmp_path / "in.txt"
    lines.write_text("\n".join(sentences[::-1]) + "\n", encoding="utf-8")
    assert main(["translate", "--model", str(trained / "model"), "--input", str(lines)]) == 0
    assert capsys.readouterr().out.splitlines() == expected[::-1]


@pytest.mark.parametrize(("args", "message"), [
    (["translate", "--model", "{out}/model", "Hi.", "\u65e5\u672c\u8a9e"],
     "sentence 2: no character"),
    (["translate", "--model", "{out}", "Hello."], "pass its model"),
    (["translate", "--model", "{out}/model"], "give the sentences to translate"),
    (["translate", "--model", "{out}/model", "--input", "{out}/none.txt"], "no such file"),
    (["translate", "train", "--data", "{out}/none.tsv", "--out", "{out}/x"], "no such file"),
])
def test_translate_bad_input_is_one_line(trained, capsys, args, message):
    argv = [a.format(out=trained) for a in args]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_a_model_folder_of_another_kind_is_refused(trained, tmp_path, capsys):
    from rnnkit.io.files import save_model

    save_model(tmp_path / "model", "CharLM", {}, {})
    assert main(["translate", "--model", str(tmp_path / "model"), "Hi."]) == 2
    err = capsys.readouterr().err
    assert "CharLM" in err or "rnnkit text train" in err


def test_the_test_sentences_are_cut_before_anything_learns(pairs_file, tmp_path, monkeypatch):
    import pandas as pd

    from rnnkit.cli.jobs import translate as job

    seen: list[str] = []
    for owner in (job.Translator, job.WordByWord):
        original = owner.fit

        def spy(*args, _original=original, **kwargs):
            sources = args[1] if isinstance(args[0], job.Translator) else args[0]
            seen.extend(sources)
            return _original(*args, **kwargs)

        monkeypatch.setattr(owner, "fit", spy if owner is job.Translator else classmethod(
            lambda cls, *args, _spy=spy, **kwargs: _spy(*args, **kwargs)))
    out = tmp_path / "out"
    assert main(["translate", "train", "--data", str(pairs_file), "--out", str(out),
                 *TINY[:-1], "--epochs", "1", "--no-progress"]) == 0
    tested = set(pd.read_csv(out / "translations.csv")["source"])
    assert seen and tested and not tested & set(seen)


def test_a_bad_line_of_an_input_file_is_named(trained, tmp_path, capsys):
    lines = tmp_path / "in.txt"
    lines.write_text("I see the dog.\n\u65e5\u672c\u8a9e\n", encoding="utf-8")
    assert main(["translate", "--model", str(trained / "model"), "--input", str(lines)]) == 2
    err = capsys.readouterr().err
    assert f"{lines} line 2: no character of" in err and len(err.strip().splitlines()) == 1
