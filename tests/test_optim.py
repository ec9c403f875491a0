"""skgen._optim.Adam: torch.optim.Adam's steps, bit for bit, without its machinery."""

import copy
import subprocess
import sys

import pytest
import torch

from skgen._optim import Adam


def _model_and_batches(seed=0):
    gen = torch.Generator().manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=gen))
    batches = [(torch.randn(16, 5, generator=gen), torch.randn(16, 3, generator=gen))
               for _ in range(25)]
    return model, batches


def _groups(model, alpha):
    weights = [p for n, p in model.named_parameters() if not n.endswith("bias")]
    biases = [p for n, p in model.named_parameters() if n.endswith("bias")]
    return [{"params": weights, "weight_decay": alpha}, {"params": biases, "weight_decay": 0.0}]


def _train(model, optimizer, batches):
    for x, y in batches:
        loss = ((model(x) - y) ** 2).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()


@pytest.mark.parametrize("alpha", [0.0, 1e-2])
@pytest.mark.parametrize("foreach", [False, True])
def test_steps_are_torchs_bit_for_bit(alpha, foreach):
    ours, batches = _model_and_batches()
    theirs = copy.deepcopy(ours)
    _train(ours, Adam(_groups(ours, alpha), lr=1e-2), batches)
    _train(theirs, torch.optim.Adam(_groups(theirs, alpha), lr=1e-2, foreach=foreach), batches)
    for a, b in zip(ours.parameters(), theirs.parameters()):
        assert torch.equal(a, b)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16])
def test_uneven_steps_groups_and_dtypes_are_torchs_bit_for_bit(dtype):
    """Parameters that skip steps (no gradient), groups of other step sizes and other dtypes
    take the paths the usual case does not: still torch's arithmetic."""
    ours, batches = _model_and_batches()
    ours = ours.to(dtype)
    theirs = copy.deepcopy(ours)

    def train(model, optimizer):
        for i, (x, y) in enumerate(batches):
            loss = ((model(x.to(dtype)) - y.to(dtype)) ** 2).mean()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if i % 3 == 0:  # the first layer's weight sits this step out
                model[0].weight.grad = None
            optimizer.step()

    optimizer = Adam(_groups(ours, 1e-2), lr=1e-2)
    torchs = torch.optim.Adam(_groups(theirs, 1e-2), lr=1e-2, foreach=True)
    for opt in (optimizer, torchs):
        opt.param_groups[1]["lr"] = 3e-3
    train(ours, optimizer)
    train(theirs, torchs)
    for a, b in zip(ours.parameters(), theirs.parameters()):
        assert torch.equal(a, b)


def test_a_saved_state_continues_as_if_never_saved_and_reads_as_torchs():
    model, batches = _model_and_batches()
    straight = copy.deepcopy(model)
    optimizer = Adam(_groups(straight, 1e-3), lr=1e-2)
    _train(straight, optimizer, batches)

    first = copy.deepcopy(model)
    opt = Adam(_groups(first, 1e-3), lr=1e-2)
    _train(first, opt, batches[:10])
    saved = copy.deepcopy(opt.state_dict())
    assert sorted(saved["state"][0]) == ["exp_avg", "exp_avg_sq", "step"]
    assert saved["state"][0]["step"].item() == 10
    resumed = Adam(_groups(first, 1e-3), lr=1e-2)
    resumed.load_state_dict(saved)
    _train(first, resumed, batches[10:])
    for a, b in zip(first.parameters(), straight.parameters()):
        assert torch.equal(a, b)
    # the same format as torch.optim's: torch's Adam takes it and continues the same way
    torchs = copy.deepcopy(model)
    torch_opt = torch.optim.Adam(_groups(torchs, 1e-3), lr=1e-2)
    _train(torchs, torch_opt, batches[:10])
    torch_opt.load_state_dict(saved)
    _train(torchs, torch_opt, batches[10:])
    for a, b in zip(torchs.parameters(), straight.parameters()):
        assert torch.equal(a, b)
    with pytest.raises(ValueError, match="does not match the parameters"):
        Adam([{"params": list(model.parameters())}], lr=1e-2).load_state_dict(saved)


def test_changing_lr_between_steps_is_honoured():
    model, batches = _model_and_batches()
    theirs = copy.deepcopy(model)
    ours = Adam(_groups(model, 0.0), lr=1e-2)
    torchs = torch.optim.Adam(_groups(theirs, 0.0), lr=1e-2)
    _train(model, ours, batches[:5])
    _train(theirs, torchs, batches[:5])
    for opt in (ours, torchs):
        for group in opt.param_groups:
            group["lr"] = 1e-3
    _train(model, ours, batches[5:])
    _train(theirs, torchs, batches[5:])
    for a, b in zip(model.parameters(), theirs.parameters()):
        assert torch.equal(a, b)


def test_a_fit_does_not_import_torch_dynamo():
    """torch.optim's first optimizer imports torch._dynamo, seconds on a fresh interpreter;
    skgen's fits never build one."""
    code = ("import sys, numpy as np\n"
            "from skgen import AutoencoderTransformer\n"
            "AutoencoderTransformer(max_iter=2).fit(np.random.RandomState(0).normal(size=(40, 4)))\n"
            "print('torch._dynamo' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-W", "ignore", "-c", code], capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == "False"
