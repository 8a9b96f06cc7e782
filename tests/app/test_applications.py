"""AppTest for the Applications page: every section renders from the shipped models, a control changes each
section's result, and bad settings get one message with nothing computed."""
from __future__ import annotations

import json

import pytest

from tests.apptest_helpers import run_app, texts

PAGE = "pages/applications.py"


@pytest.fixture(autouse=True)
def private_home(monkeypatch, tmp_path):
    monkeypatch.setenv("AELAB_HOME", str(tmp_path))


def test_compression_renders_both_datasets_and_counting_whole_files_moves_the_codecs():
    at = run_app(PAGE, apps_qualities="1, 5, 10, 50", apps_bits="5, 6", apps_compression_n=100)
    assert len(at.get("plotly_chart")) == 2
    assert "decoder's own size is not counted" in texts(at)
    assert "better** than JPEG at the same payload bytes" in texts(at)  # mnist-5k: the AE wins at some rate
    payload = json.loads(at.get("plotly_chart")[0].proto.spec)["data"]
    at.radio(key="apps_bytes").set_value("whole file").run()
    assert not at.exception
    whole = json.loads(at.get("plotly_chart")[0].proto.spec)["data"]
    jpeg = [trace for trace in payload if trace["name"] == "JPEG"][0]["x"]
    jpeg_whole = [trace for trace in whole if trace["name"] == "JPEG"][0]["x"]
    assert all(w > p + 300 for w, p in zip(jpeg_whole, jpeg))  # JPEG's tables and headers, ~330 bytes
    assert "No AE point falls within JPEG's range" in texts(at)


@pytest.mark.parametrize("field, value, message", [
    ("apps_bits", "0, 4", "from 1 to 16, got 0"),
    ("apps_qualities", "50, 101", "from 1 to 100, got 101"),
    ("apps_bits", "four", "write numbers separated by commas"),
])
def test_bad_compression_settings_get_one_message(field, value, message):
    at = run_app(PAGE, **{field: value})
    assert [message in e.value for e in at.error] == [True]
    assert len(at.get("plotly_chart")) == 0  # nothing computed


def test_superres_watermark_and_memorisation_render_and_follow_their_controls():
    at = run_app(PAGE, apps_section="superres", apps_superres_n=60)
    table = at.table[0].value
    assert list(table.index) == ["bicubic", "Lanczos", "autoencoder"]
    assert table.loc["autoencoder", "PSNR (dB)"] > table.loc["bicubic", "PSNR (dB)"]
    at.number_input(key="apps_factor").set_value(4).run()
    assert at.table[0].value.loc["bicubic", "PSNR (dB)"] < table.loc["bicubic", "PSNR (dB)"] - 2  # 7x7 is harder
    assert "low-res (7x7)" in texts(at)
    at.number_input(key="apps_factor").set_value(3).run()
    assert [("factor 3 does not divide" in e.value) for e in at.error] == [True] and not at.table

    at.radio(key="apps_section").set_value("watermark").run()
    at.number_input(key="apps_watermark_n").set_value(60).run()
    table = at.table[0].value
    assert "AE trained on stamps" in table.index and "Telea inpainting (r=3)" in table.index
    at.slider(key="apps_opacity").set_value(1.0).run()
    assert not at.exception
    assert not at.table[0].value.equals(table)

    at.radio(key="apps_section").set_value("memorisation").run()
    assert not at.exception
    assert "it memorised, it did not learn digits" in texts(at)
    assert "decoded halfway to the next" in texts(at)  # the default strip: between neighbours on the line
    at.radio(key="apps_memo_strip").set_value("evenly along the line").run()
    assert "evenly spaced" in texts(at) and "decoded halfway to the next" not in texts(at)
    at.number_input(key="apps_memo_steps").set_value(8).run()
    assert not at.exception
    at.slider(key="apps_memo_code").set_value(at.slider(key="apps_memo_code").min).run()
    assert not at.exception


def test_the_home_card_links_the_page_and_shows_a_super_resolved_digit():
    at = run_app("pages/home.py")
    assert "watermark removal" in texts(at)
    captions = [image.caption for element in at.get("image") for image in element.proto.imgs]
    assert "14x14 in, the autoencoder's 28x28 out, the original" in captions
