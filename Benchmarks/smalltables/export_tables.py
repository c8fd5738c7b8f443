"""Exports the small-table suite's tables and their train/test splits from Debian's python3-sklearn and python3-statsmodels.

Run once; the output is committed (Benchmarks/smalltables/data), so the C# side needs no Python:

    /usr/bin/python3 Benchmarks/smalltables/export_tables.py

Each table becomes data/<name>.csv.gz (the feature columns, then `Label`: a class index for classification, the value for
regression) and data/<name>.splits.csv.gz (one line per row: whether the row is a test row for seeds 1..5; 25% test rows,
stratified by class for classification, scikit-learn's train_test_split with random_state = seed). Both the C# suite and
sklearn_baselines.py read these files, so every model sees the same rows. data/tables.json describes each table.
"""
import gzip
import json
import os

import numpy as np
import pandas as pd
import sklearn
import statsmodels
import statsmodels.api as sm
from sklearn import datasets
from sklearn.model_selection import train_test_split

SEEDS = [1, 2, 3, 4, 5]
TEST_FRACTION = 0.25
UCI = "UCI Machine Learning Repository, CC BY 4.0; shipped with scikit-learn (BSD-3-Clause)"


def sklearn_table(loader):
    data = loader()
    return pd.DataFrame(data.data, columns=[str(c).replace(" ", "_") for c in data.feature_names]), data.target


def modechoice():
    # One row per traveller: the four modes' terminal time, in-vehicle cost and time and generalized cost, household income
    # and party size; the label is the chosen mode (air, train, bus, car).
    long = sm.datasets.modechoice.load_pandas().data
    wide = long.pivot(index="individual", columns="mode", values=["ttme", "invc", "invt", "gc"])
    wide.columns = [f"{measure}_{int(mode)}" for measure, mode in wide.columns]
    people = long.groupby("individual")[["hinc", "psize"]].first()
    chosen = long[long.choice == 1].set_index("individual")["mode"].astype(int) - 1
    features = wide.join(people)
    return features.reset_index(drop=True), chosen.loc[features.index].to_numpy()


def anes96():
    data = sm.datasets.anes96.load_pandas().data
    return data.drop(columns=["vote"]), data["vote"].astype(int).to_numpy()


def randhie():
    data = sm.datasets.randhie.load_pandas().data
    return data.drop(columns=["mdvis"]), (data["mdvis"] > 0).astype(int).to_numpy()


def engel():
    data = sm.datasets.engel.load_pandas().data
    return data[["income"]], data["foodexp"].to_numpy()


def grunfeld():
    data = sm.datasets.grunfeld.load_pandas().data
    features = pd.get_dummies(data.drop(columns=["invest"]), columns=["firm"], dtype=float)
    features.columns = [c.replace(" ", "_").replace(".", "") for c in features.columns]
    return features, data["invest"].to_numpy()


TABLES = [
    ("iris", "multiclass", lambda: sklearn_table(datasets.load_iris), "scikit-learn load_iris: 3 iris species from 4 measurements", UCI),
    ("wine", "multiclass", lambda: sklearn_table(datasets.load_wine), "scikit-learn load_wine: 3 cultivars from 13 chemical measurements", UCI),
    ("digits", "multiclass", lambda: sklearn_table(datasets.load_digits), "scikit-learn load_digits: handwritten digits 0-9 as 8x8 pixels (0-16)", UCI),
    ("modechoice", "multiclass", modechoice, "statsmodels modechoice: travel mode chosen (air, train, bus, car) from each mode's times and costs, income, party size", "public domain (statsmodels' dataset notes)"),
    ("breast-cancer", "binary", lambda: sklearn_table(datasets.load_breast_cancer), "scikit-learn load_breast_cancer: benign (1) or malignant (0) from 30 cell-nucleus measurements", UCI),
    ("anes96", "binary", anes96, "statsmodels anes96: 1996 US presidential vote (Dole 1, Clinton 0) from 10 survey answers", "public domain (statsmodels' dataset notes)"),
    ("randhie", "binary", randhie, "statsmodels randhie: any outpatient visit in the year (mdvis > 0) from 9 insurance and health variables (RAND HIE)", "public domain (statsmodels' dataset notes)"),
    ("diabetes", "regression", lambda: sklearn_table(datasets.load_diabetes), "scikit-learn load_diabetes: disease progression after one year from 10 baseline variables (scaled as scikit-learn ships them)", "Efron, Hastie, Johnstone, Tibshirani (2004), Least Angle Regression; shipped with scikit-learn (BSD-3-Clause)"),
    ("engel", "regression", engel, "statsmodels engel: household food expenditure from income (one feature)", "public domain (statsmodels' dataset notes)"),
    ("grunfeld", "regression", grunfeld, "statsmodels grunfeld: a firm's yearly gross investment from its value, capital stock, year and firm (one-hot)", "public domain (statsmodels' dataset notes)"),
]


def main():
    folder = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
    os.makedirs(folder, exist_ok=True)
    described = []
    for name, task, load, description, licence in TABLES:
        features, label = load()
        features = features.astype(float).reset_index(drop=True)
        label = np.asarray(label)
        table = features.copy()
        table["Label"] = label.astype(float) if task == "regression" else label.astype(int)
        with gzip.GzipFile(os.path.join(folder, f"{name}.csv.gz"), "wb", mtime=0) as stream:
            stream.write(table.to_csv(index=False, float_format="%.10g").encode())
        rows = np.arange(len(table))
        is_test = {}
        for seed in SEEDS:
            _, test = train_test_split(rows, test_size=TEST_FRACTION, random_state=seed, stratify=label if task != "regression" else None)
            flags = np.zeros(len(table), dtype=int)
            flags[test] = 1
            is_test[f"test_seed{seed}"] = flags
        with gzip.GzipFile(os.path.join(folder, f"{name}.splits.csv.gz"), "wb", mtime=0) as stream:
            stream.write(pd.DataFrame(is_test).to_csv(index=False).encode())
        described.append({
            "name": name, "task": task, "rows": len(table), "features": features.shape[1],
            "classes": int(len(np.unique(label))) if task != "regression" else None,
            "description": description, "licence": licence,
        })
        print(f"{name}: {len(table)} rows, {features.shape[1]} features, {task}")
    with open(os.path.join(folder, "tables.json"), "w") as stream:
        json.dump({"seeds": SEEDS, "testFraction": TEST_FRACTION, "sklearn": sklearn.__version__,
                   "statsmodels": statsmodels.__version__, "tables": described}, stream, indent=2)
        stream.write("\n")


if __name__ == "__main__":
    main()
