#!/usr/bin/env python3
"""Gradual global magnitude pruning in PyTorch, for accuracy side by side with MlNetDeep (not part of the tests).

Run by `MlNetDeep.Benchmarks --suite compression --only unstructured`, which trains the same networks with MlNetDeep's
`WithPruning` on the same data, batch size, optimizer, epochs and schedule. Pruning is `torch.nn.utils.prune.global_unstructured`
with `L1Unstructured` over every Linear and Conv2d weight (the output layer's included, biases and batch normalization not),
on Zhu and Gupta's schedule s(t) = s_f (1 - (1 - (t - t0)/(t1 - t0))^3): mask updates at the start of epoch `--start`,
then `--updates` times per epoch (every floor(steps / updates) steps), the final sparsity reached at the start of epoch `--end`,
the remaining epochs trained at it. Each update prunes, among the weights still unpruned, as many as the schedule adds
(an integer amount, so the count is exact). Networks: the MLP 784-256-128-10 (ReLU, no dropout) and the default CNN (Conv 32
-> BN -> ReLU -> MaxPool, Conv 64 -> BN -> ReLU -> MaxPool, FC 128 -> ReLU -> Dropout 0.25 -> FC 10), both standardizing
their input with the training rows' statistics inside the network, as MlNetDeep does. Prints one JSON array, one object per
sparsity (0 trains the dense network): the sparsity asked for and reached, test accuracy, seconds, and the bytes of the
saved state dict after `prune.remove` (PyTorch keeps pruned weights dense).

usage: prune_fashion_mnist.py <fashion-mnist folder> --net mlp|cnn --epochs N --start E0 --end E1 [--updates 4]
       [--sparsities 0,0.5,0.8,0.9,0.95] [--batch-size 128] [--threads 2] [--seed 1] [--train-rows N]
"""
import argparse
import gzip
import io
import json
import math
import struct
import time

import torch
from torch import nn
from torch.nn.utils import prune


def read_idx(path):
    with gzip.open(path, "rb") as f:
        zero, kind, dims = struct.unpack(">HBB", f.read(4))
        if zero != 0 or kind != 0x08:
            raise ValueError(f"{path} is not an idx file of unsigned bytes")
        shape = struct.unpack(">" + "I" * dims, f.read(4 * dims))
        return torch.frombuffer(bytearray(f.read()), dtype=torch.uint8).reshape(shape)


class Standardize(nn.Module):
    """(x - mean) * scale with per-feature (MLP) or per-channel (CNN) statistics of the training rows, then the network's input shape."""

    def __init__(self, mean, scale, shape):
        super().__init__()
        self.register_buffer("mean", mean)
        self.register_buffer("scale", scale)
        self.shape = shape

    def forward(self, x):
        return (x.reshape(self.shape) - self.mean) * self.scale


def network(kind, x):
    if kind == "mlp":
        mean, std = x.mean(0), x.std(0, unbiased=False)
        scale = torch.where(std > 1e-8, 1 / std, torch.ones_like(std))
        return nn.Sequential(Standardize(mean, scale, (-1, 784)), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    pixels = x.double()
    mean = torch.tensor(pixels.mean().item(), dtype=torch.float32).reshape(1, 1, 1)
    scale = torch.tensor(1 / pixels.std(unbiased=False).item(), dtype=torch.float32).reshape(1, 1, 1)
    return nn.Sequential(
        Standardize(mean, scale, (-1, 1, 28, 28)),
        nn.Conv2d(1, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Dropout(0.25), nn.Linear(128, 10))


def train(args, x, y, test_x, test_y, sparsity):
    torch.manual_seed(args.seed)
    model = network(args.net, x)
    weights = [(m, "weight") for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv2d))]
    total = sum(m.weight.numel() for m, _ in weights)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999))
    loss_function = nn.CrossEntropyLoss()
    steps_per_epoch = math.ceil(len(x) / args.batch_size)
    start_step, end_step = (args.start - 1) * steps_per_epoch, (args.end - 1) * steps_per_epoch
    interval = max(1, steps_per_epoch // args.updates)
    pruned, step = 0, 0
    started = time.perf_counter()
    for epoch in range(args.epochs):
        model.train()
        generator = torch.Generator().manual_seed(args.seed * 1000 + epoch)
        order = torch.randperm(len(x), generator=generator)
        for batch in order.split(args.batch_size):
            if sparsity > 0 and start_step <= step <= end_step and ((step - start_step) % interval == 0 or step == end_step):
                remaining = 1 - (step - start_step) / (end_step - start_step) if end_step > start_step else 0
                target = round(sparsity * (1 - remaining ** 3) * total) if step < end_step else round(sparsity * total)
                if target > pruned:
                    prune.global_unstructured(weights, pruning_method=prune.L1Unstructured, amount=target - pruned)
                    pruned = target
            optimizer.zero_grad()
            loss = loss_function(model(x[batch]), y[batch])
            loss.backward()
            optimizer.step()
            step += 1
    seconds = time.perf_counter() - started
    model.eval()
    with torch.no_grad():
        correct = sum((model(test_x[i:i + 1000]).argmax(1) == test_y[i:i + 1000]).sum().item() for i in range(0, len(test_x), 1000))
    if sparsity > 0:
        for module, name in weights:
            prune.remove(module, name)
    zeros = sum((m.weight == 0).sum().item() for m, _ in weights)
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    return {"sparsity": sparsity, "achievedSparsity": zeros / total, "testAccuracy": correct / len(test_x),
            "seconds": seconds, "stateDictBytes": buffer.getbuffer().nbytes}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("data")
    parser.add_argument("--net", choices=["mlp", "cnn"], required=True)
    parser.add_argument("--epochs", type=int, required=True)
    parser.add_argument("--start", type=int, required=True)
    parser.add_argument("--end", type=int, required=True)
    parser.add_argument("--updates", type=int, default=4)
    parser.add_argument("--sparsities", default="0,0.5,0.8,0.9,0.95")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--train-rows", type=int, default=0)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    x = read_idx(f"{args.data}/train-images-idx3-ubyte.gz").float().div(255).reshape(-1, 28 * 28)
    y = read_idx(f"{args.data}/train-labels-idx1-ubyte.gz").long()
    if args.train_rows:
        x, y = x[: args.train_rows], y[: args.train_rows]
    test_x = read_idx(f"{args.data}/t10k-images-idx3-ubyte.gz").float().div(255).reshape(-1, 28 * 28)
    test_y = read_idx(f"{args.data}/t10k-labels-idx1-ubyte.gz").long()
    results = [train(args, x, y, test_x, test_y, float(s)) for s in args.sparsities.split(",")]
    print(json.dumps({"framework": f"PyTorch {torch.__version__}", "runs": results}))


if __name__ == "__main__":
    main()
