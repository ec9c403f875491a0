"""The training engine on its own: plain torch, no scikit-learn."""

import weakref

import numpy as np
import pytest
import torch
from torch import nn

from skgen._data import StreamedRows
from skgen._engine import History, Trainer, make_optimizer
from skgen.exceptions import DivergenceError


def _trainer(module, loss_fn, batch_size=50, seed=0):
    return Trainer(module, make_optimizer(module, 1e-2, 0.0), loss_fn, batch_size=batch_size,
                   generator=torch.Generator().manual_seed(seed), history=History())


def _mse(module, batch, generator):
    return torch.mean((module(batch) - batch) ** 2)


@pytest.fixture
def X():
    return torch.randn(101, 4, generator=torch.Generator().manual_seed(1))


def test_every_row_is_used_once_per_epoch_including_the_last_partial_batch(X):
    seen = []

    def loss(module, batch, generator):
        seen.append(batch.clone())
        return _mse(module, batch, generator)

    trainer = _trainer(nn.Linear(4, 4), loss)
    trainer.train_epoch(X, torch.arange(101))
    assert [len(b) for b in seen] == [50, 50, 1]
    rows = torch.cat(seen)
    assert torch.equal(rows[rows[:, 0].argsort()], X[X[:, 0].argsort()])


def test_shuffling_changes_between_epochs_and_follows_the_generator(X):
    orders = []

    def loss(module, batch, generator):
        orders.append(batch[:, 0].clone())
        return _mse(module, batch, generator)

    trainer = _trainer(nn.Linear(4, 4), loss, batch_size=200)
    trainer.train_epoch(X, torch.arange(101))
    trainer.train_epoch(X, torch.arange(101))
    assert not torch.equal(orders[0], orders[1])
    again = []
    trainer2 = _trainer(nn.Linear(4, 4), lambda m, b, g: again.append(b[:, 0].clone()) or _mse(m, b, g),
                        batch_size=200)
    trainer2.train_epoch(X, torch.arange(101))
    assert torch.equal(orders[0], again[0])


def test_non_finite_loss_raises(X):
    def loss(module, batch, generator):
        return _mse(module, batch, generator) * float("nan")

    with pytest.raises(DivergenceError, match="non-finite"):
        _trainer(nn.Linear(4, 4), loss).fit(X, torch.arange(101), max_epochs=3)


def test_early_stopping_restores_the_best_weights(X):
    torch.manual_seed(0)
    module = nn.Sequential(nn.Linear(4, 64), nn.ReLU(), nn.Linear(64, 4))
    trainer = Trainer(module, make_optimizer(module, 0.5, 0.0), _mse, batch_size=10,
                      generator=torch.Generator().manual_seed(0), history=History())
    # a huge learning rate makes the validation loss bounce around
    trainer.fit(X, torch.arange(80), torch.arange(80, 101), max_epochs=15, tol=0.0,
                n_iter_no_change=100)
    curve = trainer.history.validation_loss_curve
    assert len(curve) == 15 and min(curve) < curve[-1]
    assert trainer.evaluate(X, torch.arange(80, 101)) == pytest.approx(min(curve), rel=1e-5)
    assert trainer.history.best_loss == min(curve)


def test_stopping_rule_and_stop_reason(X):
    trainer = _trainer(nn.Linear(4, 4), _mse)
    stop = trainer.fit(X, torch.arange(101), max_epochs=100, tol=10.0, n_iter_no_change=3)
    assert stop == "converged"
    assert trainer.history.n_iter == 4  # one improvement on +inf, then three without
    trainer = _trainer(nn.Linear(4, 4), _mse)
    stop = trainer.fit(X, torch.arange(101), max_epochs=3, tol=0.0, n_iter_no_change=10)
    assert stop == "max_epochs"


def test_weight_decay_spares_biases():
    module = nn.Sequential(nn.Linear(3, 3), nn.ReLU(), nn.Linear(3, 2))
    opt = make_optimizer(module, 1e-3, 0.5)
    decayed = {id(p) for g in opt.param_groups if g["weight_decay"] == 0.5 for p in g["params"]}
    assert decayed == {id(module[0].weight), id(module[2].weight)}


# ------------------------------------------------------------------ rows sources


