"""The baseline for rnnkit's translator: the recipe of PyTorch's tutorial "NLP From Scratch:
Translation with a Sequence to Sequence Network and Attention", re-implemented in plain torch.nn.

The recipe: sentences normalised by the tutorial's ``normalizeString`` (accents dropped by NFD,
lowercase, a space before ``.!?``, any other non-letter to a space) and split into words; one
vocabulary per language, SOS=0 and EOS=1 first, every training word kept; a one-layer GRU
encoder over word embeddings; a GRU decoder whose query (its hidden state) attends to the
encoder's outputs by Bahdanau's additive attention, fed the embedding of the previous word
together with the attention's context; hidden size 128, dropout 0.1 on the embeddings, batches
of 32, teacher forcing, NLLLoss on log-softmax outputs, Adam with lr 0.001; greedy decoding,
up to MAX_LENGTH words or EOS.

How it differs from the tutorial:

- no English-prefix filter and no length filter: it trains on every pair given;
- MAX_LENGTH is the longest training sentence in words, plus one for EOS, instead of 10;
- padding never counts: padded target positions are ignored by the loss (the tutorial scores
  them as SOS), the encoder reads packed sequences, and padded source positions are masked out
  of the attention's softmax (each batch is cut to its longest sentence, which, with those
  masks, changes nothing but the time);
- training runs for a wall time (checked after each batch) instead of a number of epochs, the
  pairs shuffled each epoch by a seeded generator; one Adam holds both networks' parameters
  (the same updates as the tutorial's two);
- a test word outside the training vocabulary is dropped (the recipe has no unknown word).

The bundled eng-fra pairs are split as rnnkit splits them (5% of the source sentences held out
for testing); the test sources are translated and scored by BLEU and chrF against all their
references, as given and lowercase-insensitive (the recipe writes lowercase ASCII)::

    python benchmarks/tutorial_seq2seq.py --seconds 1200

(``--threads``, default 2, sets torch's threads; on a machine whose cores are busy with other
work, two threads can be many times slower than one.)
"""

import argparse
import csv
import json
import re
import time
import unicodedata
from pathlib import Path

import numpy as np
import torch
from sacrebleu.metrics import BLEU, CHRF
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from rnnkit.io.datasets import bundled
from rnnkit.translate.pairs import read_pairs, references, split_by_source
from rnnkit.translate.scores import corpus_scores, reference_streams

SOS, EOS, IGNORED = 0, 1, -100
HIDDEN, BATCH, LR, DROPOUT = 128, 32, 0.001, 0.1


def normalize(sentence: str) -> str:
    """The tutorial's ``normalizeString``: ASCII by dropping combining marks, lowercase,
    ``.!?`` split off, every other non-letter a space, spaces collapsed."""
    text = "".join(c for c in unicodedata.normalize("NFD", sentence.lower().strip())
                   if unicodedata.category(c) != "Mn")
    text = re.sub(r"([.!?])", r" \1", text)
    return re.sub(r"[^a-zA-Z.!?]+", " ", text).strip()


def _mask(lengths: torch.Tensor, width: int) -> torch.Tensor:
    """(batch, width): True at each sentence's real positions."""
    return torch.arange(width)[None, :] < lengths[:, None]


class Vocabulary:
    """A language's words, numbered from 2 in order of first appearance (SOS=0, EOS=1)."""

    def __init__(self, sentences: list[list[str]]) -> None:
        self.words = ["SOS", "EOS"]
        self.index: dict[str, int] = {}
        for sentence in sentences:
            for word in sentence:
                if word not in self.index:
                    self.index[word] = len(self.words)
                    self.words.append(word)

    def encode(self, sentences: list[list[str]], length: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Each sentence's known words (at most ``length`` - 1) then EOS, padded with 0: the
        (sentences, length) tensor and each sentence's length."""
        rows = torch.zeros(len(sentences), length, dtype=torch.long)
        lengths = torch.zeros(len(sentences), dtype=torch.long)
        for k, sentence in enumerate(sentences):
            ids = [self.index[w] for w in sentence if w in self.index][:length - 1] + [EOS]
            rows[k, :len(ids)] = torch.tensor(ids)
            lengths[k] = len(ids)
        return rows, lengths


class Encoder(nn.Module):
    """Embedding, dropout and a one-layer GRU over the packed (unpadded) words."""

    def __init__(self, words: int) -> None:
        super().__init__()
        self.embedding = nn.Embedding(words, HIDDEN)
        self.dropout = nn.Dropout(DROPOUT)
        self.gru = nn.GRU(HIDDEN, HIDDEN, batch_first=True)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor]:
        """Every position's output (zero past a sentence's end) and the last hidden state."""
        packed = pack_padded_sequence(self.dropout(self.embedding(ids)), lengths,
                                      batch_first=True, enforce_sorted=False)
        outputs, hidden = self.gru(packed)
        return pad_packed_sequence(outputs, batch_first=True, total_length=ids.shape[1])[0], hidden


