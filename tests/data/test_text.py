"""ember.data.text: CharVocab and WordVocab building, encode/decode round trips, plain-dict round trips."""
import json

import numpy as np
import pytest

import ember
from ember.data.text import CharVocab, WordVocab
from ember.errors import ArgumentError, DTypeError, IndexOutOfRangeError

TEXT = "the quick brown fox jumps over the lazy dog. the dog sleeps."


def test_char_vocab_round_trip_and_order():
    v = CharVocab.from_text(TEXT)
    assert sorted(v.itos) == sorted(set(TEXT)) and len(v) == len(set(TEXT))
    assert v.decode(v.encode(TEXT)) == TEXT
    counts = {c: TEXT.count(c) for c in set(TEXT)}
    expected = sorted(counts, key=lambda c: (-counts[c], c))  # most frequent first, ties by character
    assert v.itos == expected
    assert all(v.stoi[c] == i for i, c in enumerate(v.itos))
    assert CharVocab.from_text(TEXT, order="sorted").itos == sorted(set(TEXT))


def test_char_vocab_min_freq_max_size_and_unknowns():
    v = CharVocab.from_text("aaabbc", min_freq=2, specials=["<unk>"])
    assert v.itos == ["<unk>", "a", "b"]
    assert v.encode("abcz") == [1, 2, 0, 0] and v.unk_index == 0
    assert CharVocab.from_text("aaabbc", max_size=2).itos == ["a", "b"]
    plain = CharVocab.from_text("ab")
    with pytest.raises(ArgumentError, match="'z' is not in the vocabulary"):
        plain.encode("az")
    with pytest.raises(ArgumentError, match="max_size"):
        CharVocab.from_text("ab", specials=["<pad>", "<unk>"], max_size=1)
    with pytest.raises(ArgumentError, match="min_freq"):
        CharVocab.from_text("ab", min_freq=0)


def test_word_vocab_specials_bos_eos_and_decode():
    v = WordVocab.from_text(TEXT)
    assert v.itos[:4] == ["<pad>", "<unk>", "<bos>", "<eos>"]
    assert (v.pad_index, v.unk_index, v.bos_index, v.eos_index) == (0, 1, 2, 3)
    assert v.itos[4] == "the"  # the most frequent word
    ids = v.encode("the cat jumps", add_bos=True, add_eos=True)
    assert ids == [2, v["the"], 1, v["jumps"], 3]
    assert v.decode(ids) == "<bos> the <unk> jumps <eos>"
    assert v.decode(ids, skip_specials=True) == "the jumps"
    assert v.decode(np.array(ids[1:2])) == "the" and v.decode(ember.tensor(ids[1:2])) == "the"
    with pytest.raises(IndexOutOfRangeError):
        v.decode([len(v)])


def test_word_vocab_from_token_lists_and_lower():
    sents = [["A", "b"], ["b", "C", "b"]]
    v = WordVocab.from_tokens(sents, specials=["<pad>"])
    assert v.itos == ["<pad>", "b", "A", "C"]
    assert v.encode(["b", "A"]) == [1, 2]
    with pytest.raises(ArgumentError, match="no '<bos>' token"):
        v.encode("b", add_bos=True)
    low = WordVocab.from_text("Hello hello WORLD", lower=True, specials=["<unk>"])
    assert low.itos == ["<unk>", "hello", "world"] and low.encode("HELLO there") == [1, 0]
    flat = WordVocab.from_tokens(["x", "y", "x"], specials=[])
    assert flat.itos == ["x", "y"]


@pytest.mark.parametrize("cls, src", [(CharVocab, TEXT), (WordVocab, TEXT)])
def test_plain_dict_round_trip_through_json(cls, src):
    v = cls.from_text(src, specials=["<pad>", "<unk>"]) if cls is CharVocab else cls.from_text(src, lower=True)
    d = json.loads(json.dumps(v.to_dict()))
    w = cls.from_dict(d)
    assert w == v and w.itos == v.itos and w.specials == v.specials
    assert w.encode(src) == v.encode(src)


def test_bad_vocab_inputs():
    with pytest.raises(ArgumentError, match="appears twice"):
        CharVocab(["a", "a"])
    with pytest.raises(DTypeError):
        CharVocab(["a", 1])
    with pytest.raises(ArgumentError, match="'word' vocabulary"):
        CharVocab.from_dict(WordVocab.from_text("a b").to_dict())
    with pytest.raises(ArgumentError, match="itos"):
        WordVocab.from_dict({"tokens": []})
    with pytest.raises(DTypeError):
        WordVocab.from_text([1, 2])