@pytest.mark.parametrize("sorted_reads", [True, False])
def test_streamed_rows_return_the_order_asked_for(sorted_reads):
    array = np.arange(40, dtype=np.float32).reshape(10, 4)
    blocks = []

    def transform(block):
        blocks.append(block.copy())
        return (block * 2).astype(np.float32)

    rows = StreamedRows(array, transform, torch.device("cpu"), sorted_reads=sorted_reads)
    index = torch.tensor([7, 2, 9, 0, 2])
    batch = rows(index)
    assert batch.dtype == torch.float32
    assert torch.equal(batch, torch.from_numpy(array[index.numpy()] * 2))
    read = list(blocks[0][:, 0] // 4)
    # sorted: the array is read front to back; else in the order asked for
    assert read == (sorted(read) if sorted_reads else index.tolist())


def test_a_rows_source_trains_exactly_like_the_tensor_it_reads(X):
    """Streaming changes where the rows come from, not what the model sees."""

    def fitted(data):
        torch.manual_seed(0)
        module = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 4))
        trainer = _trainer(module, _mse, batch_size=16)
        trainer.fit(data, torch.arange(80), torch.arange(80, 101), max_epochs=3)
        return module, trainer.history

    in_memory, history = fitted(X)
    streamed, streamed_history = fitted(StreamedRows(X.numpy(), lambda b: b, torch.device("cpu")))
    assert streamed_history == history
    for a, b in zip(in_memory.state_dict().values(), streamed.state_dict().values()):
        assert torch.equal(a, b)


@pytest.mark.parametrize("at_call", [1, 2, 5, 7, 8, 13])
@pytest.mark.parametrize("validate", [False, True])
def test_an_interrupt_anywhere_in_the_epochs_keeps_only_finished_epochs(X, at_call, validate):
    """Ctrl-C raised from the loss, in a training or a validation batch of any epoch.

    With batch_size=50, a training epoch of 80 rows makes 2 loss calls and the
    validation pass 1: an interrupt at call n lands in epoch (n - 1) // 3 + 1
    with validation, (n - 1) // 2 + 1 without.
    """
    calls = []

    def loss(module, batch, generator):
        calls.append(module.training)
        if len(calls) == at_call:
            raise KeyboardInterrupt
        return _mse(module, batch, generator)

    trainer = _trainer(nn.Linear(4, 4), loss)
    trainer.history.loss_curve = [9.0, 8.0]  # a history carried over from earlier calls
    trainer.history.n_iter = 2
    validation = torch.arange(80, 101) if validate else None
    stop = trainer.fit(X, torch.arange(80), validation, max_epochs=20, tol=0.0)
    per_epoch = 3 if validate else 2
    finished = (at_call - 1) // per_epoch
    assert stop == "interrupted"
    history = trainer.history
    assert history.n_iter == 2 + finished == len(history.loss_curve)
    assert len(history.validation_loss_curve) == (finished if validate else 0)
    assert history.loss_curve[:2] == [9.0, 8.0]
    assert all(torch.isfinite(p).all() for p in trainer.module.parameters())


# ------------------------------------------------------------------ reads of several batches


class _CountingRows:
    """A rows source over a tensor that records the size of each read."""

    def __init__(self, X):
        self.X, self.reads = X, []

    @property
    def shape(self):
        return self.X.shape

    def __call__(self, index):
        self.reads.append(index.numel())
        return self.X[index]


@pytest.mark.parametrize("read_bytes, batches_per_read", [(0, 1), (8 * 4 * 40, 2),
                                                         (8 * 4 * 99, 4), (2**20, 6)])
