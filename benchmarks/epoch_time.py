"""Seconds per training epoch: the notebook's `Network` and reference `Task1` against PyTorch CPU.

    PYTHONPATH=. python benchmarks/epoch_time.py            # full MNIST (60,000 images), 5 epochs
    PYTHONPATH=. python benchmarks/epoch_time.py --small    # 6,000 images, 3 epochs (CI)
    PYTHONPATH=. python benchmarks/epoch_time.py --profile  # also cProfile one Task1 epoch

One epoch = one permutation of the training set, then `learning_step` on each
mini-batch of 100 (SGD, learning rate 0.5), for a (784, 30, 10) network. The numpy
models are the notebook's own classes (benchmarks/notebook_code.py); PyTorch gets the
same architecture (Linear, sigmoid, Linear), the same loop and batches, float64 and
float32, with softmax + cross-entropy like `Task1` (and sigmoid + MSE like
`Network`). PyTorch rows appear only where torch imports (an optional dependency).

Timing: one warm-up epoch per model, then `--epochs` rounds in which the models take
turns, one epoch each (so a change of machine load hits every row alike); the
median (and min) per model. The shuffle is not timed.
Threads: numpy's BLAS and torch both get `--threads` (default: all cores, then again
with 1 thread, each in its own process), set through
threadpoolctl when installed (else OPENBLAS/OMP/MKL_NUM_THREADS before numpy loads)
and `torch.set_num_threads`; the table says what each library reports.
OPENBLAS_CORETYPE (set on some machines; it forces slower BLAS kernels) is left as
it is; when it is set, the numpy rows are measured once more in a child process
without it and printed as extra lines. Data: the full MNIST cache when present,
else random data of MNIST's shape (the header says which).
Target (issue 6): reference `Task1` at most 1.0x PyTorch float64 in the same run.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(REPO))

SIZES = (784, 30, 10)
LEARNING_RATE = 0.5
THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def cpu_count():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def limit_threads(n):
    """Give numpy's BLAS `n` threads; return a description of what it reports."""
    if "numpy" not in sys.modules:  # without threadpoolctl this is the only way in
        for var in THREAD_VARS:
            os.environ[var] = str(n)
    import numpy  # noqa: F401
    try:
        from threadpoolctl import threadpool_info, threadpool_limits
    except ImportError:
        return f"numpy BLAS: {os.environ.get('OPENBLAS_NUM_THREADS')} threads via environment (no threadpoolctl)"
    limit_threads.keep = threadpool_limits(limits=n)  # stays in force for the whole run
    pools = [p for p in threadpool_info() if p["user_api"] == "blas"]
    return "numpy BLAS: " + ", ".join(
        f"{p['internal_api']} {p.get('version') or ''} {p.get('architecture') or ''} kernels, {p['num_threads']} threads"
        for p in pools)


def load_data(n_images, course):
    """x (n, 784) float64, y (n, 10) one-hot, and where they came from."""
    import numpy as np
    sys.path.insert(0, str(Path(course) / "source" / "mlp_lab"))
    try:
        from mnist_loader import cache_path, load_mnist
        if Path(cache_path()).is_file():
            x, y, _, _ = load_mnist(subset=False)
            if n_images <= len(x):
                return x[:n_images], y[:n_images], f"MNIST from the cache ({n_images} images)"
    except Exception as exc:  # a damaged cache must not stop the benchmark
        print(f"(full MNIST unavailable: {exc}; using random data)", file=sys.stderr)
    rng = np.random.default_rng(0)
    x = rng.random((n_images, SIZES[0]))
    y = np.eye(SIZES[-1])[rng.integers(0, SIZES[-1], n_images)]
    return x, y, f"random data of MNIST's shape ({n_images} images; no MNIST cache)"


def one_epoch(step, order, batch):
    t0 = time.perf_counter()
    for start in range(0, len(order), batch):
        step(order[start:start + batch])
    return time.perf_counter() - t0


