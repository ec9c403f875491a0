"""Scale: memory-mapped and streamed data, out-of-core and distributed fits, threads.

The memmap, memory and ``partial_fit`` tests need only the package. The Dask
tests skip without the ``skgen[dask]`` extra, the Ray test without Ray. The
distributed ones start their engines on the loopback interface and stop them.
"""

import json
import os
import subprocess
import sys
import tracemalloc
import warnings

import joblib
import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.model_selection import GridSearchCV

import skgen._base
import skgen._data
import skgen._outlier
import skgen._statistics
import skgen._vae
from skgen import AutoencoderTransformer

from .conftest import ESTIMATORS, make_fast

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

per_estimator = pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)

DASK_REASON = "needs the skgen[dask] extra: pip install 'skgen[dask]'"


def _table(n_samples=400, n_features=6, seed=0):
    rng = np.random.RandomState(seed)
    Z = rng.normal(size=(n_samples, 2))
    X = np.tanh(Z @ rng.normal(size=(2, n_features))) + 0.1 * rng.normal(size=(n_samples, n_features))
    return (X * rng.uniform(0.5, 20, size=n_features)).astype(np.float32)


def _memmap(path, X):
    """A read-only memmap holding X, as a user would open a table on disk."""
    mm = np.memmap(path, dtype=X.dtype, mode="w+", shape=X.shape)
    mm[:] = X
    mm.flush()
    del mm
    return np.memmap(path, dtype=X.dtype, mode="r", shape=X.shape)


def _outputs(est, X):
    methods = ("transform", "score_samples", "decision_function")
    return {m: getattr(est, m)(X) for m in methods if hasattr(est, m)}


def _assert_same_model(a, b, X):
    for (k, va), vb in zip(a.module_.state_dict().items(), b.module_.state_dict().values()):
        assert torch.equal(va, vb), k
    out_a, out_b = _outputs(a, X), _outputs(b, X)
    for name in out_a:
        assert_array_equal(out_a[name], out_b[name], err_msg=name)


# ---------------------------------------------------------------- memmap streaming


def _no_copy(*args, **kwargs):
    raise AssertionError("a streamed fit must not build a standardized copy of X")


@pytest.mark.parametrize("source", ["in memory", "float64", "memmap"])
@per_estimator
def test_streamed_fit_trains_exactly_as_on_a_standardized_copy(cls, source, tmp_path,
                                                               monkeypatch):
    """On the CPU every X is streamed: batches standardized as drawn, no copy of X.

    The reference fits on the standardized float32 copy of X (the path kept
    for GPUs); the streamed fit, ``partial_fit`` included, gives the same bits.
    """
    X = _table()
    if cls._allow_nan:  # missing entries travel through the stream too
        X[np.random.RandomState(1).rand(*X.shape) < 0.1] = np.nan
    data = {"in memory": X, "float64": X.astype(np.float64),
            "memmap": _memmap(tmp_path / "X.f32", X)}[source]
    params = {"random_state": 0, "max_iter": 3, "batch_size": 32}
    with monkeypatch.context() as m:
        m.setattr(skgen._data, "_STREAM_ON_CPU", False)
        m.setattr(skgen._data, "_STREAM_MIN_BYTES", X.nbytes * 2)
        copied = make_fast(cls, **params).fit(data)
        copied.partial_fit(data)
    with monkeypatch.context() as m:
        m.setattr(skgen._data, "standardize_to_tensor", _no_copy)
        streamed = make_fast(cls, **params).fit(data)
        streamed.partial_fit(data)
    _assert_same_model(copied, streamed, data)


@per_estimator
def test_off_the_cpu_only_a_large_memmap_is_streamed(cls, tmp_path, monkeypatch):
    """The rule for other devices, tried on the CPU with ``_STREAM_ON_CPU`` off."""
    mm = _memmap(tmp_path / "X.f32", _table())
    monkeypatch.setattr(skgen._data, "_STREAM_ON_CPU", False)
    calls = []
    original = skgen._data.standardize_to_tensor
    monkeypatch.setattr(skgen._data, "standardize_to_tensor",
                        lambda *a, **k: calls.append(1) or original(*a, **k))
    for limit, copies in [(mm.nbytes, [1]), (mm.nbytes - 1, [])]:
        calls.clear()
        monkeypatch.setattr(skgen._data, "_STREAM_MIN_BYTES", limit)
        make_fast(cls, random_state=0, max_iter=1).fit(mm)
        assert calls == copies
    calls.clear()
    make_fast(cls, random_state=0, max_iter=1).fit(np.asarray(mm).copy())
    assert calls == [1]


