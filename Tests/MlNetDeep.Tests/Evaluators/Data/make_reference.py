#!/usr/bin/python3
"""Writes the reference values the evaluator tests compare against.

Run from this folder with Debian's Python, scikit-learn and SciPy (apt-get install python3-sklearn):

    /usr/bin/python3 make_reference.py

It draws seeded inputs, computes every metric with scikit-learn / SciPy (or, where no library has the metric, a
short formula on their outputs, spelled out below), and writes classification.json, binary.json, generative.json,
token-classification.json (NER tags) and text-classification.json.
CI does not run this script; the tests read the stored files. Scores are float32, as ML.NET's Score column is; each
value is written as the double that float32 converts to, so C# reads back exactly the number scikit-learn used.
"""
import json

import numpy as np
import scipy.linalg
import scipy.stats
import sklearn
from sklearn.calibration import calibration_curve
from sklearn.metrics import (average_precision_score, confusion_matrix, precision_recall_curve,
                             precision_recall_fscore_support, roc_auc_score, roc_curve, top_k_accuracy_score)

BINS = 10


def floats(array):
    return [float(x) for x in np.asarray(array).ravel()]


def calibration(outcomes, probabilities):
    """sklearn's reliability curve plus the bin counts it uses (uniform bins, searchsorted on the inner edges),
    and the expected/maximum calibration error over the non-empty bins."""
    observed, predicted = calibration_curve(outcomes, probabilities, n_bins=BINS, strategy="uniform")
    edges = np.linspace(0.0, 1.0, BINS + 1)
    bin_ids = np.searchsorted(edges[1:-1], probabilities)
    counts = np.bincount(bin_ids, minlength=BINS)
    gaps = np.abs(observed - predicted)
    return {
        "counts": [int(c) for c in counts],
        "observed_frequency": floats(observed),
        "mean_predicted_probability": floats(predicted),
        "expected_calibration_error": float(np.sum(gaps * counts[counts > 0]) / counts.sum()),
        "maximum_calibration_error": float(gaps.max()),
    }


def per_class(y, predicted, labels):
    precision, recall, f1, support = precision_recall_fscore_support(y, predicted, labels=labels, zero_division=0)
    report = {"precision": floats(precision), "recall": floats(recall), "f1": floats(f1), "support": [int(s) for s in support]}
    for average in ("macro", "micro", "weighted"):
        p, r, f, _ = precision_recall_fscore_support(y, predicted, labels=labels, average=average, zero_division=0)
        report[average] = {"precision": float(p), "recall": float(r), "f1": float(f)}
    report["confusion_matrix"] = confusion_matrix(y, predicted, labels=labels).tolist()
    return report


def multiclass(random):
    # Six classes; the last never occurs as a label but is sometimes predicted (precision and recall 0, support 0).
    class_count, rows = 6, 700
    y = random.choice(class_count - 1, size=rows, p=[0.35, 0.25, 0.2, 0.15, 0.05])
    logits = random.normal(size=(rows, class_count)) * 1.5
    logits[np.arange(rows), y] += random.uniform(0.0, 3.0, size=rows)
    scores = np.exp(logits - logits.max(axis=1, keepdims=True))
    scores = (scores / scores.sum(axis=1, keepdims=True)).astype(np.float32)
    predicted = scores.argmax(axis=1)
    labels = list(range(class_count))
    expected = per_class(y, predicted, labels)
    expected["accuracy"] = float(np.mean(predicted == y))
    expected["top_k_accuracy"] = [float(top_k_accuracy_score(y, scores, k=k, labels=labels)) for k in range(1, class_count + 1)]
    confidence = scores.max(axis=1).astype(np.float64)
    expected["calibration"] = calibration((predicted == y).astype(int), confidence)
    return {"inputs": {"labels": [int(v) for v in y], "scores": [floats(row) for row in scores]}, "expected": expected}


