"""The page views (aelab/views): what may enter a link (an allowlist), how each kind of value is written and read
back, that a hostile link costs nothing before it is refused, and how long the longest link of each page is."""
from __future__ import annotations

import base64
import dataclasses
import re
import zlib
from urllib.parse import quote

import numpy as np
import pytest

from aelab.data.sources import load_dataset
from aelab.views.base import field_codec, parse_query, query_text
from aelab.views.codecs import LinkValueError, parse_ranges, ranges_text
from aelab.views.pages import PAGE_VIEWS, VIEWS_BY_SCOPE, AppView, LatentView, RestoreView, TrainView, TraverseView
from aelab.views.values import (
    MAX_SIDE,
    SELECTION_TEXT_BUDGET,
    Bitmap,
    BitmapCodec,
    ImageRef,
    ImageRefCodec,
    MovedCodec,
    Selection,
    SelectionCodec,
)

# Every query parameter a link may carry, page by page: a new one is added here on purpose, never by accident.
ALLOWED = {
    "app": {"data", "model", "class", "present"},
    "home": set(),
    "train": {"variant", "latent", "hidden", "temp", "epochs", "batch", "lr", "loss", "codes", "commit", "beta",
              "noise", "level", "l1", "contractive", "seed", "images"},
    "latent": {"points", "map", "nn", "md", "dims", "under", "quantiles", "sel", "pin", "digit", "colour", "cam",
               "groups", "la", "lb", "ga", "gb", "to", "alpha", "cmp", "split"},
    "traverse": {"start", "range", "k", "z", "all", "rows", "cols", "gif"},
    "interpolate": {"a", "b", "c", "steps", "side", "t", "w"},
    "generate": {"vae", "ae", "side", "temperature", "seed", "vq", "vqimg", "cvae", "codes", "cseed", "cimg"},
    "restore": {"kind", "strength", "fill", "place", "top", "left", "mask", "brush", "models", "known", "radius",
                "hauto", "h", "classic", "seed", "n", "score"},
    "anomalies": {"sets", "log", "percentile", "k"},
    "applications": {"section", "bits", "qualities", "n", "bytes", "thumb", "tbits", "strip", "steps", "code",
                     "factor", "sn", "opacity", "wn", "wseed"},
    "lessons": {"section", "d", "epochs", "k", "t", "size", "noise", "other", "units", "colours", "beta", "point"},
    "playground": {"set", "pts", "n", "noise", "seed", "variant", "epochs", "lr", "sigma", "beta", "contractive",
                   "view", "iterate"},
    "factors": {"start", "beta", "seed", "epochs"},
    "class": {"sort", "variant"},
}
# What identifies a person or is a capability: never a link parameter (a browser id, a job id, a teacher's key or
# token, a display name, a save name, a session).
FORBIDDEN = ("job", "browser", "cookie", "secret", "key", "token", "teacher", "session", "display", "save", "name",
             "owner", "id", "uid", "user", "overwrite")


def names_a_person(param: str) -> bool:
    words = re.split(r"[_\-.]", param.lower())
    return any(word in FORBIDDEN or (len(forbidden) > 3 and forbidden in word) for word in words
               for forbidden in FORBIDDEN)


def test_the_views_link_parameters_are_exactly_the_allowlist():
    assert set(VIEWS_BY_SCOPE) == set(ALLOWED)
    for scope, view in VIEWS_BY_SCOPE.items():
        assert set(view.params()) == ALLOWED[scope], scope


@pytest.mark.parametrize("view", [AppView, *PAGE_VIEWS], ids=lambda v: v.scope)
def test_no_parameter_names_a_person_or_a_capability(view):
    for name in view.params():
        assert not names_a_person(name), (view.scope, name)
    fields = {f.name: f.metadata.get("param") for f in dataclasses.fields(view)}
    if view is TrainView:  # the save name, the overwrite switch and the display name: kept, never in a link
        assert fields["name"] is None and fields["overwrite"] is None and fields["display_name"] is None


def test_no_page_parameter_shadows_the_sidebars():
    for view in PAGE_VIEWS:
        assert not set(view.params()) & set(AppView.params()), view.scope


# ------------------------------------------------------------------------------------------------ bitmaps
def digit_bitmap(index: int = 0) -> Bitmap:
    data = load_dataset("mnist-5k")
    return Bitmap.from_array(data.x_test[index, 0].numpy(), 4)


