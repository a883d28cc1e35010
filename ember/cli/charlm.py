"""`ember train --model lstm|transformer`: character-level language models on ember's text corpus.

Both are subclassed `keras.Model`s whose layers are `ember.nn` modules, trained by `fit` on windows
of the corpus (each target is its input shifted by one character), then asked to continue a prompt.
"""
import math
import time

import numpy as np

import ember
from ember import keras, nn
from ember.cli import monitor
from ember.errors import ShapeError
from ember.data.datasets import CharCorpus, load_corpus_text

DEFAULT_PROMPT = "The valley "
CONTEXT = 64            # characters per training window, and the transformer's longest input
SAMPLE_LENGTH = 200     # characters generated after the prompt
TEMPERATURE = 0.8


@keras.saving.register_keras_serializable(package="ember.cli")
class CharLSTM(keras.Model):
    """Embedding -> LSTM -> Linear: logits for the next character at every position."""

    def __init__(self, vocab_size, embedding_dim=32, hidden_size=128, name="char_lstm"):
        super().__init__(name=name)
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.lstm = nn.LSTM(embedding_dim, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, vocab_size)

    def call(self, inputs):
        return self.step(inputs)[0]

    def step(self, inputs, state=None):
        """(logits, (h, c)): the LSTM's state lets generation feed one character at a time."""
        out, state = self.lstm(self.embedding(inputs), state)
        return self.head(out), state

    def generate(self, ids, length, rng, temperature=TEMPERATURE):
        """`length` character ids sampled after the prompt `ids`."""
        logits, state = self.step(ember.tensor([ids]))
        out = []
        for _ in range(length):
            out.append(sample(logits[0, -1].numpy(), rng, temperature))
            logits, state = self.step(ember.tensor([[out[-1]]]), state)
        return out


@keras.saving.register_keras_serializable(package="ember.cli")
class CharTransformer(keras.Model):
    """Token and position embeddings -> pre-norm causal encoder layers -> LayerNorm -> Linear."""

    def __init__(self, vocab_size, context=CONTEXT, d_model=64, nhead=4, num_layers=2, dim_feedforward=128,
                 name="char_transformer"):
        super().__init__(name=name)
        self.context = context
        self.embedding = nn.Embedding(vocab_size, d_model)
        self.position = nn.Embedding(context, d_model)
        self.blocks = nn.ModuleList([nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout=0.0,
                                                                batch_first=True, norm_first=True)
                                     for _ in range(num_layers)])
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab_size)

    def call(self, inputs):
        length = inputs.shape[1]
        if length > self.context:
            raise ShapeError(f"{self.name}: inputs of {length} characters; the model sees at most {self.context}")
        mask = nn.Transformer.generate_square_subsequent_mask(length)  # position i sees positions <= i
        h = self.embedding(inputs) + self.position(ember.arange(length))
        for block in self.blocks:
            h = block(h, src_mask=mask, is_causal=True)
        return self.head(self.norm(h))

    def generate(self, ids, length, rng, temperature=TEMPERATURE):
        """`length` character ids sampled after the prompt `ids`, each from the last `context` ones."""
        ids = list(ids)
        for _ in range(length):
            logits = self(ember.tensor([ids[-self.context:]]))
            ids.append(sample(logits[0, -1].numpy(), rng, temperature))
        return ids[-length:]


def sample(logits, rng, temperature):
    """A class index drawn from softmax(logits / temperature)."""
    z = logits.astype(np.float64) / temperature
    p = np.exp(z - z.max())
    return int(rng.choice(len(p), p=p / p.sum()))


def check_prompt(prompt):
    """Raise ValueError naming the characters of `prompt` that the corpus never uses."""
    if not prompt:
        raise ValueError("--prompt must not be empty")
    missing = sorted(set(prompt) - set(load_corpus_text()))
    if missing:
        raise ValueError(f"--prompt {prompt!r}: the corpus has no {', '.join(repr(c) for c in missing)}; "
                         "use only characters that occur in it (letters, digits, common punctuation)")


def build_model(kind, vocab_size):
    if kind == "lstm":
        return CharLSTM(vocab_size), 5e-3
    return CharTransformer(vocab_size), 3e-3


def run(options):
    """Train, report loss and perplexity on the held-out text, save, print a sample; returns 0."""
    keras.utils.set_random_seed(options.seed)
    start = time.perf_counter()
    train = CharCorpus(seq_len=CONTEXT, stride=CONTEXT // 2, split="train")  # overlapping windows
    val = CharCorpus(seq_len=CONTEXT, split="val", vocab=train.vocab)
    model, learning_rate = build_model(options.model, len(train.vocab))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate, clipnorm=1.0),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    print(f"ember train: {options.model} language model on ember's corpus ({len(train.text)} training, "
          f"{len(val.text)} validation characters, vocabulary {len(train.vocab)}), {options.epochs} epochs, "
          f"batch size {options.batch_size}, seed {options.seed}")
    validation = (val.data, val.targets) if monitor.wanted(options) else None
    history = model.fit(train.data, train.targets, batch_size=options.batch_size, epochs=options.epochs,
                        verbose=options.verbose, validation_data=validation, callbacks=monitor.callbacks(options))
    monitor.finish(options, history)
    train_loss = history.history["loss"][-1]
    val_loss = model.evaluate(val.data, val.targets, batch_size=64, verbose=0)
    model.save(options.output)
    print(f"final training loss: {train_loss:.4f} (perplexity {math.exp(train_loss):.2f})")
    print(f"validation loss: {val_loss:.4f} (perplexity {math.exp(val_loss):.2f}; "
          f"a uniform guess has {len(train.vocab)})")
    model.eval()
    with ember.no_grad():
        ids = model.generate(train.vocab.encode(options.prompt), SAMPLE_LENGTH, np.random.default_rng(options.seed))
    print(f"sample: {options.prompt + train.vocab.decode(ids)!r}")
    print(f"model written to {options.output}; keras.models.load_model reads it after `import ember.cli.charlm` "
          f"({time.perf_counter() - start:.1f}s)")
    return 0
