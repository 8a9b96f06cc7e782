"""The static card charts (aelab.analysis.sketches): dots and lines land where their values say, in their colours."""
import numpy as np

from aelab.analysis.sketches import Curve, line_sketch, reconstruction_sketch, scatter_sketch

RED, BLUE = "#CC0000", "#0000CC"


def _near(picture: np.ndarray, y: int, x: int, colour: tuple[int, int, int], tolerance: int = 60) -> bool:
    patch = picture[max(y - 3, 0):y + 4, max(x - 3, 0):x + 4].reshape(-1, 3).astype(int)
    return bool((np.abs(patch - np.array(colour)).sum(axis=1) < tolerance).any())


def test_scatter_puts_the_lowest_point_bottom_left_and_the_highest_top_right_in_their_colours():
    picture = scatter_sketch(np.array([[0.0, 0.0], [10.0, 5.0], [np.nan, 1.0]]), [RED, BLUE, RED], width=200,
                             height=100, dot=4, opacity=1.0)
    assert picture.shape == (100, 200, 3) and picture.dtype == np.uint8
    assert _near(picture, 100 - 6, 6, (204, 0, 0)) and _near(picture, 6, 200 - 6, (0, 0, 204))
    assert not _near(picture, 6, 6, (204, 0, 0)) and not _near(picture, 50, 100, (204, 0, 0))  # NaN: not drawn
    assert (picture[40:60, 90:110] == 255).all()  # the middle is empty background


def test_line_falls_from_top_left_to_bottom_right_and_a_dashed_curve_has_gaps():
    falling = line_sketch([Curve([1, 2, 3], [3.0, 2.0, 1.0], RED)], width=200, height=100)
    assert _near(falling, 8, 8, (204, 0, 0)) and _near(falling, 100 - 8, 200 - 8, (204, 0, 0))
    assert not _near(falling, 100 - 8, 8, (204, 0, 0))
    solid = line_sketch([Curve([0, 1], [1.0, 1.0], BLUE), Curve([0, 1], [0.0, 0.0], RED)], width=200, height=100)
    dashed = line_sketch([Curve([0, 1], [1.0, 1.0], BLUE), Curve([0, 1], [0.0, 0.0], RED, dashed=True)],
                         width=200, height=100)
    row = 100 - 8

    def red_columns(picture):
        return int((np.abs(picture[row - 2:row + 3].astype(int) - [204, 0, 0]).sum(axis=2) < 90).any(axis=0).sum())

    assert red_columns(solid) > 170 and 40 < red_columns(dashed) < 0.75 * red_columns(solid)
    # A curve of many short segments (a loss per epoch) is dashed too: the pattern runs on across its points
    xs = list(range(100))
    many = line_sketch([Curve(xs, [1.0] * 100, BLUE), Curve(xs, [0.0] * 100, RED, dashed=True)], width=200, height=100)
    assert 40 < red_columns(many) < 0.75 * red_columns(solid)
    gap = line_sketch([Curve([0, 1, 2, 3], [1.0, None, 1.0, 0.0], BLUE)], width=200, height=100)
    assert gap.shape == (100, 200, 3)  # a None is a gap, not an error


def test_reconstructions_are_joined_to_their_points_on_equal_axes():
    points = np.array([[0.0, 0.0], [4.0, 1.0]])
    picture = reconstruction_sketch(points, np.array([[0.0, 1.0], [4.0, 1.0]]), RED, BLUE, width=200, height=100,
                                    dot=3)
    assert picture.shape == (100, 200, 3)
    # x spans 4 units over the 188 pixels inside the frame's padding: 47 pixels a unit, on y too, centred vertically
    red, blue = (204, 0, 0), (0, 0, 204)  # the dots are a little transparent: their colour over white is near these

    def near(y, x, colour):
        return _near(picture, y, x, colour, tolerance=150)

    assert near(74, 6, red) and near(26, 6, blue)  # (0,0) and its reconstruction (0,1)
    assert near(26, 194, blue)  # (4,1), drawn on itself
    assert not near(94, 6, red) and not near(6, 6, blue)  # not stretched to fill the frame
