"""Vocabularies for text: `CharVocab` (one token per character) and `WordVocab`.

Tokens are numbered specials first, then by falling frequency (ties by the
token itself, so the numbering is the same every run). A vocabulary turns into
a plain JSON-able dict and back (`to_dict` / `from_dict`).

    >>> v = CharVocab.from_text("hello world")
    >>> v.decode(v.encode("hold"))
    'hold'
    >>> w = WordVocab.from_text("the cat sat on the mat")
    >>> w.encode("the dog"), w.itos[:5]
    ([4, 1], ['<pad>', '<unk>', '<bos>', '<eos>', 'the'])
"""
import collections
import numbers

from ember.errors import ArgumentError, DTypeError, IndexOutOfRangeError

__all__ = ["Vocab", "CharVocab", "WordVocab"]

SPECIALS = ("<pad>", "<unk>", "<bos>", "<eos>")


class Vocab:
    """A token <-> index table: `stoi` (dict) and `itos` (list).

    Unknown tokens map to `unk_token` when the vocabulary has it, and are an
    error otherwise. Subclasses say how text splits into tokens (`tokenize`)
    and how tokens join back (`join`).
    """

    kind = "vocab"

    def __init__(self, itos, unk_token="<unk>", pad_token="<pad>", bos_token="<bos>", eos_token="<eos>",
                 specials=()):
        itos = list(itos)
        for t in itos:
            if not isinstance(t, str):
                raise DTypeError(f"{type(self).__name__}: tokens must be strings, got {type(t).__name__} {t!r}")
        self.itos = itos
        self.stoi = {}
        for i, t in enumerate(itos):
            if t in self.stoi:
                raise ArgumentError(f"{type(self).__name__}: token {t!r} appears twice (indices "
                                    f"{self.stoi[t]} and {i}); tokens must be unique")
            self.stoi[t] = i
        self.specials = [s for s in specials if s in self.stoi]
        self.unk_token, self.pad_token, self.bos_token, self.eos_token = unk_token, pad_token, bos_token, eos_token

    # --- building -------------------------------------------------------
    @classmethod
    def from_counter(cls, counter, min_freq=1, max_size=None, specials=None, order="frequency", **tokens):
        """A vocabulary of the tokens in `counter` seen at least `min_freq` times.

        `max_size` caps the whole vocabulary, specials included; `order` is
        "frequency" (most frequent first) or "sorted" (by the token).
        """
        specials = list(cls.default_specials if specials is None else specials)
        if not isinstance(min_freq, numbers.Integral) or min_freq < 1:
            raise ArgumentError(f"{cls.__name__}: min_freq must be an int >= 1, got {min_freq!r}")
        if max_size is not None and (not isinstance(max_size, numbers.Integral) or max_size < len(specials)):
            raise ArgumentError(f"{cls.__name__}: max_size must be an int >= the number of specials "
                                f"({len(specials)}), got {max_size!r}")
        if order not in ("frequency", "sorted"):
            raise ArgumentError(f"{cls.__name__}: order must be 'frequency' or 'sorted', got {order!r}")
        kept = [(t, c) for t, c in counter.items() if c >= min_freq and t not in specials]
        kept.sort(key=(lambda tc: (-tc[1], tc[0])) if order == "frequency" else (lambda tc: tc[0]))
        words = [t for t, _ in kept]
        if max_size is not None:
            words = words[:max_size - len(specials)]
        return cls(specials + words, specials=specials, **tokens)

    @classmethod
    def from_tokens(cls, tokens, min_freq=1, max_size=None, specials=None, order="frequency", **kw):
        """Build from tokens: a flat list of strings, or a list of token lists (one per sentence)."""
        counter = collections.Counter()
        for item in tokens:
            if isinstance(item, str):
                counter[item] += 1
            else:
                counter.update(item)
        return cls.from_counter(counter, min_freq, max_size, specials, order, **kw)

    @classmethod
    def from_text(cls, text, min_freq=1, max_size=None, specials=None, order="frequency", **kw):
        """Build from a string, or an iterable of strings (documents or lines)."""
        texts = [text] if isinstance(text, str) else text
        counter = collections.Counter()
        tokenizer = cls._tokenizer(kw)
        for t in texts:
            if not isinstance(t, str):
                raise DTypeError(f"{cls.__name__}.from_text: expected strings, got {type(t).__name__}")
            counter.update(tokenizer(t))
        return cls.from_counter(counter, min_freq, max_size, specials, order, **kw)

    # --- lookups --------------------------------------------------------
    def __len__(self):
        return len(self.itos)

    def __contains__(self, token):
        return token in self.stoi

    def __getitem__(self, token):
        """The index of `token`; the unknown token's index if absent (error if there is none)."""
        i = self.stoi.get(token)
        if i is None:
            if self.unk_index is None:
                raise ArgumentError(f"{type(self).__name__}: token {token!r} is not in the vocabulary "
                                    f"({len(self)} tokens) and it has no {self.unk_token!r} token; "
                                    f"build it with specials including {self.unk_token!r}")
            return self.unk_index
        return i

    def lookup_token(self, index):
        if not isinstance(index, numbers.Integral) or not 0 <= index < len(self.itos):
            raise IndexOutOfRangeError(f"{type(self).__name__}: index {index!r} is out of range for a "
                                       f"vocabulary of {len(self.itos)} tokens")
        return self.itos[int(index)]

    def _index_of(self, name):
        return self.stoi.get(getattr(self, name + "_token"))

    unk_index = property(lambda self: self._index_of("unk"), doc="Index of the unknown token, or None.")
    pad_index = property(lambda self: self._index_of("pad"), doc="Index of the padding token, or None.")
    bos_index = property(lambda self: self._index_of("bos"), doc="Index of the begin token, or None.")
    eos_index = property(lambda self: self._index_of("eos"), doc="Index of the end token, or None.")

    # --- encode / decode ------------------------------------------------
    def encode(self, text, add_bos=False, add_eos=False):
        """Indices of a string (tokenized) or of a list of tokens, optionally framed by <bos>/<eos>."""
        tokens = self.tokenize(text) if isinstance(text, str) else list(text)
        ids = [self[t] for t in tokens]
        if add_bos:
            ids.insert(0, self._special_index("bos"))
        if add_eos:
            ids.append(self._special_index("eos"))
        return ids

    def _special_index(self, name):
        i = self._index_of(name)
        if i is None:
            raise ArgumentError(f"{type(self).__name__}.encode: add_{name}=True but the vocabulary has "
                                f"no {getattr(self, name + '_token')!r} token")
        return i

    def decode(self, ids, skip_specials=False):
        """Tokens of `ids` (ints, an integer array or tensor) joined back into text."""
        if hasattr(ids, "tolist"):
            ids = ids.tolist()
        if isinstance(ids, numbers.Integral):
            ids = [ids]
        tokens = [self.lookup_token(i) for i in ids]
        if skip_specials:
            tokens = [t for t in tokens if t not in self.specials]
        return self.join(tokens)

    # --- plain dicts ----------------------------------------------------
    def to_dict(self):
        """A JSON-able dict that `from_dict` turns back into an equal vocabulary."""
        return {"kind": self.kind, "itos": list(self.itos), "specials": list(self.specials),
                "unk_token": self.unk_token, "pad_token": self.pad_token, "bos_token": self.bos_token,
                "eos_token": self.eos_token, **self._extra()}

    @classmethod
    def from_dict(cls, d):
        if not isinstance(d, dict) or "itos" not in d:
            raise ArgumentError(f"{cls.__name__}.from_dict: expected a dict with an 'itos' list, got {type(d).__name__}")
        if d.get("kind", cls.kind) != cls.kind:
            raise ArgumentError(f"{cls.__name__}.from_dict: the dict holds a {d['kind']!r} vocabulary, "
                                f"not a {cls.kind!r} one; use the matching class")
        keys = ("unk_token", "pad_token", "bos_token", "eos_token", "specials") + cls._extra_keys
        return cls(d["itos"], **{k: d[k] for k in keys if k in d})

    def __eq__(self, other):
        return type(self) is type(other) and self.to_dict() == other.to_dict()

    def __repr__(self):
        return f"{type(self).__name__}(size={len(self)}, specials={self.specials})"

    _extra_keys = ()

    def _extra(self):
        return {}


