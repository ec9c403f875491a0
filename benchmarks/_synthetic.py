"""ADBench's four synthetic anomaly types, built from the normal rows of a table.

A port of ``DataGenerator.generate_realistic_synthetic`` in
``adbench/datasets/data_generator.py`` of ADBench (github:Minqi824/ADBench, commit
3dac822; Han et al., "ADBench: Anomaly Detection Benchmark", NeurIPS 2022; BSD-2-Clause
licence, copyright the ADBench authors). The recipe is ADBench's; the code is rewritten
for this repository. Only the normal rows (``y == 0``) of a table are used; from them:

* ``local``: a Gaussian mixture (full covariances, 1-9 components chosen by the lowest
  BIC) fitted on the normal rows; synthetic normal rows are drawn from it, anomalies from
  the same mixture with every covariance multiplied by ``ALPHA = 5``;
* ``clustered`` (ADBench's ``'cluster'``): the same mixture with every mean multiplied
  by ``ALPHA`` (means of the raw columns, so the cluster moves away from the origin);
* ``global``: the same synthetic normal rows; anomalies uniform per column between
  ``1.1 *`` the column's minimum and ``1.1 *`` its maximum over the synthetic normal rows
  (ADBench's ``percentage = 0.1``, applied to the bounds exactly as ADBench does: a
  positive minimum moves up, a negative one down);
* ``dependency``: at most 50 columns (a seeded choice, as ADBench's cap); normal rows
  drawn from a copula fitted on the normal rows, anomalies drawn column by column from
  independent Gaussian kernel density estimates (copulas' ``GaussianKDE``), so every
  column keeps its distribution and only the dependence between columns is broken.

Row counts follow ADBench: a table with fewer than 1,000 rows is resampled up to 1,000
and one with more than 10,000 subsampled to 10,000, the anomalies keep the table's share
and the synthetic set has as many normal rows and anomalies as that (re)sampled table.
``ALPHA``, the BIC search, the 1.1 and the 50-column cap are ADBench's defaults.

Where this port deviates from ADBench, and why:

* **At most 3,000 normal rows** (``MAX_NORMAL_ROWS``) in each synthetic set, and the
  model is fitted on a seeded subsample of at most 3,000 of the table's normal rows
  (ADBench: up to 10,000 rows), so that the suite stays cheap to run: 104 sets, three
  seeds, every detector, the autoencoder included. The test part (30%) still holds up
  to 900 normal rows, and as the rows are drawn from a fitted model, drawing more of
  them adds no new structure.
* **At least 20 anomalies** (``MIN_ANOMALIES``): with the table's share and 3,000
  normal rows 34_smtp would get 1 anomaly and 16_http 12, too few for a 30% test part.
* **A Gaussian copula instead of a C-vine** for the dependency type's normal rows.
  ADBench uses copulas' ``VineCopula('center')``, whose sampler runs row by row in
  Python: drawing 1,000 rows of 6_cardio (21 columns) took 392 s on the two shared
  cores this suite was built on, so the 26 tables at up to 3,000 rows and 50 columns
  would take many hours. copulas' ``GaussianMultivariate`` with ``GaussianKDE``
  marginals (the vine's marginals too) is fitted instead; it keeps the pairwise
  correlations of the columns' normal scores, not the vine's asymmetric and tail
  dependences. Its own sampler inverts each KDE's CDF by root finding for every drawn
  value (121 s for 1,655 rows of 6_cardio, same machine), so the CDF is tabulated once
  on a grid that holds every data point, the midpoints between them and the points one
  bandwidth either side, and inverted by linear interpolation; the draws are the
  copula's up to that interpolation.
* **Fresh random draws for the anomalies.** ADBench's ``GaussianMixture.sample`` calls
  restart the mixture's integer seed, so its anomalies reuse the random numbers of its
  normal rows; here normal rows and anomalies come from separate seeded streams. The
  models are fitted on the table's normal rows, each once (ADBench fits on its
  resampled table, with duplicates when the table has fewer than 1,000 rows).

Everything is seeded (by the table's and the type's name in the suite), so the same
call gives the same rows; ``benchmarks/_datasets.load_synthetic`` caches them on disk.
"""

# SPDX-License-Identifier: BSD-3-Clause

import copy
import warnings
import zlib

import numpy as np
from scipy.special import ndtr
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