def test_a_drawing_and_a_mask_round_trip_and_fit_in_a_few_hundred_characters():
    codec = BitmapCodec()
    lengths = []
    for index in range(20):
        digit = digit_bitmap(index)
        text = codec.format(digit)
        assert codec.parse(text) == digit
        assert quote(text, safe="") == text  # nothing to escape in a URL
        lengths.append(len(text))
        # 16 grey levels: every pixel within half a level of the image it was made from
        original = load_dataset("mnist-5k").x_test[index, 0].numpy()
        assert np.abs(digit.to_array() - original).max() <= 0.5 / 15 + 1e-6
    assert max(lengths) < 450, lengths  # a real MNIST digit; a drawn one (fewer grey levels) is shorter
    mask = np.zeros((28, 28), bool)
    mask[5:20, 3:17] = True
    mask[22:26, 20:27] = True
    text = codec.format(Bitmap.from_array(mask, 1))
    assert len(text) < 120 and (codec.parse(text).to_array() > 0.5).tolist() == mask.tolist()


@pytest.mark.parametrize("text, why", [
    ("65x28.4.AA", "beyond what any image here is"),
    ("28x28.8.AA", "beyond what any image here is"),
    ("28x.4.AA", "is not a drawing"),
    ("28x28.4.!!!!", "does not decode|holds 0 bytes"),
    (f"28x28.1.{base64.urlsafe_b64encode(zlib.compress(bytes(10_000_000))).decode()}", "longer than"),
    (f"28x28.1.{base64.urlsafe_b64encode(zlib.compress(bytes(5000))).decode().rstrip('=')}", "bytes where"),
    (f"28x28.1.{base64.urlsafe_b64encode(zlib.compress(bytes(10))).decode().rstrip('=')}", "bytes where"),
])
def test_a_hostile_drawing_is_refused_from_its_header_and_never_inflated_past_its_size(text, why):
    with pytest.raises(LinkValueError, match=why):
        BitmapCodec().parse(text)


def test_a_compressed_bomb_is_inflated_no_further_than_the_size_it_declares():
    bomb = base64.urlsafe_b64encode(zlib.compress(bytes(1_000_000), 9)).decode().rstrip("=")
    assert len(bomb) < 1800  # it gets past the length cap; its header says 98 bytes, so 99 are read, not 1 MB
    with pytest.raises(LinkValueError, match="holds 99 bytes where a 28x28 drawing has 98"):
        BitmapCodec().parse(f"28x28.1.{bomb}")
    assert MAX_SIDE == 64


# ------------------------------------------------------------------------------------------------ images, selections
def test_image_refs_keep_the_links_people_shared():
    codec = ImageRefCodec()
    assert codec.parse("test:22") == ImageRef(index=22) and codec.parse("22") == ImageRef(index=22)
    assert codec.format(ImageRef(index=22)) == "test:22"
    with pytest.raises(LinkValueError, match="split other than test"):
        codec.parse("train:3")
    drawn = ImageRef(drawing=digit_bitmap())
    assert codec.parse(codec.format(drawn)) == drawn


def test_selections_travel_as_ranges_within_a_budget():
    assert ranges_text([9, 3, 4, 5, 6, 7, 12, 13]) == "3-7.9.12-13"
    assert parse_ranges("3-7.9", 100, 100) == (3, 4, 5, 6, 7, 9)
    codec = SelectionCodec()
    lasso = Selection("mnist-5k", tuple(range(200, 1200)))
    assert codec.format(lasso) == "mnist-5k~200-1199" and codec.parse("mnist-5k~200-1199").indices == lasso.indices
    rng = np.random.default_rng(0)
    box = Selection("mnist-5k", tuple(sorted(rng.choice(1000, 300, replace=False).tolist())))  # a box on a map
    text = codec.format(box)
    assert text.startswith("mnist-5k~b") and len(text) < 300 and codec.parse(text) == box
    scattered = Selection("fashion-mnist", tuple(sorted(rng.choice(70_000, 9000, replace=False).tolist())))
    assert codec.format(scattered) is None  # past the budget: the page says the link carries no selection
    for text, why in (("mnist-5k~b99999999.AA", "more than a map holds"),
                      ("mnist-5k~b80.AAAA", "does not decode|bytes"),
                      (f"x~b8000.{base64.urlsafe_b64encode(zlib.compress(bytes(60_000))).decode()}", "bytes where")):
        with pytest.raises(LinkValueError, match=why):
            codec.parse(text)
    assert SELECTION_TEXT_BUDGET <= 1200
    for text, why in (("mnist-5k~0-99999999", "names images outside"), ("3-7", "not a selection"),
                      ("mnist-5k~a-b", "not an index or a range")):
        with pytest.raises(LinkValueError, match=why):
            codec.parse(text)


