"""Your own data as a dataset (ganbench/data/sources.py, images.py, fashion.py): folders of images,
arrays, torchvision roots, the held-out split, the decoded-folder cache, and every bad input as a
one-line usage error. Small data the tests write themselves."""

from __future__ import annotations

import gzip
import os
import re
import struct
import time

import numpy as np
import pytest
import torch
from PIL import Image

from ganbench.cli import main
from ganbench.core.errors import GanbenchError
from ganbench.data import folder_source, get_dataset
from ganbench.data.images import heldout_split, resize_centre_crop
from ganbench.data.registry import resolve_dataset_name
from ganbench.data.sources import detect_layout, detect_range, load_array, load_folder


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GANBENCH_CACHE", str(tmp_path / "cache"))


def grey(value: int, size=(8, 8)) -> Image.Image:
    a = np.full(size[::-1], value, dtype=np.uint8)
    a[0, 0] = (value + 128) % 256  # images differ from a constant
    return Image.fromarray(a, mode="L")


def write_flat(folder, n=20, size=(8, 8), fmt="png"):
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        grey(i * 10 % 256, size).save(folder / f"img{i:03d}.{fmt}")
    return folder


def write_classes(folder, per_class=10, classes=("cat", "dog", "eel")):
    for k, c in enumerate(classes):
        d = folder / c
        d.mkdir(parents=True)
        for i in range(per_class):
            grey(k * 80 + i, (8, 8)).save(d / f"{i}.png")
    return folder


# --- folders ------------------------------------------------------------------------------------


def test_flat_folder_loads_grey_unlabelled_with_a_held_out_split(tmp_path):
    folder = write_flat(tmp_path / "imgs", n=20)
    name = resolve_dataset_name(f"folder:{folder}")
    assert re.fullmatch(r"folder-imgs-[0-9a-f]{8}", name)  # safe in folder and file names
    data = get_dataset(name)
    assert data.spec.shape == (1, 8, 8) and data.spec.num_classes == 0
    assert (len(data.train), len(data.test)) == (18, 2)  # 10% held out, fixed seed
    assert data.train.min() >= -1 and data.train.max() <= 1
    assert str(folder) in data.source  # the full path is kept for the row


def test_class_subfolders_are_labels_and_the_split_is_stratified(tmp_path):
    folder = write_classes(tmp_path / "pets", per_class=10)
    (folder / "README.txt").write_text("not an image")  # ignored, counted
    x, y, classes, note = load_folder(folder)
    assert classes == ["cat", "dog", "eel"] and x.shape == (30, 1, 8, 8)
    assert np.bincount(y).tolist() == [10, 10, 10] and "1 other file(s) ignored" in note
    data = get_dataset(resolve_dataset_name(f"folder:{folder}"))
    assert data.spec.num_classes == 3
    assert torch.bincount(data.test_labels).tolist() == [1, 1, 1]


def test_split_is_fixed_and_stratified():
    labels = np.repeat(np.arange(4), [50, 30, 10, 2])
    tr, te = heldout_split(len(labels), labels)
    tr2, te2 = heldout_split(len(labels), labels)
    assert np.array_equal(te, te2) and np.array_equal(tr, tr2)
    assert np.bincount(labels[te]).tolist() == [5, 3, 1, 1]
    assert set(tr) | set(te) == set(range(len(labels))) and not set(tr) & set(te)


def test_resize_and_centre_crop_is_stated(tmp_path):
    img = Image.new("L", (40, 20), 0)
    img.paste(255, (10, 0, 30, 20))  # a white band in the middle 20 columns
    out = resize_centre_crop(img, 10)  # 20 px -> 10 (x0.5), 40 -> 20 wide, centre 10 kept
    assert out.size == (10, 10) and np.asarray(out).min() > 200
    folder = tmp_path / "mixed"
    folder.mkdir()
    grey(10, (12, 12)).save(folder / "a.png")
    grey(20, (16, 24)).save(folder / "b.png")
    with pytest.raises(GanbenchError, match=r"different sizes.*--resolution R"):
        resolve_dataset_name(f"folder:{folder}")
    data = get_dataset(resolve_dataset_name(f"folder:{folder}", resolution=8))
    assert data.spec.shape == (1, 8, 8)


