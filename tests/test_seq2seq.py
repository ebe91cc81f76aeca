"""rnnkit.seq2seq: attention against its formulas, padding that changes nothing, beam search
against brute force, and a small task learned."""

import itertools

import pytest
import torch

from rnnkit.seq2seq import (
    BOS,
    EOS,
    PAD,
    AdditiveAttention,
    MultiplicativeAttention,
    Seq2Seq,
    beam_search,
    greedy,
    length_penalty,
)

KINDS = [("additive", "gru"), ("multiplicative", "gru"), ("multiplicative", "lstm"),
         ("additive", "lstm")]


def _model(attention="multiplicative", cell="gru", layers=1, seed=0, vocab=12) -> Seq2Seq:
    torch.manual_seed(seed)
    return Seq2Seq(vocab, vocab, embedding_size=8, hidden_size=6, num_layers=layers, cell=cell,
                   attention=attention, dropout=0.0).eval()


def test_attention_follows_its_formulas_and_ignores_padding():
    torch.manual_seed(0)
    q, k = torch.randn(2, 3, 4), torch.randn(2, 5, 6)
    mask = torch.tensor([[True] * 5, [True] * 3 + [False] * 2])
    additive = AdditiveAttention(4, 6, 7)
    energy = torch.einsum("a,btsa->bts", additive.v.weight[0], torch.tanh(
        (q @ additive.query.weight.T)[:, :, None] + additive.key(k)[:, None]))
    multiplicative = MultiplicativeAttention(4, 6)
    for attention, e in ((additive, energy), (multiplicative,
                                             q @ multiplicative.weight.weight @ k.transpose(1, 2))):
        context, weights = attention(q, k, mask)
        expected = torch.softmax(e.masked_fill(~mask[:, None], float("-inf")), dim=-1)
        assert torch.allclose(weights, expected, atol=1e-6)
        assert torch.allclose(context, expected @ k, atol=1e-6)
        assert weights[1, :, 3:].abs().max() == 0
        alone, _ = attention(q[1:], k[1:, :3], mask[1:, :3])
        assert torch.allclose(alone, context[1:], atol=1e-6)


@pytest.mark.parametrize(("attention", "cell"), KINDS)
def test_a_padded_batch_gives_what_each_sentence_gives_alone(attention, cell):
    model = _model(attention, cell, layers=2)
    sources = [[5, 6, 7, 8, 9], [4, 3], [10, 11, 3]]
    targets = [[BOS, 5, 6, EOS], [BOS, 7, 8, 9, 10, EOS], [BOS, EOS]]
    pad = lambda rows: torch.tensor([r + [PAD] * (max(map(len, rows)) - len(r)) for r in rows])
    source, target = pad(sources), pad(targets)
    memory = model.encode(source)
    batch_lp, batch_w, _ = model.decode(target[:, :-1], memory)
    for b, (s, t) in enumerate(zip(sources, targets, strict=True)):
        alone = model.encode(torch.tensor([s]))
        lp, w, _ = model.decode(torch.tensor([t[:-1]]), alone)
        assert torch.allclose(lp[0], batch_lp[b, : len(t) - 1], atol=1e-5)
        assert torch.allclose(w[0], batch_w[b, : len(t) - 1, : len(s)], atol=1e-5)
        assert greedy(model, torch.tensor([s]), limit=6)[0][0] == \
            greedy(model, source, limit=6)[0][b]
        assert beam_search(model, torch.tensor([s]), beam=3, limit=6)[0] == \
            beam_search(model, source, beam=3, limit=6)[b]
    _, loss_batch, _ = model(source, target)
    losses = [model(torch.tensor([s]), torch.tensor([t]))[1] * (len(t) - 1)
              for s, t in zip(sources, targets, strict=True)]
    assert torch.allclose(loss_batch, sum(losses) / sum(len(t) - 1 for t in targets), atol=1e-5)


@torch.no_grad()
def _score(model: Seq2Seq, source: torch.Tensor, tokens: list[int], alpha: float) -> float:
    target = torch.tensor([[BOS, *tokens, EOS]])
    lp, _, _ = model.decode(target[:, :-1], model.encode(source))
    total = lp[0].gather(1, target[0, 1:, None]).sum()
    return float(total / length_penalty(len(tokens) + 1, alpha))


@pytest.mark.parametrize("attention", ["additive", "multiplicative"])
def test_a_wide_beam_finds_the_best_scoring_translation(attention):
    model = _model(attention, vocab=5, seed=3)  # two real tokens: 3 and 4
    source, limit, alpha = torch.tensor([[3, 4, 4]]), 5, 0.6
    candidates = [list(c) for n in range(limit) for c in itertools.product((3, 4), repeat=n)]
    best = max(candidates, key=lambda c: _score(model, source, c, alpha))
    found = beam_search(model, source, beam=len(candidates), alpha=alpha, limit=limit)[0]
    assert found == best
    assert greedy(model, source, limit=limit)[0][0] in candidates + [[3] * limit, [4] * limit]


def test_the_output_layer_is_tied_to_the_target_embedding_when_asked():
    tied, untied = Seq2Seq(9, 11, 8, 6), Seq2Seq(9, 11, 8, 6, tie=False)
    assert tied.out.weight is tied.target_embedding.weight
    assert untied.out.weight is not untied.target_embedding.weight
    count = lambda m: sum(p.numel() for p in m.parameters())
    assert count(untied) - count(tied) == 11 * 8


def test_scheduled_sampling_feeds_the_models_guesses():
    model = _model().train()
    source, inputs = torch.tensor([[5, 6, 7]]), torch.tensor([[BOS, 5, 6, 7, PAD]])
    memory = model.encode(source)
    model.teacher_forcing = 0.0
    mixed = model._scheduled(inputs, memory)
    guesses = model.decode(inputs, memory)[0].argmax(-1)
    assert mixed[0, 0] == BOS and mixed[0, -1] == PAD
    assert mixed[0, 1:4].tolist() == guesses[0, :3].tolist()
    model.teacher_forcing = 1.0
    assert torch.equal(model._scheduled(inputs, memory), inputs)


@pytest.mark.parametrize("attention", ["additive", "multiplicative"])
def test_the_model_learns_to_reverse_short_sequences(attention):
    torch.manual_seed(1)
    model = Seq2Seq(10, 10, embedding_size=16, hidden_size=24, attention=attention,
                    dropout=0.0, label_smoothing=0.0)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    generator = torch.Generator().manual_seed(0)

    def batch(n):
        x = torch.randint(3, 10, (n, 4), generator=generator)
        y = torch.cat([torch.full((n, 1), BOS), x.flip(1), torch.full((n, 1), EOS)], 1)
        return x, y

    for _ in range(300):
        x, y = batch(32)
        optimizer.zero_grad()
        model(x, y)[1].backward()
        optimizer.step()
    x, y = batch(50)
    found = beam_search(model.eval(), x, beam=3)
    right = sum(f == row[1:-1].tolist() for f, row in zip(found, y, strict=True))
    assert right >= 45