class AttentionDecoder(nn.Module):
    """A GRU fed the previous word's embedding and a Bahdanau attention context, one step at
    a time: score = v . tanh(W query + U key), the query being the decoder's hidden state."""

    def __init__(self, words: int) -> None:
        super().__init__()
        self.embedding = nn.Embedding(words, HIDDEN)
        self.dropout = nn.Dropout(DROPOUT)
        self.w = nn.Linear(HIDDEN, HIDDEN)  # the query's weights
        self.u = nn.Linear(HIDDEN, HIDDEN)  # the keys' (encoder outputs') weights
        self.v = nn.Linear(HIDDEN, 1)
        self.gru = nn.GRU(2 * HIDDEN, HIDDEN, batch_first=True)
        self.out = nn.Linear(HIDDEN, words)

    def step(self, word: torch.Tensor, hidden: torch.Tensor, keys: torch.Tensor,
             projected: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Log-probabilities of the next word (batch, words) and the new hidden state, given
        the previous word (batch, 1); ``projected`` is U keys, ``mask`` the real positions."""
        query = hidden.transpose(0, 1)  # (batch, 1, hidden)
        scores = self.v(torch.tanh(self.w(query) + projected)).squeeze(2)  # (batch, source)
        weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=1)
        context = torch.bmm(weights.unsqueeze(1), keys)
        output, hidden = self.gru(torch.cat([self.dropout(self.embedding(word)), context], 2),
                                  hidden)
        return torch.log_softmax(self.out(output.squeeze(1)), dim=1), hidden

    def forward(self, keys: torch.Tensor, hidden: torch.Tensor, mask: torch.Tensor,
                inputs: torch.Tensor | None = None, steps: int = 0) -> torch.Tensor:
        """Log-probabilities (batch, steps, words): teacher-forced on ``inputs`` (SOS then the
        target's words) when given, else greedy for ``steps`` steps or until all emit EOS."""
        projected, word = self.u(keys), torch.full((keys.shape[0], 1), SOS, dtype=torch.long)
        finished, outputs = torch.zeros(keys.shape[0], dtype=torch.bool), []
        for t in range(inputs.shape[1] if inputs is not None else steps):
            if inputs is not None:
                word = inputs[:, t:t + 1]
            log_probs, hidden = self.step(word, hidden, keys, projected, mask)
            outputs.append(log_probs)
            if inputs is None:
                word = log_probs.argmax(1, keepdim=True)
                finished |= word.squeeze(1) == EOS
                if finished.all():
                    break
        return torch.stack(outputs, 1)


def train_and_translate(train_sources: list[str], train_targets: list[str],
                        test_sources: list[str], seconds: float, seed: int = 0
                        ) -> tuple[list[str], dict]:
    """Train the tutorial's recipe on the pairs for `seconds` of wall time, translate
    test_sources greedily; return the translations (words joined by spaces, as the recipe
    writes them: lowercase ASCII, punctuation split off) and a record dict
    (epochs, steps, seconds, final training loss, vocabulary sizes).

    The record's ``epochs`` counts pairs seen over pairs given (0.5: half an epoch);
    ``final_loss`` is the mean loss of the last 100 batches.
    """
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    src_words = [normalize(s).split() for s in train_sources]
    tgt_words = [normalize(s).split() for s in train_targets]
    max_length = max(len(w) for w in src_words + tgt_words) + 1
    src_vocab, tgt_vocab = Vocabulary(src_words), Vocabulary(tgt_words)
    src, src_len = src_vocab.encode(src_words, max_length)
    tgt, tgt_len = tgt_vocab.encode(tgt_words, max_length)
    encoder, decoder = Encoder(len(src_vocab.words)), AttentionDecoder(len(tgt_vocab.words))
    optimizer = torch.optim.Adam([*encoder.parameters(), *decoder.parameters()], lr=LR)
    loss_fn = nn.NLLLoss(ignore_index=IGNORED)
    encoder.train()
    decoder.train()
    losses, steps, seen, start, done = [], 0, 0, time.perf_counter(), False
    while not done:
        order = torch.from_numpy(rng.permutation(len(src)))
        for first in range(0, len(order), BATCH):
            rows = order[first:first + BATCH]
            s_len, t_len = src_len[rows], tgt_len[rows]
            s, t = src[rows, :int(s_len.max())], tgt[rows, :int(t_len.max())]
            keys, hidden = encoder(s, s_len)
            inputs = torch.cat([torch.full((len(rows), 1), SOS), t[:, :-1]], 1)
            log_probs = decoder(keys, hidden, _mask(s_len, s.shape[1]), inputs)
            gold = t.masked_fill(~_mask(t_len, t.shape[1]), IGNORED)
            loss = loss_fn(log_probs.flatten(0, 1), gold.flatten())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            steps, seen = steps + 1, seen + len(rows)
            if time.perf_counter() - start >= seconds:
                done = True
                break
    trained = time.perf_counter() - start
    encoder.eval()
    decoder.eval()
    test, test_len = src_vocab.encode([normalize(s).split() for s in test_sources], max_length)
    translations = []
    with torch.no_grad():
        for first in range(0, len(test), 256):
            s_len = test_len[first:first + 256]
            s = test[first:first + 256, :int(s_len.max())]
            keys, hidden = encoder(s, s_len)
            best = decoder(keys, hidden, _mask(s_len, s.shape[1]), steps=max_length).argmax(2)
            for row in best.tolist():
                ids = row[:row.index(EOS)] if EOS in row else row
                translations.append(" ".join(tgt_vocab.words[i] for i in ids))
    record = {"epochs": round(seen / len(src), 2), "steps": steps, "seconds": round(trained, 1),
              "final_loss": round(float(np.mean(losses[-100:])), 4),
              "source_words": len(src_vocab.words), "target_words": len(tgt_vocab.words),
              "max_length": max_length, "pairs": len(src), "hidden": HIDDEN, "batch": BATCH,
              "lr": LR, "dropout": DROPOUT, "seed": seed}
    return translations, record


def main() -> None:
    """Train on the bundled eng-fra pairs, translate the test sources, score and write."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1200, help="training wall time")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2, help="torch's threads")
    parser.add_argument("--out", type=Path, default=Path("runs/bench-translate/tutorial"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with bundled("eng-fra").path() as path:
        pairs = read_pairs(path, "eng-fra")
    rest, test = split_by_source(pairs, 0.05, "test")
    sources, refs = references(test)
    hypotheses, record = train_and_translate(list(rest.sources), list(rest.targets), sources,
                                             args.seconds, args.seed)
    scores = corpus_scores(hypotheses, refs)
    streams = reference_streams(refs)
    bleu, chrf = BLEU(lowercase=True), CHRF(lowercase=True)
    lowercase = {"bleu": round(bleu.corpus_score(hypotheses, streams).score, 2),
                 "chrf": round(chrf.corpus_score(hypotheses, streams).score, 2),
                 "bleu_signature": str(bleu.get_signature()),
                 "chrf_signature": str(chrf.get_signature())}
    print(f"tutorial seq2seq: {record['steps']} steps, {record['epochs']} epochs in "
          f"{record['seconds']} s, loss {record['final_loss']}; {len(sources)} test sentences: "
          f"BLEU {scores['bleu']} chrF {scores['chrf']} (lowercase-insensitive: BLEU "
          f"{lowercase['bleu']} chrF {lowercase['chrf']})")
    args.out.mkdir(parents=True, exist_ok=True)
    metrics = {"scores": scores, "scores_lowercase": lowercase, "record": record,
               "train_pairs": len(rest), "test_pairs": len(test)}
    (args.out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    with open(args.out / "translations.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["source", "references", "hypothesis"])
        writer.writerows([s, " | ".join(r), h] for s, r, h in zip(sources, refs, hypotheses,
                                                                  strict=True))


if __name__ == "__main__":
    main()