def test_grey_or_colour_by_the_majority(tmp_path):
    folder = tmp_path / "col"
    folder.mkdir()
    for i in range(3):  # colour
        Image.fromarray(np.full((8, 8, 3), (200, 10 * i, 50), np.uint8)).save(folder / f"c{i}.png")
    Image.fromarray(np.full((8, 8, 3), 90, np.uint8)).save(folder / "g_rgb.png")  # RGB but grey
    grey(30).save(folder / "g.png")
    x, _, _, note = load_folder(folder)
    assert x.shape == (5, 3, 8, 8) and "2 grey, 3 colour" in note and "converted to colour" in note
    assert (x[-1, 0] == x[-1, 1]).all()  # the grey image repeated to RGB


def test_unreadable_image_is_skipped_and_counted(tmp_path):
    folder = write_flat(tmp_path / "some_bad", n=6)
    good = (folder / "img000.png").read_bytes()
    (folder / "truncated.png").write_bytes(good[: len(good) // 2])
    (folder / "garbage.jpg").write_bytes(b"not a jpeg at all")
    x, _, _, note = load_folder(folder)
    assert len(x) == 6 and "2 unreadable file(s) skipped" in note
    assert "truncated.png" in note and "garbage.jpg" in note


def test_decoded_folder_is_cached_and_a_changed_folder_is_read_again(tmp_path, monkeypatch):
    folder = write_flat(tmp_path / "cached", n=5)
    calls = []
    real = folder_source.decode_images

    def counting(*a, **k):
        calls.append(1)
        return real(*a, **k)

    monkeypatch.setattr(folder_source, "decode_images", counting)
    x1 = load_folder(folder)[0]
    x2 = load_folder(folder)[0]
    assert len(calls) == 1 and np.array_equal(x1, x2)  # the second load is a cache hit
    assert list((tmp_path / "cache" / "datasets").glob("folder-cached-*.pt"))
    time.sleep(0.01)
    grey(77).save(folder / "img002.png")  # changed content: new mtime (and maybe size)
    os.utime(folder / "img002.png", ns=(time.time_ns(), time.time_ns() + 10**9))
    x3 = load_folder(folder)[0]
    assert len(calls) == 2 and x3[2, 0, 1, 1] == 77
    grey(1).save(folder / "new.png")  # an added file
    assert len(load_folder(folder)[0]) == 6 and len(calls) == 3


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: p.mkdir(), r"holds nothing"),
        (lambda p: (p.mkdir(), (p / "notes.txt").write_text("x")), r"1 file\(s\), none of them an image"),
        (lambda p: None, r"does not exist"),
        (lambda p: p.write_text("a file"), r"is a file, not a folder"),
    ],
)
def test_bad_folders_are_one_line_errors(tmp_path, make, message):
    p = tmp_path / "bad"
    make(p)
    with pytest.raises(GanbenchError, match=message) as exc:
        resolve_dataset_name(f"folder:{p}")
    assert "\n" not in str(exc.value)


def test_folder_of_only_unreadable_images_is_refused(tmp_path):
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "a.png").write_bytes(b"\x89PNG broken")
    with pytest.raises(GanbenchError, match="none of its 1 image file"):
        resolve_dataset_name(f"folder:{folder}")


# --- arrays -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "shape, layout",
    [((5, 8, 8), "NHW"), ((5, 8, 8, 3), "NHWC"), ((5, 3, 8, 8), "NCHW"), ((5, 8, 8, 1), "NHWC"),
     ((5, 1, 8, 8), "NCHW"), ((5, 3, 16, 16), "NCHW"), ((5, 16, 16, 3), "NHWC")],
)  # fmt: skip
def test_layout_detection(shape, layout):
    assert detect_layout(shape, "x") == layout


@pytest.mark.parametrize(
    "shape, message",
    [((5, 3, 3, 3), "ambiguous"), ((5, 8, 8, 5), "no channel axis"), ((5, 64), "rank 2"),
     ((2, 5, 8, 8, 3), "rank 5")],
)  # fmt: skip
def test_layout_refusals(shape, message):
    with pytest.raises(GanbenchError, match=message):
        detect_layout(shape, "x")


def test_range_detection_and_refusals():
    assert detect_range(np.zeros((2, 4, 4), np.uint8)) == (0, 255)
    assert detect_range(np.linspace(-1, 1, 32).reshape(2, 4, 4).astype(np.float32)) == (-1, 1)
    assert detect_range(np.linspace(0, 1, 32).reshape(2, 4, 4)) == (0, 1)
    # a float array in [0, 255] is not silently treated as [0, 1]
    assert detect_range(np.linspace(0, 255, 32).reshape(2, 4, 4)) == (0, 255)
    assert detect_range(np.arange(32).reshape(2, 4, 4)) == (0, 255)  # integers in 0..255
    for bad, msg in [
        (np.linspace(0, 1.5, 32), "fit none"),
        (np.linspace(-3, 3, 32), "fit none"),
        (np.array([0.0, np.nan]), "NaN"),
        (np.arange(300), r"integer pixels in \[0, 299\]"),
        (np.ones(4, bool), "dtype bool"),
    ]:
        with pytest.raises(GanbenchError, match=msg):
            detect_range(bad, "x")


