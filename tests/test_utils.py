"""skgen._utils on its own: devices, seeds, torch's global settings, module plans, state.

What the estimators make of these (global state left alone, threads from
``n_jobs``, absurd sizes refused) is tested in test_base.py.
"""

import numpy as np
import pytest
import torch
from joblib import cpu_count, parallel_backend
from torch import nn

from skgen._utils import (
    ModuleTooLarge,
    device_memory,
    draw_seed,
    drawing_from,
    format_bytes,
    n_elements,
    plan_module,
    resolve_device,
    restoring_grad_mode,
    state_from_numpy,
    state_to_numpy,
    torch_defaults,
    torch_threads,
)

# ------------------------------------------------------------------- devices


def test_resolve_device_accepts_names_and_devices():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device(torch.device("cpu")) == torch.device("cpu")
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")


@pytest.mark.parametrize("device, match", [
    ("gpu-please", "not a valid torch device"),
    ("meta", "holds no data"),
])
def test_resolve_device_refuses_unusable_devices(device, match):
    with pytest.raises(ValueError, match=match):
        resolve_device(device)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_a_missing_cuda_device_raises_or_falls_back_to_the_cpu_with_a_warning():
    with pytest.raises(ValueError, match="cuda is not available"):
        resolve_device("cuda")
    with pytest.warns(UserWarning, match="not available here; it is loaded on the CPU"):
        assert resolve_device("cuda:0", on_missing="warn") == torch.device("cpu")


def test_device_memory_of_the_cpu_is_the_machines_ram():
    memory = device_memory(torch.device("cpu"))
    assert memory is None or memory > 2**27  # no machine that runs torch has less than 128 MiB


# --------------------------------------------------------------------- seeds


def test_draw_seed_from_each_kind_of_random_state():
    assert draw_seed(3) == draw_seed(3) != draw_seed(4)
    assert draw_seed(np.int64(3)) == draw_seed(3)
    rs = np.random.RandomState(0)
    first, second = draw_seed(rs), draw_seed(rs)  # advanced by one draw each
    assert first != second and first == draw_seed(np.random.RandomState(0))
    gen = np.random.default_rng(0)
    assert draw_seed(gen) != draw_seed(gen)
    for random_state in (3, rs, gen, None):
        assert 0 <= draw_seed(random_state) < 2**31


def test_draw_seed_from_none_leaves_numpys_global_generator_alone():
    state = np.random.get_state()
    seeds = {draw_seed(None) for _ in range(5)}
    assert len(seeds) > 1  # fresh entropy each time
    after = np.random.get_state()
    assert after[0] == state[0] and np.array_equal(after[1], state[1]) and after[2:] == state[2:]


@pytest.mark.parametrize("bad", [True, 1.5, "0", [0]])
def test_draw_seed_refuses_other_values(bad):
    with pytest.raises(ValueError, match="random_state must be None, an int"):
        draw_seed(bad)


def test_drawing_from_routes_draws_that_name_no_generator():
    global_state = torch.random.get_rng_state()
    with drawing_from(torch.Generator().manual_seed(7)):
        a = torch.randn(5)
        b = torch.empty(3).uniform_()
        layer = nn.Linear(4, 2)  # nn.init passes generator=None
    expected = torch.Generator().manual_seed(7)
    assert torch.equal(a, torch.randn(5, generator=expected))
    assert torch.equal(b, torch.empty(3).uniform_(generator=expected))
    assert torch.equal(torch.random.get_rng_state(), global_state)  # neither read nor advanced
    with drawing_from(torch.Generator().manual_seed(8)):
        other = nn.Linear(4, 2)
    assert not torch.equal(layer.weight, other.weight)
    # a generator given explicitly is kept
    mine = torch.Generator().manual_seed(1)
    with drawing_from(torch.Generator().manual_seed(7)):
        c = torch.randn(5, generator=mine)
    assert torch.equal(c, torch.randn(5, generator=torch.Generator().manual_seed(1)))


# ------------------------------------------------------ torch's global settings