class CharVocab(Vocab):
    """One token per character; no specials unless asked for.

        >>> v = CharVocab.from_text("abcab", specials=["<unk>"])
        >>> v.itos, v.encode("abz")
        (['<unk>', 'a', 'b', 'c'], [1, 2, 0])
    """

    kind = "char"
    default_specials = ()

    @staticmethod
    def _tokenizer(kw):
        return list

    def tokenize(self, text):
        return list(text)

    def join(self, tokens):
        return "".join(tokens)


class WordVocab(Vocab):
    """Whitespace-separated words (optionally lower-cased); specials <pad> <unk> <bos> <eos> by default.

        >>> v = WordVocab.from_text(["a b b", "c"], specials=["<unk>"], lower=True)
        >>> v.itos, v.decode(v.encode("B a x"))
        (['<unk>', 'b', 'a', 'c'], 'b a <unk>')
    """

    kind = "word"
    default_specials = SPECIALS
    _extra_keys = ("lower",)

    def __init__(self, itos, lower=False, **kw):
        super().__init__(itos, **kw)
        self.lower = bool(lower)

    @staticmethod
    def _tokenizer(kw):
        return (lambda s: s.lower().split()) if kw.get("lower") else str.split

    def tokenize(self, text):
        return (text.lower() if self.lower else text).split()

    def join(self, tokens):
        return " ".join(tokens)

    def _extra(self):
        return {"lower": self.lower}