def test_npz_layouts_ranges_and_labels(tmp_path):
    rng = np.random.default_rng(0)
    base = rng.integers(0, 256, (12, 8, 8, 3), dtype=np.uint8)
    f = tmp_path / "a.npz"
    np.savez(f, images=base.astype(np.float32) / 255.0, y=np.arange(12) % 3)
    x, y = load_array(f)
    assert x.shape == (12, 3, 8, 8) and np.array_equal(x, base.transpose(0, 3, 1, 2))
    assert y.tolist() == (np.arange(12) % 3).tolist()
    np.save(tmp_path / "b.npy", base.transpose(0, 3, 1, 2).astype(np.float64) / 127.5 - 1)
    xb, yb = load_array(tmp_path / "b.npy")
    assert np.array_equal(xb, x) and yb is None
    data = get_dataset(resolve_dataset_name(f"npz:{f}"))
    assert data.spec.shape == (3, 8, 8) and data.spec.num_classes == 3
    assert re.fullmatch(r"npz-a-[0-9a-f]{8}", data.spec.name)
    resized = get_dataset(resolve_dataset_name(f"npz:{f}", resolution=4))
    assert resized.spec.shape == (3, 4, 4) and resized.spec.name != data.spec.name


def test_npz_keys_and_bad_arrays(tmp_path):
    f = tmp_path / "two.npz"
    np.savez(f, gen=np.zeros((4, 8, 8), np.uint8), real=np.ones((4, 8, 8), np.uint8))
    with pytest.raises(GanbenchError, match=r"2 candidate image arrays.*npz:.*:KEY"):
        load_array(f)
    assert load_array(f, "real")[0].max() == 1
    with pytest.raises(GanbenchError, match="has no array 'nope'"):
        load_array(f, "nope")
    g = tmp_path / "lab.npz"
    np.savez(g, x=np.zeros((4, 8, 8), np.uint8), labels=np.arange(3))
    with pytest.raises(GanbenchError, match=r"labels have shape \(3,\) for 4 images"):
        load_array(g)
    h = tmp_path / "rank.npy"
    np.save(h, np.zeros((4, 64), np.float32))
    with pytest.raises(GanbenchError, match=r"rank 2.*\(N, H, W\)"):
        resolve_dataset_name(f"npz:{h}")
    s = tmp_path / "str.npy"
    np.save(s, np.array([["a"] * 4] * 4))
    with pytest.raises(GanbenchError, match="dtype"):
        load_array(s)
    with pytest.raises(GanbenchError, match="not a file"):
        load_array(tmp_path / "missing.npz")


# --- torchvision roots --------------------------------------------------------------------------


def write_idx(path, array):
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(
        f">{array.ndim}I", *array.shape
    )
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def test_torchvision_root_without_files_names_them_and_the_flag(tmp_path):
    with pytest.raises(GanbenchError) as exc:
        resolve_dataset_name(f"torchvision:CIFAR10:{tmp_path}")
    msg = str(exc.value)
    assert "cifar-10-batches-py/data_batch_1" in msg and "--download" in msg and "\n" not in msg
    assert not any(tmp_path.iterdir())  # nothing downloaded, nothing written


def test_torchvision_mnist_layout_reads_offline(tmp_path):
    raw = tmp_path / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(1)
    for split, n in (("train", 30), ("t10k", 10)):
        write_idx(raw / f"{split}-images-idx3-ubyte", rng.integers(0, 256, (n, 28, 28)))
        write_idx(raw / f"{split}-labels-idx1-ubyte", np.arange(n) % 10)
    name = resolve_dataset_name(f"torchvision:fashionmnist:{tmp_path}")
    data = get_dataset(name)
    assert name.startswith("tv-fashionmnist-")
    assert (len(data.train), len(data.test)) == (30, 10)  # torchvision's own split
    assert data.spec.shape == (1, 28, 28) and data.spec.num_classes == 10


def test_cli_exits_2_and_writes_nothing_for_a_missing_torchvision_root(tmp_path, capsys):
    out = tmp_path / "out"
    rc = main(["run", "--variant", "dcgan", "--dataset", f"torchvision:MNIST:{tmp_path / 'none'}",
               "--preset", "smoke", "--device", "cpu", "--out", str(out)])  # fmt: skip
    err = capsys.readouterr().err
    assert rc == 2 and "MNIST/raw/train-images-idx3-ubyte" in err and "--download" in err
    assert len(err.strip().splitlines()) == 1 and not out.exists()


