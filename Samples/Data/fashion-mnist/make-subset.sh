#!/bin/sh
# Rebuilds this folder's subset from the full Fashion-MNIST: the first rows of each file, same idx format, gzip -n.
# Usage: make-subset.sh [source folder] [training rows] [test rows]
set -eu
source=${1:-/usr/share/datasets/fashion-mnist}
train=${2:-6000}
test=${3:-1000}
target=$(dirname "$0")

# idx header: 0x00 0x00, type 0x08 (unsigned byte), dimension count, then each dimension as a big-endian int32.
be32() { printf "\\$(printf %03o $(($1 >> 24 & 255)))\\$(printf %03o $(($1 >> 16 & 255)))\\$(printf %03o $(($1 >> 8 & 255)))\\$(printf %03o $(($1 & 255)))"; }

# subset <name> <rows> <dimension count> <bytes per row> [row dimensions...]
subset() {
    name=$1 rows=$2 dims=$3 size=$4
    shift 4
    {
        printf '\000\000\010'; printf "\\$(printf %03o "$dims")"; be32 "$rows"
        for d in "$@"; do be32 "$d"; done
        header=$((4 + 4 * dims))
        gzip -dc "$source/$name" | head -c $((header + rows * size)) | tail -c +$((header + 1))
    } | gzip -9n > "$target/$name"
}

subset train-images-idx3-ubyte.gz "$train" 3 784 28 28
subset train-labels-idx1-ubyte.gz "$train" 1 1
subset t10k-images-idx3-ubyte.gz "$test" 3 784 28 28
subset t10k-labels-idx1-ubyte.gz "$test" 1 1