def test_moved_sliders_keep_their_old_link_format():
    codec = MovedCodec()
    assert codec.parse("z3:0.512,z7:-1.2") == ((2, 0.512), (6, -1.2))
    assert codec.format(((2, 0.512), (6, -1.2))) == "z3:0.512,z7:-1.2"
    with pytest.raises(LinkValueError, match="not zN:value"):
        codec.parse("z3:nan")
    with pytest.raises(LinkValueError, match="longer than|more than"):
        codec.parse(",".join(f"z{i}:0" for i in range(1, 600)))


# ------------------------------------------------------------------------------------------------ whole views
def test_a_query_reads_back_into_the_view_it_was_written_from():
    view = TraverseView(start=ImageRef(index=3), k=2.5, z=((0, 0.5), (3, -2.0)), show_all=True)
    text = query_text(view)
    assert parse_query(TraverseView, text) == (view, [])
    assert query_text(TraverseView()) == ""  # defaults stay out
    parsed, problems = parse_query(TraverseView, "start=test:3&colour=red&k=abc")
    assert parsed.start == ImageRef(index=3) and parsed.k == 3.0
    assert problems[0].startswith("colour= is not a setting of this page")
    assert problems[1] == "k=abc is not a valid value"


def test_the_longest_links_stay_under_2000_characters():
    """Every field of the pages with the most to say set at once, at its longest: the address stays a link."""
    digit, mask = digit_bitmap(3), Bitmap.from_array(np.random.default_rng(0).random((28, 28)) > 0.5, 1)
    longest = {
        "latent": LatentView(points=1000, map="raw", neighbors=99, min_dist=0.99, dims=(11, 12), manifold=False,
                             quantiles=True, selection=Selection("fashion-mnist", tuple(range(0, 300, 3))),
                             pinned=(-12.3456, 7.8912), digit=digit, colour="error",
                             camera=(-12.3456, 7.8912, 123.456)),
        "restore": RestoreView(kind="user_mask", strength=0.45, fill="grey", place="chosen", top=12, left=13,
                               mask=mask, brush=55, models=tuple(f"library/my-denoising-ae-{i}" for i in range(4)),
                               known=False, radius=9, nlm_auto=False, nlm_h=115, classic=("median", "telea", "ns"),
                               seed=9999, n=999, score="PSNR in mask (dB)"),
        "traverse": TraverseView(start=ImageRef(drawing=digit), range="minmax", k=9.5,
                                 z=tuple((d, -1.2345) for d in range(16)), show_all=True, rows=16, cols=15, gif=15),
    }
    app = "data=fashion-mnist&model=library%2Fmy-very-long-model-name-for-a-class-vae-16&class=9&present=1"
    for scope, view in longest.items():
        link = f"http://class-server.example.org:8501/{scope}?{app}&{query_text(view)}"
        assert len(link) < 2000, (scope, len(link))


def test_every_fields_codec_reads_back_what_it_writes():
    from aelab.views.pages import InterpolateView, PlaygroundView

    samples = {
        (InterpolateView, "weights"): (0.2, 0.5, 0.3), (InterpolateView, "t"): 0.125,
        (LatentView, "pinned"): (-1.25, 3.5), (LatentView, "dims"): (0, 5),
        (PlaygroundView, "points"): ((0.5, -1.25), (2.0, 3.0)), (RestoreView, "models"): ("pretrained/ae",),
        (TrainView, "hidden"): "256, 64", (TrainView, "lr"): "0.003",
    }
    for (view, name), value in samples.items():
        codec = field_codec(view, name)
        assert codec.parse(codec.format(value)) == value, (view.scope, name)


def test_a_fragment_rerun_sees_a_widget_changed_outside_it():
    """ui.common.view_store.changed_elsewhere: what a fragment's rerun alone would leave unshown (Streamlit batches
    widget changes and reruns the first one's fragment): a widget the page or another fragment drew that now holds
    another value. The rerunning fragment's own widgets, unchanged widgets and widgets no longer drawn are not."""
    from ui.common.view_store import PageState, changed_elsewhere

    page = PageState(view=None, drawn={"interpolate_steps": ("rows", 10), "traverse_show_all": ("sliders", False),
                                       "dataset": (None, "mnist-5k")})
    session = {"interpolate_steps": 11, "traverse_show_all": False, "dataset": "mnist-5k"}
    assert changed_elsewhere(session, [page], "live") == ["interpolate_steps"]  # the live decoder's rerun
    assert changed_elsewhere(session, [page], "rows") == []  # its own fragment reruns: it redraws it
    assert changed_elsewhere({**session, "dataset": "digits"}, [page], "rows") == ["dataset"]  # the page's own
    assert changed_elsewhere({"traverse_show_all": False}, [page], "live") == []  # the others not drawn any more