#: The four anomaly types, in the suite's order.
TYPES = ("local", "global", "clustered", "dependency")
#: ADBench's scale of the covariances (local) and of the means (clustered).
ALPHA = 5
#: ADBench's ``percentage``: global anomalies lie between 1.1 x each column's min and max.
GLOBAL_PERCENTAGE = 0.1
#: The mixture's number of components is chosen by BIC among 1 ... MAX_COMPONENTS.
MAX_COMPONENTS = 9
#: ADBench's column cap for the copula.
MAX_DEPENDENCY_COLUMNS = 50
#: ADBench resamples tables up to this many rows ...
MIN_TABLE_ROWS = 1_000
#: ... and subsamples them down to this many.
MAX_TABLE_ROWS = 10_000
#: This port's cap on the normal rows of a synthetic set (and on the rows fitted).
MAX_NORMAL_ROWS = 3_000
#: This port's floor on the anomalies of a synthetic set.
MIN_ANOMALIES = 20


def seed_of(text):
    """A fixed 31-bit seed from a name (CRC32), the same in every run and on every machine."""
    return zlib.crc32(text.encode()) & 0x7FFFFFFF


def synthetic_sizes(n_normal, n_anomalies):
    """Normal rows and anomalies of a synthetic set built from a table with these counts.

    ADBench's: the table resampled to 1,000-10,000 rows with its anomaly share, then at
    most ``MAX_NORMAL_ROWS`` normal rows and at least ``MIN_ANOMALIES`` anomalies.
    """
    if n_normal < 1 or n_anomalies < 0:
        raise ValueError(f"need at least one normal row and no negative count, got "
                         f"n_normal={n_normal}, n_anomalies={n_anomalies}")
    n = n_normal + n_anomalies
    share = n_anomalies / n
    n_table = min(max(n, MIN_TABLE_ROWS), MAX_TABLE_ROWS)
    normal = min(int(round(n_table * (1 - share))), MAX_NORMAL_ROWS)
    anomalies = max(int(round(normal * share / (1 - share))), MIN_ANOMALIES)
    return normal, anomalies


def fit_mixture(X, random_state):
    """ADBench's Gaussian mixture: full covariances, components 1-9 chosen by the lowest BIC."""
    X = np.asarray(X, dtype=np.float64)
    best = None
    for k in range(1, min(MAX_COMPONENTS, len(X)) + 1):
        with warnings.catch_warnings():
            # the larger mixtures often stop at max_iter; BIC judges them all the same
            warnings.simplefilter("ignore", ConvergenceWarning)
            gm = GaussianMixture(n_components=k, random_state=random_state).fit(X)
        bic = gm.bic(X)
        if best is None or bic < best[0]:
            best = (bic, gm)
    return best[1]


def _sample_mixture(gm, n, random_state, means=None, covariances=None):
    """``n`` rows of ``gm``, with its means or covariances replaced, from ``random_state``.

    ``GaussianMixture.sample`` draws from the mixture's own ``random_state``; a copy with
    this one and the changed parameters leaves ``gm`` as it was.
    """
    draw = copy.deepcopy(gm)
    draw.random_state = random_state
    if means is not None:
        draw.means_ = means
    if covariances is not None:
        draw.covariances_ = covariances
    return draw.sample(n)[0]


def mixture_sets(X_normal, n_normal, n_anomalies, random_state, types=("local", "global",
                                                                       "clustered")):
    """The mixture-based types from one fitted mixture: ``{type: (X, y)}``.

    ``random_state`` is an int (the mixture's fit) or a dict ``{type: int}`` of the
    types' draws as well (``'fit'`` for the fit); with an int the draws' seeds derive
    from it. Each set holds ``n_normal`` normal rows, then ``n_anomalies`` anomalies.
    """
    seeds = _seeds(random_state, ("fit", *types))
    gm = fit_mixture(X_normal, seeds["fit"])
    out = {}
    for kind in types:
        rng = np.random.RandomState(seeds[kind])
        normal_seed, anomaly_seed = rng.randint(2**31 - 1, size=2)
        normal = _sample_mixture(gm, n_normal, normal_seed)
        if kind == "local":
            anomalies = _sample_mixture(gm, n_anomalies, anomaly_seed,
                                        covariances=ALPHA * gm.covariances_)
        elif kind == "clustered":
            anomalies = _sample_mixture(gm, n_anomalies, anomaly_seed, means=ALPHA * gm.means_)
        elif kind == "global":
            anomalies = global_anomalies(normal, n_anomalies, anomaly_seed)
        else:
            raise ValueError(f"mixture types are 'local', 'global' and 'clustered', "
                             f"got {kind!r}")
        out[kind] = _stack(normal, anomalies)
    return out


def global_anomalies(X_normal, n, random_state):
    """ADBench's global anomalies: uniform per column between 1.1 x its min and 1.1 x its max."""
    rng = np.random.RandomState(random_state)
    low = X_normal.min(axis=0) * (1 + GLOBAL_PERCENTAGE)
    high = X_normal.max(axis=0) * (1 + GLOBAL_PERCENTAGE)
    return rng.uniform(low, high, size=(n, X_normal.shape[1]))