@per_estimator
def test_fit_copies_nothing_proportional_to_X(cls, tmp_path, monkeypatch):
    """NumPy allocations during fit, measured with tracemalloc (torch's batches are tiny).

    Float32 X passes validation without a copy and is streamed, in memory as
    from a memmap, so nothing proportional to X is allocated, only buffers of
    fixed size and a few numbers per row. The chunk and subsample sizes are
    shrunk so that the fixed-size buffers do not hide a copy of X (a copy
    would add at least 1x, or 0.5x for the float32 copy of a float64 X).
    """
    monkeypatch.setattr(skgen._data, "_CHUNK_BYTES", 250 * 100 * 8)
    monkeypatch.setattr(skgen._base, "_INIT_ROWS", 250)
    monkeypatch.setattr(skgen._outlier, "_STATS_ROWS", 250)
    monkeypatch.setattr(skgen._outlier, "_SPECTRUM_ROWS", 250)  # the rows of the code size rule
    monkeypatch.setattr(skgen._vae, "_PRIOR_CODES", 250)  # the codes of the VAE's prior
    monkeypatch.setattr(skgen._vae, "_SPECTRUM_ROWS", 250)  # the VAE's n_components='auto'
    monkeypatch.setattr(skgen._outlier, "_N_NEIGHBORS", 5)  # each batch's neighbour lists
    # the neighbour parts' distance matrices: a chunk of queries by the reference rows
    monkeypatch.setattr(skgen._statistics.ExhaustiveNeighbors, "_CHUNK_BYTES", 25 * 250 * 8)
    monkeypatch.setattr(skgen._base, "_INFERENCE_BATCH", 250)
    X = _table(n_samples=10_000, n_features=100)
    mm = _memmap(tmp_path / "X.f32", X)
    monkeypatch.setattr(skgen._data, "_STREAM_MIN_BYTES", mm.nbytes - 1)
    params = {"random_state": 0, "max_iter": 1, "batch_size": 250, "early_stopping": False}
    if "n_estimators" in cls().get_params():
        params["n_estimators"] = 1  # one autoencoder of the ensemble shows the same memory
    make_fast(cls, **params).fit(mm)  # first-use imports allocate too: not X's doing

    def peak(data):
        tracemalloc.start()
        try:
            make_fast(cls, **params).fit(data)
            return tracemalloc.get_traced_memory()[1] / data.nbytes
        finally:
            tracemalloc.stop()

    # buffers of a few hundred rows (measured 0.19-0.22x), and a few numbers per row; the
    # detector also keeps its reference rows (here the 250 rows of its statistics) and
    # searches them in chunks (0.17-0.18x of a float64 X), far below a copy's 0.5-1x
    assert peak(X) < 0.3
    assert peak(X.astype(np.float64)) < 0.25  # the same buffers, next to twice the bytes
    assert peak(mm) < 0.3


@per_estimator
def test_initialisation_sees_a_bounded_random_subsample(cls, monkeypatch):
    X = _table(n_samples=300)
    seen = []
    original = cls._initialize_module

    def spy(self, module, X_train):
        seen.append(X_train.shape)
        return original(self, module, X_train)

    monkeypatch.setattr(cls, "_initialize_module", spy)
    make_fast(cls, random_state=0, max_iter=1, validation_fraction=0.1).fit(X)
    monkeypatch.setattr(skgen._base, "_INIT_ROWS", 50)
    make_fast(cls, random_state=0, max_iter=1).fit(X)
    monkeypatch.setattr(skgen._base, "_INIT_BYTES", 20 * 8 * X.shape[1])
    make_fast(cls, random_state=0, max_iter=1).fit(X)
    # the training rows, then 50 of them, then the 20 whose float64 copy fits _INIT_BYTES
    assert seen == [(270, X.shape[1]), (50, X.shape[1]), (20, X.shape[1])]