def binary(random):
    rows = 500
    y = random.random(rows) < 0.4
    # Logits rounded to 0.1 so that many rows share a score: the curves must treat ties as one threshold.
    scores = np.round(random.normal(size=rows) * 1.2 + np.where(y, 1.0, -0.8), 1).astype(np.float32)
    probability = (1.0 / (1.0 + np.exp(-1.3 * scores.astype(np.float64)))).astype(np.float32)
    predicted = scores > 0
    expected = per_class(y, predicted, [False, True])
    expected["accuracy"] = float(np.mean(predicted == y))
    expected["area_under_roc_curve"] = float(roc_auc_score(y, scores))
    expected["average_precision"] = float(average_precision_score(y, scores))
    precision, recall, pr_thresholds = precision_recall_curve(y, scores)
    # sklearn lists increasing thresholds and stops at the first full recall; reverse to the report's order.
    expected["precision_recall_curve"] = {"threshold": floats(pr_thresholds[::-1]), "precision": floats(precision[:-1][::-1]), "recall": floats(recall[:-1][::-1])}
    fpr, tpr, roc_thresholds = roc_curve(y, scores, drop_intermediate=False)
    expected["roc_curve"] = {"threshold": floats(roc_thresholds[1:]), "false_positive_rate": floats(fpr), "true_positive_rate": floats(tpr)}
    expected["calibration"] = calibration(y.astype(int), probability.astype(np.float64))
    inputs = {"labels": [bool(v) for v in y], "scores": floats(scores), "probabilities": floats(probability), "predicted": [bool(v) for v in predicted]}
    return {"inputs": inputs, "expected": expected}


def frechet_distance(features1, features2):
    """The FID formula as pytorch-fid computes it: scipy's general matrix square root of the product."""
    f1, f2 = features1.astype(np.float64), features2.astype(np.float64)
    mu1, mu2 = f1.mean(axis=0), f2.mean(axis=0)
    sigma1, sigma2 = np.cov(f1, rowvar=False), np.cov(f2, rowvar=False)
    root, _ = scipy.linalg.sqrtm(sigma1.dot(sigma2), disp=False)
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(np.real(root)))


def frechet_distance_by_singular_values(features1, features2):
    """The FID formula with Tr (Σ₁Σ₂)^½ as the nuclear norm of A Bᵀ (Σ₁ = AᵀA, Σ₂ = BᵀB from the centred rows): an SVD,
    accurate also when a set has fewer rows than features and the covariances are singular, where sqrtm loses digits."""
    f1, f2 = features1.astype(np.float64), features2.astype(np.float64)
    a = (f1 - f1.mean(axis=0)) / np.sqrt(len(f1) - 1)
    b = (f2 - f2.mean(axis=0)) / np.sqrt(len(f2) - 1)
    trace_of_root = np.linalg.norm(a @ b.T, "nuc")
    return float(np.sum((f1.mean(axis=0) - f2.mean(axis=0)) ** 2) + np.sum(a * a) + np.sum(b * b) - 2 * trace_of_root)


def inception_score(probabilities, splits):
    """The original recipe: consecutive parts of N // splits rows, exp of the mean KL(p(y|x) || p(y)) per part."""
    part_size = len(probabilities) // splits
    scores = []
    for k in range(splits):
        part = probabilities[k * part_size:(k + 1) * part_size].astype(np.float64)
        marginal = np.mean(part, axis=0)
        scores.append(np.exp(np.mean([scipy.stats.entropy(row, marginal) for row in part])))
    return {"mean": float(np.mean(scores)), "standard_deviation": float(np.std(scores)), "split_scores": floats(scores)}


def generative(random):
    dimension = 8
    mixing = random.normal(size=(dimension, dimension)) * 0.5 + np.eye(dimension)
    features1 = (random.normal(size=(60, dimension)) @ mixing).astype(np.float32)
    features2 = (random.normal(size=(50, dimension)) @ (mixing * 1.3) + 0.7).astype(np.float32)
    probabilities = random.dirichlet(np.full(7, 0.3), size=103).astype(np.float32)
    # Fewer rows than features in both sets (24 and 30 rows of 40): singular covariances.
    wide = random.normal(size=(40, 40)) * 0.4 + np.eye(40)
    few_rows1 = (random.normal(size=(24, 40)) @ wide).astype(np.float32)
    few_rows2 = (random.normal(size=(30, 40)) @ (wide * 1.2) + 0.3).astype(np.float32)
    return {
        "features1": [floats(row) for row in features1],
        "features2": [floats(row) for row in features2],
        "frechet_distance": frechet_distance(features1, features2),
        "few_rows1": [floats(row) for row in few_rows1],
        "few_rows2": [floats(row) for row in few_rows2],
        "frechet_distance_few_rows": frechet_distance_by_singular_values(few_rows1, few_rows2),
        "class_probabilities": [floats(row) for row in probabilities],
        "inception_score_splits": 5,
        "inception_score": inception_score(probabilities, 5),
    }


