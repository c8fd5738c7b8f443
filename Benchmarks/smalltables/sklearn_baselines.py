"""scikit-learn's columns of the small-table suite: MLP with its defaults and the linear model, inputs standardized.

Reads the tables and splits that export_tables.py wrote (the same rows the C# suite uses) and prints one JSON object:

    /usr/bin/python3 Benchmarks/smalltables/sklearn_baselines.py [--tables iris,wine] [--seeds 1,2]

Classification: MLPClassifier() and LogisticRegression(max_iter=1000), accuracy; regression: MLPRegressor() and
LinearRegression(), R². Each model is StandardScaler followed by the estimator; the MLPs get random_state = seed.
"""
import argparse
import gzip
import json
import os
import time
import warnings

import numpy as np
import pandas as pd
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def read(folder, name):
    with gzip.open(os.path.join(folder, f"{name}.csv.gz"), "rt") as stream:
        table = pd.read_csv(stream)
    with gzip.open(os.path.join(folder, f"{name}.splits.csv.gz"), "rt") as stream:
        splits = pd.read_csv(stream)
    return table.drop(columns=["Label"]).to_numpy(dtype=float), table["Label"].to_numpy(), splits


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tables")
    parser.add_argument("--seeds")
    args = parser.parse_args()
    folder = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
    with open(os.path.join(folder, "tables.json")) as stream:
        manifest = json.load(stream)
    names = args.tables.split(",") if args.tables else [t["name"] for t in manifest["tables"]]
    seeds = [int(s) for s in args.seeds.split(",")] if args.seeds else manifest["seeds"]
    results = []
    warnings.simplefilter("ignore", ConvergenceWarning)
    for table in manifest["tables"]:
        if table["name"] not in names:
            continue
        x, y, splits = read(folder, table["name"])
        classification = table["task"] != "regression"
        for seed in seeds:
            test = splits[f"test_seed{seed}"].to_numpy() == 1
            models = {
                "mlp": make_pipeline(StandardScaler(), MLPClassifier(random_state=seed) if classification else MLPRegressor(random_state=seed)),
                "linear": make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000) if classification else LinearRegression()),
            }
            for model_name, model in models.items():
                start = time.perf_counter()
                model.fit(x[~test], y[~test])
                seconds = time.perf_counter() - start
                estimator = model[-1]
                results.append({
                    "table": table["name"], "seed": seed, "model": model_name,
                    "score": float(model.score(x[test], y[test])), "fitSeconds": seconds,
                    "iterations": int(np.max(np.atleast_1d(getattr(estimator, "n_iter_", 0)))),
                })
    print(json.dumps({"sklearn": sklearn.__version__, "numpy": np.__version__, "results": results}))


if __name__ == "__main__":
    main()
