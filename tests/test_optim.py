"""rnnviz.optim against torch.optim in float64: the same parameters after every step."""

import subprocess
import sys

import pytest
import torch

from rnnviz import optim

STEPS = 25


def twin_models(seed: int = 0):
    torch.manual_seed(seed)
    a = torch.nn.LSTM(3, 5, batch_first=True).double()
    b = torch.nn.LSTM(3, 5, batch_first=True).double()
    b.load_state_dict(a.state_dict())
    return a, b


def loss_of(model, x):
    out, _ = model(x)
    return (out**2).sum() + out[:, -1].sin().sum()


@pytest.mark.parametrize(
    ("ours", "theirs", "lr"),
    [(optim.Adam, torch.optim.Adam, 3e-2), (optim.SGD, torch.optim.SGD, 1e-1)],
    ids=["adam", "sgd"],
)
def test_steps_equal_torchs_own(ours, theirs, lr):
    a, b = twin_models()
    opt_a, opt_b = ours(a.parameters(), lr=lr), theirs(b.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(1)
    for step in range(STEPS):
        x = torch.randn(4, 6, 3, generator=gen, dtype=torch.float64)
        if step == 10:  # a schedule changes the rate the way torch's users do
            for opt in (opt_a, opt_b):
                for group in opt.param_groups:
                    group["lr"] = lr / 3
        for model, opt in ((a, opt_a), (b, opt_b)):
            opt.zero_grad(set_to_none=True)
            loss_of(model, x).backward()
            if step % 7 == 3:  # a parameter without a gradient this step is left alone
                model.bias_hh_l0.grad = None
            opt.step()
        for (name, pa), pb in zip(a.named_parameters(), b.parameters(), strict=True):
            torch.testing.assert_close(pa, pb, rtol=1e-12, atol=1e-13, msg=f"{name} after step {step}")
    assert a.weight_ih_l0.grad is not None
    opt_a.zero_grad(set_to_none=False)
    assert float(a.weight_ih_l0.grad.abs().sum()) == 0.0


def test_a_rate_that_cannot_train_is_refused():
    with pytest.raises(ValueError, match="positive"):
        optim.Adam([torch.zeros(2, requires_grad=True)], lr=0.0)


def test_training_never_imports_torchs_compiler():
    """torch.optim imports torch._dynamo (70 MiB, 1-7 s) on a fresh server; rnnviz's Trainer must not."""
    script = (
        "import sys\n"
        "from rnnviz.lessons.charlm import LMSettings, MARKUP, build_trainer, builtin_text\n"
        "settings = LMSettings(hidden_size=8, seq_len=8)\n"
        "trainer = build_trainer(builtin_text(MARKUP, seed=0), settings, seed=0)\n"
        "result = trainer.run(3, 30.0)\n"
        "assert result.steps == 3, result\n"
        "print('torch._dynamo' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
