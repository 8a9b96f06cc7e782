"""Libraries on a class server: a namespace per student hashed from its secret, models published read-only, and the
`aelab publish` command with its one-line errors."""
from __future__ import annotations

import shutil

import pytest

from aelab.cli.main import main
from aelab.errors import ModelStoreError
from aelab.library.namespaces import namespace_of, private_elsewhere, publish, student_root, unpublish
from aelab.library.store import PRETRAINED_ROOT, list_models, load_model, published_root, resolve_model_path


@pytest.fixture
def library(tmp_path, monkeypatch):
    """A library holding a copy of the shipped linear_ae (the smallest model) as "teacher-model"."""
    root = tmp_path / "library"
    monkeypatch.setenv("AELAB_HOME", str(root))
    monkeypatch.delenv("AELAB_PUBLISHED_DIR", raising=False)
    root.mkdir()
    shutil.copytree(PRETRAINED_ROOT / "linear_ae", root / "teacher-model")
    return root


def test_a_namespace_is_a_hash_that_never_holds_the_secret(tmp_path):
    secret = "0123456789abcdef" * 2
    browser, user = namespace_of("browser", secret), namespace_of("user", secret)
    assert len(browser) == 32 and browser != user and secret not in browser
    folder = student_root(browser, tmp_path)
    assert folder == tmp_path / ".students" / browser and secret not in str(folder)
    with pytest.raises(ModelStoreError):
        student_root("../../etc", tmp_path)


def test_publish_shares_a_copy_listed_read_only_beside_each_library(library):
    path = publish("teacher-model")
    assert path == published_root() / "teacher-model" == library / ".published" / "teacher-model"
    assert load_model(path).name == "teacher-model"
    student = student_root(namespace_of("browser", "ab" * 16))
    rows = {(i.source, i.name) for i in list_models(student)}
    assert ("published", "teacher-model") in rows and ("library", "teacher-model") not in rows
    assert resolve_model_path("teacher-model", student) == path  # found for a student too
    assert not any(i.name in (".published", ".students") for i in list_models())  # the CLI's list: hidden folders
    with pytest.raises(ModelStoreError, match="already published"):
        publish("teacher-model")
    publish("teacher-model", overwrite=True)
    unpublish("teacher-model")
    assert not (library / ".published" / "teacher-model").exists() and (library / "teacher-model").is_dir()


def test_a_model_in_another_library_is_private_to_it(library):
    mine, theirs = (student_root(namespace_of("browser", c * 32)) for c in "ab")
    theirs.mkdir(parents=True)
    shutil.copytree(library / "teacher-model", theirs / "their-model")
    assert private_elsewhere("their-model", mine)
    assert private_elsewhere("teacher-model", mine)  # the teacher's own, unpublished
    assert not private_elsewhere("their-model", theirs) and not private_elsewhere("nobody", mine)
    assert not private_elsewhere("../x", mine)


def test_publish_cli(library, capsys):
    assert main(["publish", "teacher-model"]) == 0
    assert "published teacher-model" in capsys.readouterr().out
    assert main(["models", "--json"]) == 0
    assert '"source": "published"' in capsys.readouterr().out
    assert main(["publish", "teacher-model", "--remove"]) == 0
    assert not (library / ".published" / "teacher-model").exists()


@pytest.mark.parametrize("name, message", [("bad/name", "Invalid model name"), ("no-such-model", "No model named")])
def test_publish_cli_refuses_with_one_error_line(library, capsys, name, message):
    assert main(["publish", name]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1


def test_a_broken_model_is_never_published(library, capsys):
    weights = library / "teacher-model" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-10])
    assert main(["publish", "teacher-model"]) == 2
    assert capsys.readouterr().err.startswith("error: ")
    assert not (library / ".published" / "teacher-model").exists()