def test_resolution_is_refused_for_a_bundled_dataset(tmp_path, capsys):
    rc = main(["run", "--variant", "dcgan", "--dataset", "mnist", "--resolution", "32",
               "--preset", "smoke", "--out", str(tmp_path / "out")])  # fmt: skip
    assert rc == 2 and "--resolution applies to your own data" in capsys.readouterr().err


# --- the bundled additions ----------------------------------------------------------------------


def test_digits_are_upsampled_to_28_px():
    data = get_dataset("digits")
    assert data.spec.shape == (1, 28, 28) and len(data.train) + len(data.test) == 1797
    assert torch.bincount(data.test_labels).min() >= 17  # stratified
    assert "bicubic" in data.source


def test_fashion_mnist_is_the_full_official_split():
    data = get_dataset("fashion-mnist")
    assert (len(data.train), len(data.test)) == (60_000, 10_000)
    assert data.spec.num_classes == 10 and torch.bincount(data.test_labels).tolist() == [1000] * 10


def test_fashion_mnist_file_check(tmp_path, monkeypatch):
    from ganbench.data import fashion

    for fname, _ in fashion.FASHION_FILES.values():
        (tmp_path / fname).write_bytes(gzip.compress(b"\x00\x00\x08\x01\x00\x00\x00\x00"))
    monkeypatch.setenv(fashion.FASHION_DIR_ENV, str(tmp_path))
    fashion.load_fashion_arrays.cache_clear()
    try:
        with pytest.raises(GanbenchError, match="not the Fashion-MNIST file"):
            fashion.load_fashion_arrays()
        monkeypatch.setenv(fashion.FASHION_DIR_ENV, str(tmp_path / "none"))
        with pytest.raises(GanbenchError, match="apt-get install dataset-fashion-mnist"):
            fashion.load_fashion_arrays()
    finally:
        fashion.load_fashion_arrays.cache_clear()


# --- training on your own data ------------------------------------------------------------------

TINY = '''
import torch
from torch import nn


class Tiny(nn.Module):
    input_size = 16
    input_range = (0.0, 1.0)
    feature_dim = 8
    input_channels = 3

    def __init__(self):
        super().__init__()
        g = torch.Generator().manual_seed(0)
        self.w = nn.Parameter(torch.randn(8, 3 * 256, generator=g) / 28)

    def forward(self, x):
        return torch.tanh(x.flatten(1) @ self.w.T)
'''


def colour_folder(root, n, size):
    root.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(n):
        a = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
        Image.fromarray(a).save(root / f"{i}.png")
    return root


def test_dcgan_trains_on_colour_32px_and_the_plan_says_who_cannot_take_64px(tmp_path, capsys):
    import json

    from ganbench.harness.suite import plan_runs

    mod = tmp_path / "tiny.py"
    mod.write_text(TINY)
    folder = colour_folder(tmp_path / "rgb32", 40, 32)
    out = tmp_path / "out"
    rc = main(["run", "--variant", "dcgan", "--dataset", f"folder:{folder}", "--features",
               f"{mod}:Tiny", "--preset", "smoke", "--device", "cpu", "--jobs", "1", "--out",
               str(out), "--quiet", "--no-report"])  # fmt: skip
    assert rc == 0, capsys.readouterr().err
    (path,) = out.glob("runs/dcgan/folder-rgb32-*/seed0/result.json")
    row = json.loads(path.read_text())
    assert row["status"] == "ok" and row["features"].startswith("Tiny@")
    assert row["n_train"] == 36 and row["n_test"] == 4 and "rgb32" in row["dataset_source"]
    from ganbench.core.log import set_quiet

    set_quiet(False)  # main(... --quiet) above silenced this process's progress lines
    big = resolve_dataset_name(f"folder:{colour_folder(tmp_path / 'rgb64', 12, 64)}")
    capsys.readouterr()
    specs = plan_runs(None, [big], [0], "smoke", "cpu", features=f"{mod}:Tiny")
    planned = {s.variant for s in specs}
    # DCGAN's G builds 64 px, ClusterGAN's (the authors' MNIST networks, 28 / 32 px) does not
    assert "dcgan" in planned and "clustergan" not in planned
    err = capsys.readouterr().err
    assert re.search(r"plan: clustergan skipped on folder-rgb64-\w+: its networks do not build 3x64x64", err)