#: Fits wide estimators in a fresh process and prints each inference call's peak RSS growth
#: (glibc returns every large block to the system at once, so the peaks are exact).
_INFERENCE_PEAKS = """
import json, warnings
import numpy as np
from sklearn import config_context
from skgen import AutoencoderTransformer, DenoisingAutoencoder

def status(field):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith(field + ":"))

warnings.simplefilter("ignore")
X = np.random.RandomState(0).normal(size=(100, 5_000))
peaks = {}
for cls in (AutoencoderTransformer, DenoisingAutoencoder):
    est = cls(hidden_layer_sizes=(16,), max_iter=1, random_state=0, device="cpu").fit(X)
    with config_context(working_memory=1):
        est.score_samples(X[:10])  # first-use allocations
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        before = status("VmRSS")
        est.score_samples(X)
        peaks[cls.__name__] = status("VmHWM") - before
print(json.dumps(peaks))
"""


@pytest.mark.skipif(not os.access("/proc/self/clear_refs", os.W_OK),
                    reason="reads the peak memory of a process from Linux's /proc")
def test_inference_batches_stay_within_the_working_memory():
    """100 rows of 5,000 columns are scored a few rows at a time within scikit-learn's
    ``working_memory`` (1 MiB here), plus the float64 copy of the weights (about 2 MiB):
    the whole 100-row batch of before took about 16 MiB."""
    here = os.path.dirname(os.path.dirname(skgen._base.__file__))  # the skgen under test
    out = subprocess.run([sys.executable, "-c", _INFERENCE_PEAKS], capture_output=True,
                         text=True, check=True, timeout=300, cwd=here,
                         env={**os.environ, "MALLOC_MMAP_THRESHOLD_": "131072",
                              "OMP_NUM_THREADS": "1"})
    peaks = json.loads(out.stdout.strip().splitlines()[-1])
    assert set(peaks) == {"AutoencoderTransformer", "DenoisingAutoencoder"}
    for name, growth in peaks.items():
        assert growth < 6 * 2**20, (name, growth / 2**20)


# ---------------------------------------------------------------- out-of-core


def test_partial_fit_on_chunks_trains_as_well_as_fit_on_the_whole():
    """Twenty passes over six chunks against twenty epochs of fit.

    Held-out reconstruction error in the units of X (each model has its own
    scaler, so their internal scores do not compare). The chunked model takes
    its scaler and PCA start from the first chunk only; it must come within
    15 % of the full fit (measured: 4.20 against 4.25) and, like it, beat PCA
    with as many components (6.33) by far.
    """
    X, _ = load_digits(return_X_y=True)
    order = np.random.RandomState(0).permutation(len(X))
    X_train, X_test = X[order[:1500]], X[order[1500:]]
    params = {"n_components": 8, "hidden_layer_sizes": (64,), "random_state": 0,
              "device": "cpu", "early_stopping": False}

    def error(est):
        return np.mean((est.inverse_transform(est.transform(X_test)) - X_test) ** 2)

    full = AutoencoderTransformer(max_iter=20, **params).fit(X_train)
    chunked = AutoencoderTransformer(**params)
    for _ in range(20):
        for chunk in np.array_split(X_train, 6):
            chunked.partial_fit(chunk)
    assert chunked.n_iter_ == 120
    assert error(chunked) < 1.15 * error(full)
    assert error(chunked) < 0.8 * error(PCA(n_components=8).fit(X_train))


def _mean_score_samples(est, X, y=None):
    """A scorer for Incremental: the detector has score_samples but no score."""
    return float(np.mean(est.score_samples(X)))