def time_interleaved(rows, n_images, batch, epochs, seed=0):
    """Fill each row's median and min seconds per epoch; row["step"](idx) trains on one batch.

    Every model trains one warm-up epoch, then the models take turns, one epoch each per
    round, on the same permutation: a change in machine load hits every row alike.
    The shuffle is outside the timing (it is the same for all).
    """
    import numpy as np
    rng = np.random.default_rng(seed)
    live = [r for r in rows if "step" in r]
    times = {id(r): [] for r in live}
    for round_ in range(epochs + 1):
        order = rng.permutation(n_images)
        for r in live:
            seconds = one_epoch(r["step"], order, batch)
            if round_:  # round 0 warms caches, allocators and thread pools
                times[id(r)].append(seconds)
    for r in live:
        r["median"], r["min"] = statistics.median(times[id(r)]), min(times[id(r)])
        del r["step"]
    return rows


def numpy_rows(ns, x, y):
    rows = []
    for label, cls_name in (("Network (given baseline, sigmoid+MSE)", "Network"),
                            ("Task1 (reference, softmax+CE)", "Task1")):
        row = {"model": label, "framework": "numpy", "dtype": "float64"}
        if cls_name not in ns:
            row["error"] = "not in notebook"
        else:
            net = ns[cls_name](list(SIZES))
            row["step"] = lambda idx, net=net: net.learning_step(x[idx], y[idx], LEARNING_RATE)
        rows.append(row)
    return rows


def torch_rows(x, y, threads):
    try:
        import torch
    except ImportError:
        return [], "torch: not installed (PyTorch rows skipped)"
    import torch.nn.functional as F
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    labels = torch.from_numpy(y.argmax(axis=1))
    rows = []
    for loss_name, dtype in (("softmax+CE", torch.float64), ("softmax+CE", torch.float32),
                             ("sigmoid+MSE", torch.float64)):
        xt, yt = torch.from_numpy(x).to(dtype), torch.from_numpy(y).to(dtype)
        model = torch.nn.Sequential(torch.nn.Linear(SIZES[0], SIZES[1]), torch.nn.Sigmoid(),
                                    torch.nn.Linear(SIZES[1], SIZES[2])).to(dtype)
        opt = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)

        def step(idx, model=model, opt=opt, xt=xt, yt=yt, loss_name=loss_name):
            idx = torch.from_numpy(idx)
            out = model(xt[idx])
            if loss_name == "softmax+CE":
                loss = F.cross_entropy(out, labels[idx])
            else:  # the baseline's 0.5 * sum of squares, averaged over the batch
                loss = 0.5 * ((torch.sigmoid(out) - yt[idx]) ** 2).sum(dim=1).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()

        rows.append({"model": f"PyTorch {loss_name}", "framework": "torch",
                     "dtype": str(dtype).replace("torch.", ""), "step": step})
    return rows, f"torch {torch.__version__}: {torch.get_num_threads()} threads"


def coretype_unset_rows(args):
    """The numpy rows again in a child process without OPENBLAS_CORETYPE (extra lines only)."""
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
    cmd = [sys.executable, __file__, "--numpy-only", "--json", "--course", str(args.course),
           "--epochs", str(args.epochs), "--images", str(args.images), "--threads", str(args.threads)]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1800)
    if out.returncode != 0:
        return [], f"(run without OPENBLAS_CORETYPE failed: {out.stderr.strip().splitlines()[-1:]})"
    result = json.loads(out.stdout)
    for row in result["rows"]:
        row["model"] += " [OPENBLAS_CORETYPE unset]"
    return result["rows"], result["threads"]


def profile_task1(ns, x, y, batch):
    import cProfile
    import pstats
    import numpy as np
    net = ns["Task1"](list(SIZES))
    order = np.random.default_rng(0).permutation(len(x))
    prof = cProfile.Profile()
    prof.enable()
    one_epoch(lambda idx: net.learning_step(x[idx], y[idx], LEARNING_RATE), order, batch)
    prof.disable()
    print("\ncProfile of one Task1 epoch, top 15 by own time (matrix products count in backprop's own time):")
    pstats.Stats(prof, stream=sys.stdout).sort_stats("tottime").print_stats(15)


