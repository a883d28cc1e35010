"""A seq2seq translator in the style of PyTorch's "NLP From Scratch: Translation with a Sequence to
Sequence Network and Attention" tutorial, on a stand-in task (reverse a sequence of tokens): a GRU
encoder over nn.Embedding, a Bahdanau-attention GRU decoder fed its own predictions or, with teacher
forcing, the targets; pad_sequence and ignore_index for ragged batches, two optimizers, greedy
decoding under torch.no_grad().
"""
import random
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import optim
from torch.nn.utils.rnn import pad_sequence
random.seed(0)
torch.manual_seed(0)
PAD, SOS, EOS = 0, 1, 2
vocab, hidden_size, MAX_LENGTH = 10, 32, 7

def make_pair(rng):
    src = [rng.randrange(3, vocab) for _ in range(rng.randint(2, 5))]
    return torch.tensor(src + [EOS]), torch.tensor(src[::-1] + [EOS])

class EncoderRNN(nn.Module):
    def __init__(self, input_size, hidden_size, dropout_p=0.1):
        super().__init__()
        self.embedding = nn.Embedding(input_size, hidden_size, padding_idx=PAD)
        self.gru = nn.GRU(hidden_size, hidden_size, batch_first=True)
        self.dropout = nn.Dropout(dropout_p)
    def forward(self, input):
        embedded = self.dropout(self.embedding(input))
        return self.gru(embedded)

class BahdanauAttention(nn.Module):
    def __init__(self, hidden_size):
        super().__init__()
        self.Wa = nn.Linear(hidden_size, hidden_size)
        self.Ua = nn.Linear(hidden_size, hidden_size)
        self.Va = nn.Linear(hidden_size, 1)
    def forward(self, query, keys, mask):
        scores = self.Va(torch.tanh(self.Wa(query) + self.Ua(keys)))
        scores = scores.squeeze(2).unsqueeze(1)
        scores = scores.masked_fill(~mask.unsqueeze(1), float("-inf"))
        weights = F.softmax(scores, dim=-1)
        context = torch.bmm(weights, keys)
        return context, weights

class AttnDecoderRNN(nn.Module):
    def __init__(self, hidden_size, output_size, dropout_p=0.1):
        super().__init__()
        self.embedding = nn.Embedding(output_size, hidden_size)
        self.attention = BahdanauAttention(hidden_size)
        self.gru = nn.GRU(2 * hidden_size, hidden_size, batch_first=True)
        self.out = nn.Linear(hidden_size, output_size)
        self.dropout = nn.Dropout(dropout_p)
    def forward(self, encoder_outputs, encoder_hidden, mask, target_tensor=None, teacher_forcing=False):
        batch_size = encoder_outputs.size(0)
        decoder_input = torch.empty(batch_size, 1, dtype=torch.long).fill_(SOS)
        decoder_hidden = encoder_hidden
        decoder_outputs, attentions = [], []
        steps = target_tensor.size(1) if target_tensor is not None else MAX_LENGTH
        for i in range(steps):
            decoder_output, decoder_hidden, attn_weights = self.forward_step(decoder_input, decoder_hidden,
                                                                             encoder_outputs, mask)
            decoder_outputs.append(decoder_output)
            attentions.append(attn_weights)
            if teacher_forcing:
                decoder_input = target_tensor[:, i].unsqueeze(1)  # Teacher forcing
            else:
                _, topi = decoder_output.topk(1)
                decoder_input = topi.squeeze(-1).detach()  # detach from history as input
        decoder_outputs = F.log_softmax(torch.cat(decoder_outputs, dim=1), dim=-1)
        return decoder_outputs, decoder_hidden, torch.cat(attentions, dim=1)
    def forward_step(self, input, hidden, encoder_outputs, mask):
        embedded = self.dropout(self.embedding(input))
        query = hidden.permute(1, 0, 2)
        context, attn_weights = self.attention(query, encoder_outputs, mask)
        output, hidden = self.gru(torch.cat((embedded, context), dim=2), hidden)
        return self.out(output), hidden, attn_weights

def batch(pairs):
    src = pad_sequence([s for s, _ in pairs], batch_first=True, padding_value=PAD)
    tgt = pad_sequence([t for _, t in pairs], batch_first=True, padding_value=PAD)
    return src, tgt, src != PAD

rng = random.Random(0)
train_pairs = [make_pair(rng) for _ in range(640)]
test_pairs = [make_pair(rng) for _ in range(64)]
encoder, decoder = EncoderRNN(vocab, hidden_size), AttnDecoderRNN(hidden_size, vocab)
encoder_optimizer = optim.Adam(encoder.parameters(), lr=0.01)
decoder_optimizer = optim.Adam(decoder.parameters(), lr=0.01)
criterion = nn.NLLLoss(ignore_index=PAD)
teacher_forcing_ratio = 0.5
for epoch in range(6):
    random.shuffle(train_pairs)
    total = 0.0
    for k in range(0, len(train_pairs), 32):
        input_tensor, target_tensor, mask = batch(train_pairs[k:k + 32])
        encoder_optimizer.zero_grad()
        decoder_optimizer.zero_grad()
        encoder_outputs, encoder_hidden = encoder(input_tensor)
        use_tf = random.random() < teacher_forcing_ratio
        decoder_outputs, _, _ = decoder(encoder_outputs, encoder_hidden, mask, target_tensor, use_tf)
        loss = criterion(decoder_outputs.view(-1, decoder_outputs.size(-1)), target_tensor.view(-1))
        loss.backward()
        nn.utils.clip_grad_norm_(list(encoder.parameters()) + list(decoder.parameters()), 1.0)
        encoder_optimizer.step()
        decoder_optimizer.step()
        total += loss.item()
    print(f"epoch {epoch} loss {total / (len(train_pairs) // 32):.4f}")

encoder.eval(); decoder.eval()
correct = 0
with torch.no_grad():
    input_tensor, target_tensor, mask = batch(test_pairs)
    encoder_outputs, encoder_hidden = encoder(input_tensor)
    decoder_outputs, _, attentions = decoder(encoder_outputs, encoder_hidden, mask)
    _, topi = decoder_outputs.topk(1)
    decoded_ids = topi.squeeze()
    for ids, (_, target) in zip(decoded_ids.tolist(), test_pairs):
        words = []
        for idx in ids:
            if idx == EOS:
                break
            words.append(idx)
        correct += words == target.tolist()[:-1]
print(f"exact reversals {correct}/{len(test_pairs)}")
assert attentions.shape == (64, MAX_LENGTH, input_tensor.size(1))
assert torch.allclose(attentions.sum(-1), torch.ones(64, MAX_LENGTH), atol=1e-5)
assert (attentions.masked_select(~mask.unsqueeze(1).expand_as(attentions)) == 0).all()
assert correct >= 40, correct
