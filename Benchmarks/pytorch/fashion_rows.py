"""The sequence models of SequenceBenchmarks.cs in PyTorch, for the epoch-time ratio on the same data.

Fashion-MNIST read as 28 rows of 28 pixels, standardized per pixel with the training rows' statistics (as MlNetDeep's
StandardizeLayer), batch 128, Adam 1e-3 (betas 0.9, 0.999), 2 threads, no validation pass.

usage: /usr/bin/python3 Benchmarks/pytorch/fashion_rows.py lstm|gru|transformer EPOCHS [TRAIN_ROWS]
prints one JSON line: model, per-epoch seconds, test accuracy.
"""
import gzip
import json
import math
import sys
import time

import numpy as np
import torch
from torch import nn

FOLDER = "/usr/share/datasets/fashion-mnist"


def read(split):
    with gzip.open(f"{FOLDER}/{split}-images-idx3-ubyte.gz") as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784).astype(np.float32) / 255
    with gzip.open(f"{FOLDER}/{split}-labels-idx1-ubyte.gz") as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8).astype(np.int64)
    return images, labels


class Recurrent(nn.Module):
    def __init__(self, kind):
        super().__init__()
        self.rnn = (nn.LSTM if kind == "lstm" else nn.GRU)(28, 128, batch_first=True)
        self.dropout = nn.Dropout(0.1)
        self.output = nn.Linear(128, 10)

    def forward(self, x):
        _, h = self.rnn(x.reshape(-1, 28, 28))
        h = h[0] if isinstance(h, tuple) else h
        return self.output(self.dropout(h[-1]))


class Transformer(nn.Module):
    def __init__(self, dimensions=64, heads=4, layers=2, feedforward=128, dropout=0.1):
        super().__init__()
        self.projection = nn.Linear(28, dimensions)
        position = torch.arange(28).unsqueeze(1)
        feature = torch.arange(dimensions)
        angle = position / torch.pow(10000, 2 * (feature // 2) / dimensions)
        self.register_buffer("table", torch.where(feature % 2 == 0, torch.sin(angle), torch.cos(angle)).float())
        block = nn.TransformerEncoderLayer(dimensions, heads, feedforward, dropout, activation="gelu", batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(block, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(dimensions)
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(dimensions, 10)

    def forward(self, x):
        h = self.projection(x.reshape(-1, 28, 28)) + self.table
        h = self.norm(self.encoder(h))
        return self.output(self.dropout(h.mean(1)))


def main():
    kind, epochs = sys.argv[1], int(sys.argv[2])
    rows = int(sys.argv[3]) if len(sys.argv) > 3 else 60000
    torch.set_num_threads(2)
    torch.manual_seed(1)
    train_x, train_y = read("train")
    test_x, test_y = read("t10k")
    train_x, train_y = train_x[:rows], train_y[:rows]
    mean, std = train_x.mean(0), train_x.std(0)
    scale = np.where(std > 1e-8, 1 / np.maximum(std, 1e-8), 1).astype(np.float32)
    train_x = torch.from_numpy((train_x - mean) * scale)
    test_x = torch.from_numpy((test_x - mean) * scale)
    train_y, test_y = torch.from_numpy(train_y), torch.from_numpy(test_y)
    model = Transformer() if kind == "transformer" else Recurrent(kind)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999))
    seconds = []
    for epoch in range(epochs):
        model.train()
        start = time.perf_counter()
        order = torch.randperm(len(train_y))
        for first in range(0, len(order), 128):
            index = order[first:first + 128]
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(train_x[index]), train_y[index])
            loss.backward()
            optimizer.step()
        seconds.append(round(time.perf_counter() - start, 4))
        print(f"  epoch {epoch + 1}: loss {loss.item():.4f}, {seconds[-1]:.1f} s", file=sys.stderr)
    model.eval()
    with torch.no_grad():
        accuracy = sum((model(test_x[i:i + 1000]).argmax(1) == test_y[i:i + 1000]).sum().item() for i in range(0, len(test_y), 1000)) / len(test_y)
    print(json.dumps({"model": kind, "trainRows": rows, "epochSeconds": seconds, "accuracy": accuracy}))


if __name__ == "__main__":
    main()
