"""Lecture example 5: the two-layer ReLU net in NumPy, trained with a hand-written backward pass.

N = 64 samples, D_in = 1000, H = 100, D_out = 10, no bias, loss = sum((y_hat - y)^2), learning rate 1e-6,
500 iterations. The hand-written gradient is checked with dk.check_gradient (which also catches a forgotten
ReLU mask) and against diffkit's reverse mode on the same loss written as a traced function.
"""

import argparse
import time
from pathlib import Path

import numpy as np

import diffkit as dk

N, D_IN, H, D_OUT = 64, 1000, 100, 10
LEARNING_RATE = 1e-6




def verdict(check) -> str:
    """What a gradient check found, without its error figures: the loss here is a sum of 640 squares near 3e7,
    so the central differences carry rounding noise near rtol, and the worst errors, which entries come out
    inconclusive and the numeric values' last digits change with the machine's BLAS (print(check) shows them)."""
    bad = [str(name) for name, p in check.parameters.items() if not p.ok]
    failed = f"FAILED: {', '.join(bad)} disagree{'s' * (len(bad) == 1)}"
    lines = [f"gradient check {'ok' if check.ok else failed}"]
    for name, p in check.parameters.items():
        status = "ok" if p.ok else f"FAILED: {p.failed_count} of {p.checked} entries disagree"
        lines.append(f"  {name:11} {str(p.shape):12} {f'checked {p.checked} of {p.size} entries':30} {status}")
        lines.extend(f"      {name}{list(e.index)}  analytic {e.analytic:.3g}  numeric {e.numeric:.3g}"
                     for e in p.failed_entries[:3])
    n = len(check.directions)
    failed = f"FAILED: {check.directions_failed} of {n} disagree" if check.directions_failed else "ok"
    lines.append(f"  {'directions':11} {'':12} {f'checked {n} random':30} {failed}")
    return "\n".join(lines)

def shown(difference: float, bound: float = 1e-12) -> str:
    """A discrepancy as printed: its value above ``bound``, else only that it is below, since the digits of a
    rounding-level difference change with the machine's math library, CPU and BLAS."""
    return f"{difference:.1e}" if difference >= bound else f"< {bound:.0e}"

def loss_of(x, y, params):
    """The lecture's forward pass: h = x w1, a = max(h, 0), y_hat = a w2, loss = sum((y_hat - y)^2)."""
    y_hat = np.maximum(x @ params["w1"], 0) @ params["w2"]
    return float(np.sum((y_hat - y) ** 2))


def loss_and_backprop(x, y, params, relu_mask=True):
    """The forward pass, keeping h and a, then the lecture's backward pass: (loss, {name: gradient}).

    relu_mask=False forgets to zero the gradient where h < 0 (a classic bug).
    """
    w1, w2 = params["w1"], params["w2"]
    h = x @ w1
    a = np.maximum(h, 0)
    y_hat = a @ w2
    g = 2 * (y_hat - y)  # d loss / d y_hat
    grad_w2 = a.T @ g
    g_a = g @ w2.T
    g_h = g_a.copy()
    if relu_mask:
        g_h[h < 0] = 0  # ReLU passes no gradient where it was off
    grad_w1 = x.T @ g_h
    return float(np.sum((y_hat - y) ** 2)), {"w1": grad_w1, "w2": grad_w2}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=500, help="gradient-descent steps (default 500)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="write a plot of the loss per iteration here")
    args = parser.parse_args(argv)

    rng = np.random.default_rng(args.seed)
    x, y = rng.standard_normal((N, D_IN)), rng.standard_normal((N, D_OUT))
    params = {"w1": rng.standard_normal((D_IN, H)), "w2": rng.standard_normal((H, D_OUT))}

    def loss(p):
        return loss_of(x, y, p)

    def backprop(p, relu_mask=True):
        return loss_and_backprop(x, y, p, relu_mask)[1]

    # 1. Check the hand-written gradient against central differences. 40 sampled entries and 4 random
    #    directions keep this quick; the directions involve every entry, so no wrong entry can hide.
    check = dk.check_gradient(loss, backprop, params, coordinates=40, directions=4)
    print("hand-written backprop vs central differences:")
    print(verdict(check))
    if not check.ok:
        raise SystemExit("the hand-written gradient failed its check")

    # 2. The same check catches the forgotten ReLU mask: w1's gradient goes wrong, w2's stays right.
    buggy = dk.check_gradient(loss, lambda p: backprop(p, relu_mask=False), params, coordinates=40,
                              directions=4)
    print("\nthe same backprop with the ReLU mask forgotten:")
    print(verdict(buggy))
    if buggy.ok or buggy.parameters["w1"].ok or not buggy.parameters["w2"].ok:
        raise SystemExit("check_gradient should fail w1 (and only w1) when the ReLU mask is forgotten")

    # 3. diffkit's reverse mode on the loss written with diffkit's operations. (dk.matmul(x, w1), because
    #    x @ w1 with the NumPy array on the left runs NumPy's matmul, which diffkit refuses to record.)
    traced = dk.trace(lambda w1, w2: dk.sum((dk.relu(dk.matmul(x, w1)) @ w2 - y) ** 2))
    value_and_grad = dk.value_and_grad(traced, method="reverse")

    def disagreement(p) -> float:
        mine = backprop(p)
        _, theirs = value_and_grad(p)
        return max(dk.discrepancy(mine[k], theirs[k]) for k in mine)

    print(f"\nloss = {traced}")
    print(f"diffkit reverse mode vs hand-written backprop: max rel. difference {shown(disagreement(params))} "
          f"({value_and_grad.cost.summary()})")

    # 4. Train: plain gradient descent with the hand-written gradient, comparing with diffkit every 100 steps.
    print(f"\n{'iteration':>9}  {'loss':>14}  {'diffkit vs hand':>15}")
    losses, worst = [], 0.0
    start = time.perf_counter()
    for step in range(args.iterations + 1):
        if step % 100 == 0 or step == args.iterations:
            difference = disagreement(params)
            worst = max(worst, difference)
            print(f"{step:9d}  {loss(params):14.6g}  {shown(difference):>15}")
        if step < args.iterations:
            value, grads = loss_and_backprop(x, y, params)
            losses.append(value)  # the loss before this step
            params = {k: params[k] - LEARNING_RATE * grads[k] for k in params}
    losses.append(loss(params))
    print(f"({args.iterations} iterations in {time.perf_counter() - start:.2f} s)")

    if worst > 1e-10:
        raise SystemExit(f"diffkit's gradient and the hand-written one differ by {worst:.1e}")
    if args.iterations and not losses[-1] < losses[0]:
        raise SystemExit(f"the loss did not fall: {losses[0]:.6g} -> {losses[-1]:.6g}")

    if args.out:
        from matplotlib.figure import Figure  # only needed for the picture

        args.out.mkdir(parents=True, exist_ok=True)
        path = args.out / "two_layer_relu_loss.png"
        figure = Figure(figsize=(6, 3.5))
        axes = figure.add_subplot()
        axes.semilogy(losses)
        axes.set(xlabel="iteration", ylabel="loss (log scale)", title="two-layer ReLU net, gradient descent")
        figure.tight_layout()
        figure.savefig(path, dpi=100)
        print("\nwrote", path, sep="\n  ")


if __name__ == "__main__":
    main()