@pytest.fixture
def caller_threads():
    """The test's own thread count, put back afterwards whatever happens."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield 1
    torch.set_num_threads(previous)


@pytest.mark.parametrize("n_jobs, inside", [(None, 1), (1, 1), (2, 2), (-1, cpu_count())])
def test_torch_threads_sets_n_jobs_threads_and_restores_the_callers(caller_threads, n_jobs,
                                                                     inside):
    with torch_threads(n_jobs):
        assert torch.get_num_threads() == inside
    assert torch.get_num_threads() == caller_threads


def test_torch_threads_restores_the_callers_threads_on_an_exception(caller_threads):
    with pytest.raises(KeyboardInterrupt), torch_threads(2):
        assert torch.get_num_threads() == 2
        raise KeyboardInterrupt
    assert torch.get_num_threads() == caller_threads


def test_torch_threads_in_one_thread_as_docs_scaling_says_for_the_others():
    """A thread that already ran torch keeps its count while another is inside
    torch_threads; one whose first torch use falls inside takes the block's count
    and keeps it (torch's only setter also sets the process's default). If this
    changes, docs/scaling.md and torch_threads' docstring must change with it."""
    import threading

    previous = torch.get_num_threads()
    ready, inside, read, seen = threading.Event(), threading.Event(), threading.Event(), {}

    def fitting():  # stands for a fit with n_jobs=None in a thread of its own
        torch.set_num_threads(2)
        with torch_threads(None):
            seen["fitting"] = torch.get_num_threads()
            inside.set()
            read.wait(30)
        seen["fitting after"] = torch.get_num_threads()

    def first_use(key):
        seen[key] = torch.get_num_threads()

    def ran_torch_before():
        torch.set_num_threads(2)
        seen["before"] = torch.get_num_threads()
        ready.set()
        inside.wait(30)
        seen["before, during the fit"] = torch.get_num_threads()

    try:
        early = threading.Thread(target=ran_torch_before)
        fit = threading.Thread(target=fitting)
        early.start()
        ready.wait(30)  # its set_num_threads(2) done before the fit begins
        fit.start()
        early.join(30)
        late = threading.Thread(target=first_use, args=("first use during the fit",))
        late.start()
        late.join(30)
        read.set()
        fit.join(30)
        after = threading.Thread(target=first_use, args=("first use after the fit",))
        after.start()
        after.join(30)
    finally:
        read.set()
        torch.set_num_threads(previous)
    assert seen == {"before": 2, "fitting": 1, "before, during the fit": 2,
                    "first use during the fit": 1, "fitting after": 2,
                    "first use after the fit": 2}


def test_torch_threads_none_follows_a_joblib_backend(caller_threads):
    with parallel_backend("threading", n_jobs=2), torch_threads(None):
        assert torch.get_num_threads() == 2
    assert torch.get_num_threads() == caller_threads


@pytest.mark.parametrize("caller_mode", [True, False])
def test_restoring_grad_mode_puts_the_callers_mode_back_on_every_exit(caller_mode):
    @restoring_grad_mode
    def flips(fail):
        torch.set_grad_enabled(not caller_mode)  # as an interrupted no_grad block leaves it
        if fail:
            raise KeyboardInterrupt
        return "done"

    with torch.set_grad_enabled(caller_mode):
        assert flips(False) == "done"
        assert torch.is_grad_enabled() == caller_mode
        with pytest.raises(KeyboardInterrupt):
            flips(True)
        assert torch.is_grad_enabled() == caller_mode
    assert flips.__name__ == "flips"


@pytest.fixture
def float64_default():
    """A user's ``torch.set_default_dtype(torch.float64)``, undone afterwards."""
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(previous)


def test_torch_defaults_make_float32_whatever_the_users_default_dtype(float64_default):
    assert torch.zeros(2).dtype == torch.float64  # the user's setting
    with torch_defaults():
        assert torch.zeros(2).dtype == torch.float32
        assert torch.tensor([1.5]).dtype == torch.float32
        assert nn.Linear(3, 2).weight.dtype == torch.float32
        # an explicit dtype, or the dtype of given data, is kept
        assert torch.zeros(2, dtype=torch.float64).dtype == torch.float64
        assert torch.as_tensor(np.zeros(2)).dtype == torch.float64
        assert torch.arange(3).dtype == torch.int64
    assert torch.zeros(2).dtype == torch.float64  # and the user's setting is back