def dependency_set(X_normal, n_normal, n_anomalies, random_state):
    """The dependency type: ``(X, y)`` with at most ``MAX_DEPENDENCY_COLUMNS`` columns.

    Normal rows from a Gaussian copula with KDE marginals fitted on ``X_normal`` (see the
    module docstring for why not ADBench's vine), anomalies from independent per-column
    KDEs. Needs the ``copulas`` package.
    """
    import pandas as pd
    from copulas.multivariate import GaussianMultivariate
    from copulas.univariate import GaussianKDE

    X_normal = np.asarray(X_normal, dtype=np.float64)
    rng = np.random.RandomState(random_state)
    if X_normal.shape[1] > MAX_DEPENDENCY_COLUMNS:
        keep = np.sort(rng.choice(X_normal.shape[1], MAX_DEPENDENCY_COLUMNS, replace=False))
        X_normal = X_normal[:, keep]
    p = X_normal.shape[1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # copulas warns on every nearly constant column
        copula = GaussianMultivariate(distribution=GaussianKDE)
        copula.fit(pd.DataFrame(X_normal))
        corr = copula.correlation.to_numpy()
        U = ndtr(rng.multivariate_normal(np.zeros(p), corr, size=n_normal))
        normal = np.column_stack([_kde_quantile(u, U[:, j])
                                  for j, u in enumerate(copula.univariates)])
        anomalies = np.empty((n_anomalies, p))
        for j in range(p):
            kde = GaussianKDE(random_state=int(rng.randint(2**31 - 1)))
            kde.fit(X_normal[:, j])
            anomalies[:, j] = kde.sample(n_anomalies)
    return _stack(normal, anomalies)


def _kde_quantile(kde, u):
    """Quantiles ``u`` of a fitted copulas ``GaussianKDE``, by interpolating its tabulated CDF."""
    if getattr(kde, "_constant_value", None) is not None:
        return np.full(len(u), kde._constant_value, dtype=np.float64)
    data = np.unique(np.asarray(kde._params["dataset"], dtype=np.float64))
    h = float(np.sqrt(kde._model.covariance[0, 0]))
    low, high = kde._get_bounds()
    # every data point, the midpoints and one bandwidth either side: the CDF bends there
    grid = np.unique(np.concatenate([data, (data[1:] + data[:-1]) / 2, data - h, data + h,
                                     np.linspace(low, high, 1024)]))
    cdf = np.concatenate([kde.cumulative_distribution(chunk)
                          for chunk in np.array_split(grid, max(1, len(grid) // 1000))])
    cdf = np.maximum.accumulate(cdf)
    return np.interp(u, cdf, grid)


def _stack(normal, anomalies):
    X = np.vstack([normal, anomalies]).astype(np.float64)
    return X, np.r_[np.zeros(len(normal), dtype=int), np.ones(len(anomalies), dtype=int)]


def _seeds(random_state, keys):
    if isinstance(random_state, dict):
        return {k: int(random_state[k]) for k in keys}
    rng = np.random.RandomState(random_state)
    return {k: int(s) for k, s in zip(keys, rng.randint(2**31 - 1, size=len(keys)))}


def synthetic_from_table(X, y, types, table, max_fit_rows=MAX_NORMAL_ROWS):
    """The synthetic sets of ``types`` built from the normal rows of one table.

    Seeded by ``table`` (the fit and the subsample of at most ``max_fit_rows`` normal
    rows) and by ``'<type>/<table>'`` (each type's draws). Returns ``{type: (X, y)}``.
    """
    unknown = sorted(set(types) - set(TYPES))
    if unknown:
        raise ValueError(f"unknown synthetic anomaly types {unknown}; known: {list(TYPES)}")
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y).astype(int).ravel()
    n_normal, n_anomalies = synthetic_sizes(int(np.sum(y == 0)), int(np.sum(y == 1)))
    normal = X[y == 0]
    if len(normal) > max_fit_rows:
        pick = np.random.RandomState(seed_of(table)).choice(len(normal), max_fit_rows,
                                                            replace=False)
        normal = normal[np.sort(pick)]
    out = {}
    mixture_types = [t for t in types if t != "dependency"]
    if mixture_types:
        seeds = {"fit": seed_of(table), **{t: seed_of(f"{t}/{table}") for t in mixture_types}}
        out.update(mixture_sets(normal, n_normal, n_anomalies, seeds, mixture_types))
    if "dependency" in types:
        out["dependency"] = dependency_set(normal, n_normal, n_anomalies,
                                           seed_of(f"dependency/{table}"))
    return out