def print_table(rows, reference_label="Task1", torch_label=("PyTorch softmax+CE", "float64")):
    base = next((r for r in rows if r["model"] == torch_label[0] and r["dtype"] == torch_label[1]
                 and "median" in r), None)
    print(f"{'model':64s} {'framework':9s} {'dtype':8s} {'median s/epoch':>14s} {'min s/epoch':>11s} "
          f"{'vs torch f64':>12s}")
    for r in rows:
        if "error" in r:
            print(f"{r['model']:64s} {r['framework']:9s} {r['dtype']:8s} {r['error']}")
            continue
        ratio = f"{r['median'] / base['median']:.2f}x" if base else "-"
        print(f"{r['model']:64s} {r['framework']:9s} {r['dtype']:8s} {r['median']:14.3f} {r['min']:11.3f} "
              f"{ratio:>12s}")
    ref = next((r for r in rows if r["model"].startswith(reference_label) and "median" in r), None)
    if ref and base:
        ratio = ref["median"] / base["median"]
        print(f"\nreference Task1 / PyTorch float64 = {ratio:.2f}x  (target <= 1.0x: "
              f"{'met' if ratio <= 1.0 else 'NOT met'})")


def _without_threads(argv):
    """The command line minus its --threads option (either spelling)."""
    out, skip = [], False
    for arg in (sys.argv[1:] if argv is None else argv):
        if skip:
            skip = False
        elif arg == "--threads":
            skip = True
        elif not arg.startswith("--threads="):
            out.append(arg)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--course", type=Path, default=REPO, help="course root (default: this repo)")
    parser.add_argument("--small", action="store_true", help="6,000 images, 3 epochs (for CI)")
    parser.add_argument("--images", type=int, default=60_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=5, help="timed epochs (after one warm-up)")
    parser.add_argument("--threads", help="threads for numpy's BLAS and torch; a comma-separated list "
                                          "measures each in turn (default: all cores, then 1; --small: all cores)")
    parser.add_argument("--no-torch", action="store_true", help="skip the PyTorch rows")
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of a Task1 epoch")
    parser.add_argument("--numpy-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args(argv)
    if args.small:
        args.images, args.epochs = 6_000, 3
    if args.threads is None:
        args.threads = str(cpu_count()) if args.small else ",".join(dict.fromkeys([str(cpu_count()), "1"]))
    settings = [int(n) for n in str(args.threads).split(",") if n]
    if len(settings) > 1:  # thread pools are set before numpy loads: one child process per setting
        status = 0
        for n in settings:
            child = [sys.executable, __file__, *_without_threads(argv), f"--threads={n}"]
            status = max(status, subprocess.run(child).returncode)
            print()
        return status
    args.threads = settings[0]

    threads_numpy = limit_threads(args.threads)
    from notebook_code import notebook_namespace
    ns = notebook_namespace(Path(args.course) / "source" / "mlp_lab" / "mlp_lab.ipynb")
    x, y, data = load_data(args.images, args.course)

    rows = numpy_rows(ns, x, y)
    threads_torch = "torch: skipped (--no-torch)"
    if not args.no_torch and not args.numpy_only:
        more, threads_torch = torch_rows(x, y, args.threads)
        rows += more
    time_interleaved(rows, len(x), args.batch, args.epochs)
    if args.numpy_only:
        print(json.dumps({"rows": rows, "threads": threads_numpy}))
        return 0
    extra, extra_threads = [], None
    if os.environ.get("OPENBLAS_CORETYPE"):
        extra, extra_threads = coretype_unset_rows(args)

    if args.json:
        print(json.dumps({"rows": rows + extra, "data": data, "threads": [threads_numpy, threads_torch]}))
        return 0
    print(f"epoch time: {SIZES} network, batch {args.batch}, lr {LEARNING_RATE}, {data}")
    print(f"median of {args.epochs} epochs after 1 warm-up, models interleaved; threads asked: {args.threads}")
    print(f"  {threads_numpy} (OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', 'unset')})")
    print(f"  {threads_torch}")
    if extra_threads:
        print(f"  extra lines, child without OPENBLAS_CORETYPE: {extra_threads}")
    print()
    print_table(rows + extra)
    if args.profile and "Task1" in ns:
        profile_task1(ns, x, y, args.batch)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