def test_torch_defaults_make_tensors_on_the_cpu_inside_a_device_context():
    with torch.device("meta"):
        assert torch.zeros(2).device.type == "meta"
        with torch_defaults():
            assert torch.zeros(2).device.type == "cpu"
            assert nn.Linear(3, 2).weight.device.type == "cpu"
        assert torch.zeros(2).device.type == "meta"


def test_torch_defaults_make_tensors_on_the_cpu_after_set_default_device():
    torch.set_default_device("meta")
    try:
        with torch_defaults():
            assert torch.zeros(2).device.type == "cpu"
        assert torch.zeros(2).device.type == "meta"
    finally:
        torch.set_default_device(None)  # torch's own default again
    assert torch.zeros(2).device.type == "cpu"


# ----------------------------------------------------------- building modules


def test_plan_module_builds_shapes_without_memory_or_draws(float64_default):
    global_state = torch.random.get_rng_state()
    plan = plan_module(nn.Linear, {"in_features": 1000, "out_features": 300},
                       max_elements=10**6)
    assert plan.weight.shape == (300, 1000) and plan.weight.device.type == "meta"
    assert plan.weight.dtype == torch.float32  # what the estimators train in
    assert n_elements(plan) == 300 * 1000 + 300
    assert torch.equal(torch.random.get_rng_state(), global_state)


def test_plan_module_stops_past_max_elements():
    built = []

    class Tower(nn.Module):
        def __init__(self, depth):
            super().__init__()
            self.layers = nn.ModuleList()
            for _ in range(depth):
                self.layers.append(nn.Linear(100, 100))
                built.append(1)

    with pytest.raises(ModuleTooLarge) as info:
        plan_module(Tower, {"depth": 10**6}, max_elements=50_000)
    assert 50_000 < info.value.n_elements <= 50_000 + 100 * 100 + 100
    assert len(built) <= 6  # it stopped at the layer that went past, not after a million


def test_n_elements_counts_parameters_and_buffers():
    module = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    expected = sum(p.numel() for p in module.parameters()) + sum(
        b.numel() for b in module.buffers())
    assert n_elements(module) == expected


@pytest.mark.parametrize("n_bytes, text", [
    (0, "0 B"), (512, "512 B"), (1536, "1.5 KiB"), (3 * 2**20, "3 MiB"),
    (int(2.5 * 2**30), "2.5 GiB"), (2**40, "1 TiB"), (2**50, "1.02e+03 TiB"),
])
def test_format_bytes(n_bytes, text):
    assert format_bytes(n_bytes) == text


# ---------------------------------------------------------- state and NumPy


def test_state_round_trips_through_numpy():
    state = {"weights": torch.randn(3, 2), "nested": [torch.arange(4), (torch.ones(2), 5)],
             "step": 7, "name": "adam"}
    as_numpy = state_to_numpy(state)
    assert isinstance(as_numpy["weights"], np.ndarray)
    assert isinstance(as_numpy["nested"], list) and isinstance(as_numpy["nested"][1], tuple)
    assert as_numpy["step"] == 7 and as_numpy["name"] == "adam"
    back = state_from_numpy(as_numpy)
    assert torch.equal(back["weights"], state["weights"])
    assert torch.equal(back["nested"][0], state["nested"][0])
    assert torch.equal(back["nested"][1][0], state["nested"][1][0])
    assert isinstance(back["nested"][1], tuple) and back["nested"][1][1] == 5


def test_state_from_numpy_makes_writable_tensors_of_read_only_and_strided_arrays():
    frozen = np.arange(12.0).reshape(3, 4)
    frozen.flags.writeable = False
    strided = np.arange(12.0).reshape(3, 4)[:, ::2]
    for array in (frozen, strided):
        tensor = state_from_numpy(array)
        assert torch.equal(tensor, torch.tensor(array))
        tensor.add_(1.0)  # writable, and not the array's memory
    assert frozen[0, 0] == 0.0