ENTITY_CLASSES = ["PER", "LOC", "ORG", "MISC"]


def token_classification(random):
    """Tags as ML.NET's NER samples key them: the entity classes are the key's values 1..4, and the outside tag "O" is
    left out of the dictionary, so outside tokens are key 0 (and the model predicts 0 for them). The report lists the
    key's classes in key order, then "O" (key 0); the entity averages leave "O" out. Every token counts once."""
    sentences = []
    for _ in range(60):
        length = int(random.integers(3, 16))
        truth = np.where(random.random(length) < 0.6, 0, random.integers(1, 5, size=length))
        wrong = random.random(length) < 0.25
        predicted = np.where(wrong, random.integers(0, 5, size=length), truth)
        sentences.append((truth, predicted))
    y = np.concatenate([t for t, _ in sentences])
    p = np.concatenate([q for _, q in sentences])
    report_order = [1, 2, 3, 4, 0]
    expected = per_class(y, p, report_order)
    expected["accuracy"] = float(np.mean(y == p))
    entity = [1, 2, 3, 4]
    micro = precision_recall_fscore_support(y, p, labels=entity, average="micro", zero_division=0)
    macro = precision_recall_fscore_support(y, p, labels=entity, average="macro", zero_division=0)
    expected["entity_micro"] = {"precision": float(micro[0]), "recall": float(micro[1]), "f1": float(micro[2])}
    expected["entity_macro_f1"] = float(macro[2])
    expected["class_labels"] = ENTITY_CLASSES + ["O"]
    inputs = {"key_values": ENTITY_CLASSES, "labels": [[int(v) for v in t] for t, _ in sentences],
              "predicted": [[int(v) for v in q] for _, q in sentences]}
    return {"inputs": inputs, "expected": expected}


def text_classification(random):
    """Three classes scored as ML.NET's TextClassification trainer scores them: raw logits (not probabilities), the
    predicted class their highest value."""
    class_count, rows = 3, 200
    y = random.choice(class_count, size=rows, p=[0.5, 0.3, 0.2])
    logits = random.normal(size=(rows, class_count)) * 2.0
    logits[np.arange(rows), y] += random.uniform(0.0, 3.0, size=rows)
    scores = logits.astype(np.float32)
    predicted = scores.argmax(axis=1)
    labels = list(range(class_count))
    expected = per_class(y, predicted, labels)
    expected["accuracy"] = float(np.mean(predicted == y))
    expected["top_k_accuracy"] = [float(top_k_accuracy_score(y, scores, k=k, labels=labels)) for k in range(1, class_count + 1)]
    inputs = {"key_values": ["negative", "neutral", "positive"], "labels": [int(v) for v in y], "scores": [floats(row) for row in scores]}
    return {"inputs": inputs, "expected": expected}


def main():
    random = np.random.default_rng(20261128)
    versions = {"scikit-learn": sklearn.__version__, "scipy": scipy.__version__, "numpy": np.__version__}
    for name, build in (("classification", multiclass), ("binary", binary), ("generative", generative)):
        write(name, build(random), versions)
    # A generator of their own, so that the files above stay as they were.
    text_random = np.random.default_rng(20261204)
    for name, build in (("token-classification", token_classification), ("text-classification", text_classification)):
        write(name, build(text_random), versions)


def write(name, data, versions):
    data["made_with"] = versions
    with open(f"{name}.json", "w") as file:
        json.dump(data, file, indent=None, separators=(",", ":"))
        file.write("\n")


if __name__ == "__main__":
    main()
