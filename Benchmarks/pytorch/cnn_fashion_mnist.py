#!/usr/bin/env python3
"""The benchmark CNN in PyTorch, for epoch times side by side with MlNetDeep (not part of the tests).

Run by `MlNetDeep.Benchmarks --suite cnn`, which compares it with the ConvolutionalNetwork trainer's default network on the
same data, batch size, optimizer and threads: Conv 32 -> BN -> ReLU -> MaxPool, Conv 64 -> BN -> ReLU -> MaxPool,
FC 128 -> ReLU -> Dropout 0.25 -> FC 10 on Fashion-MNIST, Adam (0.9, 0.999), shuffled mini-batches gathered from tensors held
in memory, the loss read back every batch. Each batch does the work the trainer's does: the flat 784-pixel rows are
reshaped to images and standardized per channel inside the model (the trainer keeps that step in the network so that it
is saved with the model), and the loss is the mean of per-example losses. Prints one JSON object: epoch seconds, train
losses, test accuracy, and the allocator settings it ran with (the benchmark passes the ones MlNetDeep sets itself).

usage: cnn_fashion_mnist.py <fashion-mnist folder> --epochs N [--batch-size 128] [--threads 2] [--seed 1] [--train-rows N]
"""
import argparse
import gzip
import json
import os
import struct
import time

import torch
from torch import nn


def read_idx(path):
    with gzip.open(path, "rb") as f:
        zero, kind, dims = struct.unpack(">HBB", f.read(4))
        if zero != 0 or kind != 0x08:
            raise ValueError(f"{path} is not an idx file of unsigned bytes")
        shape = struct.unpack(">" + "I" * dims, f.read(4 * dims))
        return torch.frombuffer(bytearray(f.read()), dtype=torch.uint8).reshape(shape)


class ImageInput(nn.Module):
    """Flat rows -> [N, 1, 28, 28], then (x - mean) * (1 / std) with the training images' statistics, as the trainer's first layers do."""

    def __init__(self, mean, std):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).reshape(1, 1, 1))
        self.register_buffer("scale", torch.tensor(1 / std, dtype=torch.float32).reshape(1, 1, 1))

    def forward(self, x):
        return (x.reshape(-1, 1, 28, 28) - self.mean).mul_(self.scale)


def network(mean, std):
    return nn.Sequential(
        ImageInput(mean, std),
        nn.Conv2d(1, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Dropout(0.25), nn.Linear(128, 10))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("data")
    parser.add_argument("--epochs", type=int, required=True)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--train-rows", type=int, default=0)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    x = read_idx(f"{args.data}/train-images-idx3-ubyte.gz").float().div(255).reshape(-1, 28 * 28)
    y = read_idx(f"{args.data}/train-labels-idx1-ubyte.gz").long()
    if args.train_rows:
        x, y = x[: args.train_rows], y[: args.train_rows]
    test_x = read_idx(f"{args.data}/t10k-images-idx3-ubyte.gz").float().div(255).reshape(-1, 28 * 28)
    test_y = read_idx(f"{args.data}/t10k-labels-idx1-ubyte.gz").long()
    # One channel: its mean and (population) standard deviation over all training pixels, like the trainer's statistics.
    pixels = x.double()
    mean, std = pixels.mean().item(), pixels.std(unbiased=False).item()

    model = network(mean, std)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999))
    loss_function = nn.CrossEntropyLoss(reduction="none")
    epoch_seconds, train_losses = [], []
    for _ in range(args.epochs):
        model.train()
        start = time.perf_counter()
        order = torch.randperm(len(y))
        loss_sum = 0.0
        for begin in range(0, len(y), args.batch_size):
            index = order[begin:begin + args.batch_size]
            optimizer.zero_grad()
            loss = loss_function(model(x.index_select(0, index)), y.index_select(0, index)).mean()
            loss_sum += loss.item() * len(index)
            loss.backward()
            optimizer.step()
        epoch_seconds.append(time.perf_counter() - start)
        train_losses.append(loss_sum / len(y))

    model.eval()
    with torch.no_grad():
        correct = sum((model(test_x[i:i + 1000]).argmax(1) == test_y[i:i + 1000]).sum().item() for i in range(0, len(test_y), 1000))
    print(json.dumps({
        "framework": f"PyTorch {torch.__version__}",
        "threads": torch.get_num_threads(),
        "trainRows": len(y),
        "allocator": {name: os.environ.get(name) for name in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")},
        "epochSeconds": epoch_seconds,
        "trainLosses": train_losses,
        "testAccuracy": correct / len(test_y),
    }))


if __name__ == "__main__":
    main()