@per_estimator
def test_incremental_on_a_dask_array_is_partial_fit_chunk_by_chunk(cls):
    da = pytest.importorskip("dask.array", reason=DASK_REASON)
    wrappers = pytest.importorskip("dask_ml.wrappers", reason=DASK_REASON)
    X = _table(n_samples=480)
    X_dask = da.from_array(X, chunks=(120, X.shape[1]))
    inc = wrappers.Incremental(make_fast(cls, random_state=0), scoring=_mean_score_samples,
                               shuffle_blocks=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # dask-ml guessing the output meta
        inc.fit(X_dask)
        expected = make_fast(cls, random_state=0)
        for start in range(0, len(X), 120):
            expected.partial_fit(X[start:start + 120])
        assert inc.estimator_.n_iter_ == 4
        _assert_same_model(inc.estimator_, expected, X)
        method = "transform" if hasattr(expected, "transform") else "predict"
        out = getattr(inc, method)(X_dask)
        assert isinstance(out, da.Array)  # lazy and blockwise
        assert_array_equal(out.compute(), getattr(expected, method)(X))


# ---------------------------------------------------------------- distributed search


@pytest.fixture(scope="module")
def dask_client():
    pytest.importorskip("dask_ml", reason=DASK_REASON)
    distributed = pytest.importorskip("dask.distributed", reason=DASK_REASON)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            yield client


def _search():
    X = load_digits().data[:300]
    est = AutoencoderTransformer(hidden_layer_sizes=(8,), max_iter=5, random_state=0, device="cpu")
    return GridSearchCV(est, {"n_components": [1, 6]}, cv=3), X


def _assert_same_search(search, reference):
    assert search.best_params_ == reference.best_params_ == {"n_components": 6}
    # workers run torch with one thread, the test process maybe with more: the
    # sums may round differently, never by more than this
    assert_allclose(search.cv_results_["mean_test_score"],
                    reference.cv_results_["mean_test_score"], rtol=1e-4)


@pytest.mark.slow
def test_grid_search_on_a_dask_cluster_matches_n_jobs_1(dask_client):
    from dask.distributed import get_task_stream

    search, X = _search()
    reference = _search()[0].set_params(n_jobs=1).fit(X)
    with joblib.parallel_backend("dask"), get_task_stream(dask_client) as tasks:
        search.set_params(n_jobs=-1).fit(X)
    assert tasks.data  # the fits ran on the cluster's workers
    _assert_same_search(search, reference)


@pytest.mark.slow
def test_grid_search_on_ray_matches_n_jobs_1():
    ray = pytest.importorskip("ray", reason="Ray is optional and not installed")
    from ray.util.joblib import register_ray

    search, X = _search()
    reference = _search()[0].set_params(n_jobs=1).fit(X)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             _node_ip_address="127.0.0.1")
    try:
        register_ray()
        with joblib.parallel_backend("ray"):
            search.set_params(n_jobs=2).fit(X)
    finally:
        ray.shutdown()
    _assert_same_search(search, reference)


# ---------------------------------------------------------------- threads


def _threads_in_worker():
    """Torch's thread count in a worker, before and after a fit there."""
    before = torch.get_num_threads()
    make_fast(AutoencoderTransformer, random_state=0, max_iter=1).fit(_table(n_samples=50))
    return before, torch.get_num_threads()


def test_loky_workers_do_not_oversubscribe_torch(monkeypatch):
    """loky gives each of n_jobs workers ``cpu_count() // n_jobs`` OpenMP threads.

    It does so through OMP_NUM_THREADS and friends unless the parent set them,
    so they are cleared here; torch reads them when a worker imports it.
    """
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)
    limit = max(joblib.cpu_count() // 2, 1)
    results = joblib.Parallel(n_jobs=2, backend="loky")(
        joblib.delayed(_threads_in_worker)() for _ in range(2)
    )
    for before, after in results:
        assert before <= limit
        assert after == before  # fitting never changes the process's setting


def test_fits_in_threads_are_reproducible():
    """The threading backend runs fits side by side in one process.

    Building a module seeds torch's process-wide generator; that step takes a
    lock, and training draws only from each fit's own generator, so threads
    cannot disturb each other's draws: the results equal a serial search.
    """
    search, X = _search()
    reference = _search()[0].set_params(n_jobs=1).fit(X)
    with joblib.parallel_backend("threading", n_jobs=2):
        search.fit(X)
    assert_array_equal(search.cv_results_["mean_test_score"],
                       reference.cv_results_["mean_test_score"])