def test_a_read_holds_whole_batches_and_the_batches_do_not_change(X, monkeypatch, read_bytes,
                                                                  batches_per_read):
    """The epoch reads ``rows_per_read`` rows at a time (whole batches within
    ``_READ_BYTES`` as float64, rows of 4 values here) and cuts them into the batches
    one read per batch gives; 6 batches hold all 101 rows."""
    import skgen._data

    def batches_seen(read_bytes):
        monkeypatch.setattr(skgen._data, "_READ_BYTES", read_bytes)
        seen, source = [], _CountingRows(X)

        def loss(module, batch, generator):
            seen.append(batch.clone())
            return _mse(module, batch, generator)

        torch.manual_seed(0)
        trainer = _trainer(nn.Linear(4, 4), loss, batch_size=20)
        trainer.fit(source, torch.arange(101), max_epochs=2, stop_early=False)
        return seen, source.reads, trainer

    one_by_one, reads_one, trainer_one = batches_seen(0)
    together, reads, trainer = batches_seen(read_bytes)
    assert reads_one == [20] * 5 + [1] + [20] * 5 + [1]
    per_read = 20 * batches_per_read
    epoch = [per_read] * (101 // per_read) + ([101 % per_read] if 101 % per_read else [])
    assert reads == epoch * 2
    assert len(together) == len(one_by_one) == 12
    assert all(torch.equal(a, b) for a, b in zip(together, one_by_one))
    assert trainer.history == trainer_one.history
    for a, b in zip(trainer.module.state_dict().values(),
                    trainer_one.module.state_dict().values()):
        assert torch.equal(a, b)


def test_rows_per_read_is_bounded_by_the_chunk_size_too(monkeypatch):
    import skgen._data
    from skgen._data import rows_per_read

    X = torch.zeros(1000, 10)
    monkeypatch.setattr(skgen._data, "_READ_BYTES", 8 * 10 * 100)
    assert rows_per_read(X, 25) == 100
    assert rows_per_read(X, 30) == 90  # whole batches only
    assert rows_per_read(X, 150) == 150  # at least one batch
    monkeypatch.setattr(skgen._data, "_CHUNK_BYTES", 8 * 10 * 50)
    assert rows_per_read(X, 25) == 50
    assert rows_per_read(lambda index: X[index], 25) == 25  # no shape: a batch at a time


def test_epoch_loss_is_the_float64_running_total_of_the_batch_losses():
    from skgen._engine import _add_weighted

    gen = torch.Generator().manual_seed(0)
    losses = list(torch.rand(50, generator=gen) * 1e3)
    sizes = [64] * 49 + [7]
    total = torch.zeros((), dtype=torch.float64)
    for loss, size in zip(losses, sizes):
        total += loss * size  # the product in float32, the sum in float64
    in_parts = 0.0
    for start in range(0, 50, 8):  # added a few batches at a time, as the epoch does
        in_parts = _add_weighted(in_parts, losses[start:start + 8], sizes[start:start + 8])
    assert in_parts == float(total)
    assert _add_weighted(1.5, [], []) == 1.5


class _CountedLoss(torch.Tensor):
    """A loss whose tensors derived from it (its detached copy among them) are counted while
    they live."""

    alive = weakref.WeakSet()

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        out = super().__torch_function__(func, types, args, kwargs or {})
        if isinstance(out, cls):
            cls.alive.add(out)
        return out


@pytest.mark.parametrize("n_batches", [40, 200])
def test_an_epoch_holds_a_bounded_number_of_batch_losses_whatever_the_rows(monkeypatch,
                                                                          n_batches):
    """Each small tensor an epoch keeps alive pins allocator memory around the steps'
    freed buffers (tens of KiB under glibc): the batch losses are added to the total every
    ``_LOSSES_PER_SUM`` batches, so that an epoch holds at most that many (and the last
    step's loss) whatever its rows; keeping them all doubled a fit's peak on 1,000,000 x
    100 float32. The epoch loss is still the float64 running total of the batch losses."""
    import skgen._engine

    monkeypatch.setattr(skgen._engine, "_LOSSES_PER_SUM", 8)
    held, values, sizes = [], [], []

    def loss(module, batch, generator):
        held.append(len(_CountedLoss.alive))
        value = _mse(module, batch, generator)
        values.append(value.detach().clone())
        sizes.append(batch.shape[0])
        return value.as_subclass(_CountedLoss)

    X = torch.randn(10 * n_batches - 3, 4, generator=torch.Generator().manual_seed(1))
    trainer = _trainer(nn.Linear(4, 4), loss, batch_size=10)
    mean = trainer.train_epoch(X, torch.arange(X.shape[0]))
    assert len(held) == n_batches
    assert max(held) <= 8 + 1
    total = torch.zeros((), dtype=torch.float64)
    for value, size in zip(values, sizes):
        total += value * size
    assert mean == float(total) / X.shape[0]
