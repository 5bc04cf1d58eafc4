"""Run the worked-example scripts 07-12 (training, optimizers, expression swell) as a student would.

Each script runs in a subprocess, in an empty working directory (which must stay empty: pictures go only to
--out), with options that keep the whole file within about a minute on a 2-core machine. The scripts check the
lecture's claims themselves and exit with status 1 when one fails; these tests also read the key numbers back
from what they print.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def run_example(name, *args, cwd, env_extra=None):
    """Run examples/<name> with the given arguments; return the CompletedProcess (text output)."""
    cwd.mkdir(exist_ok=True)
    env = dict(os.environ, MPLBACKEND="Agg")
    # One BLAS thread: on a busy 2-core machine OpenBLAS's second thread can make small matrix products 10x
    # slower (it waits for a core that the other process holds), which would only make these tests slow.
    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    env.update(env_extra or {})
    return subprocess.run([sys.executable, str(EXAMPLES / name), *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


def check_ran(result, cwd, out=None, pictures=()):
    """Exit status 0, nothing written to the working directory, exactly ``pictures`` written to ``out``."""
    assert result.returncode == 0, f"exit status {result.returncode}\n{result.stdout}\n{result.stderr}"
    assert list(cwd.iterdir()) == []
    if out is not None:
        assert sorted(p.name for p in out.iterdir()) == sorted(pictures)
        assert all((out / name).stat().st_size > 1000 for name in pictures)
        for name in pictures:
            assert f"wrote {out / name}" in result.stdout


def number_after(text, label):
    """The first number printed after ``label``."""
    match = re.search(re.escape(label) + r"\s*([-+]?\d[\d,]*\.?\d*(?:e[-+]?\d+)?)", text)
    assert match, f"{label!r} not found in:\n{text}"
    return float(match.group(1).replace(",", ""))


def test_xor(tmp_path):
    out = tmp_path / "out"
    result = run_example("07_xor.py", "--out", str(out), cwd=tmp_path / "cwd")
    check_ran(result, tmp_path / "cwd", out, ["xor_network.png", "xor_history.png"])
    logistic, basis, mlp = result.stdout.split("\n\n")[1:4]
    assert number_after(logistic, "accuracy") <= 0.75
    assert number_after(logistic, "loss") == pytest.approx(0.6931, abs=1e-3)  # p = 0.5 everywhere: ln 2
    assert "separates the classes: True" in basis
    assert number_after(basis, "standardized (h1, h2): accuracy") == 1.0
    assert number_after(mlp, "accuracy") == 1.0


def test_xor_writes_nothing_without_out(tmp_path):
    result = run_example("07_xor.py", cwd=tmp_path / "cwd")
    check_ran(result, tmp_path / "cwd")
    assert "wrote" not in result.stdout


@pytest.mark.slow  # several seconds of training; XOR stays in the default run
def test_encoder(tmp_path):
    out = tmp_path / "out"
    result = run_example("08_encoder.py", "--out", str(out), cwd=tmp_path / "cwd")
    check_ran(result, tmp_path / "cwd", out, ["encoder_network.png", "encoder_history.png"])
    codes = re.findall(r"^\s+\d\s+((?:[01]\.\d\d\s+){3})([01]{3})\s+yes$", result.stdout, flags=re.MULTILINE)
    assert len(codes) == 8
    assert len({bits for _, bits in codes}) == 8  # all 2³ codes used, one per pattern
    for values, bits in codes:  # the printed bits are the printed values rounded
        assert "".join(str(int(float(v) > 0.5)) for v in values.split()) == bits
    assert "patterns reconstructed: 8 of 8" in result.stdout
    assert "distinct codes after rounding to bits: 8 of 8" in result.stdout


@pytest.mark.slow  # several seconds of training; XOR stays in the default run
def test_universal_approximation(tmp_path):
    out = tmp_path / "out"
    result = run_example("09_universal_approximation.py", "--out", str(out), cwd=tmp_path / "cwd")
    check_ran(result, tmp_path / "cwd", out, ["universal_approximation.png"])
    rows = re.findall(r"^\s+(\d+)\s+(\d+)\s+(\d\.\d\de[-+]\d+)", result.stdout, flags=re.MULTILINE)
    bumps = [int(n) for n, _, _ in rows]
    errors = [float(e) for _, _, e in rows]
    assert bumps == [4, 8, 16, 32, 64]
    assert all(later < earlier / 3 for earlier, later in zip(errors, errors[1:], strict=False))  # about ÷4
    assert errors[-1] < 2e-3
    assert number_after(result.stdout, "max error") < 0.1  # the trained 1-32-1 network


@pytest.mark.slow  # several seconds of training; XOR stays in the default run
def test_ill_conditioned_quadratic(tmp_path):
    out = tmp_path / "out"
    result = run_example("10_ill_conditioned_quadratic.py", "--steps", "1000", "--out", str(out),
                         cwd=tmp_path / "cwd")
    check_ran(result, tmp_path / "cwd", out, ["quadratic_optimizers.png", "rotated_quadratic_optimizers.png"])
    text = result.stdout
    assert "condition number 60" in text and "condition number 1," in text
    table = {line.split()[0]: line.split()[-3:] for line in text.splitlines()
             if re.match(r"(GD|Momentum|Nesterov|AdaGrad|RMSProp|Adam|Newton) γ", line)}
    assert len(table) == 7
    original, rescaled, rotated = table["GD"]
    assert int(rescaled) * 5 < int(original) and rotated == original
    assert table["Newton"] == ["1", "1", "1"]
    for name in ("AdaGrad", "RMSProp", "Adam"):
        assert int(table[name][0]) < int(original)  # a diagonal preconditioner helps on the axis-aligned bowl
        assert table[name][2] == "–" or int(table[name][2]) > int(original)  # and no longer when it is rotated
    assert "Newton: 1 step, 1 step, 1 step" in text


@pytest.mark.slow  # several seconds of training; XOR stays in the default run
def test_digits(tmp_path):
    pytest.importorskip("sklearn")
    out = tmp_path / "out"
    result = run_example("11_digits.py", "--epochs", "4", "--out", str(out), cwd=tmp_path / "cwd")
    check_ran(result, tmp_path / "cwd", out, ["digits_history.png"])
    assert "1347 training and 450 test images" in result.stdout
    assert number_after(result.stdout, "test accuracy") > 0.85
    assert "shortened run" in result.stdout


def test_digits_without_scikit_learn(tmp_path):
    # A package named sklearn that fails to import hides the real one.
    (tmp_path / "hide" / "sklearn").mkdir(parents=True)
    (tmp_path / "hide" / "sklearn" / "__init__.py").write_text("raise ImportError('hidden for this test')\n")
    result = run_example("11_digits.py", cwd=tmp_path / "cwd", env_extra={"PYTHONPATH": str(tmp_path / "hide")})
    assert result.returncode == 2
    assert 'pip install "diffkit[datasets]"' in result.stderr
    assert result.stdout == ""


@pytest.mark.slow  # several seconds of training; XOR stays in the default run
def test_swell_study(tmp_path):
    out = tmp_path / "out"
    result = run_example("12_swell_study.py", "--logistic-steps", "6", "--chain-levels", "16", "--out", str(out),
                         cwd=tmp_path / "cwd")
    check_ran(result, tmp_path / "cwd", out, ["swell_logistic.png", "swell_sin_cos.png"])
    text = result.stdout
    assert "depth (logistic)" in text and "depth (sin_cos)" in text
    growth = re.search(r"symbolic tree: × ([\d.]+) to × ([\d.]+) per step", text)
    assert growth and float(growth.group(1)) >= 2
    assert "reverse mode 48 operations (8 per step)" in text  # 8 operations per step of the map, k = 6
    assert number_after(text, "the tree grows ×") > 3  # sin(cos(…)) from k = 8 to 16
    assert number_after(text, "reverse mode's operations ×") == 2.0
