"""depthlab.figures: panel structure, labels with units, titles, pixels, viewpoints, saving."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.colors import Normalize  # noqa: E402

import depthlab  # noqa: E402
from depthlab import Capture  # noqa: E402
from depthlab.errors import InvalidInputError, OverwriteError  # noqa: E402
from conftest import data_sample  # noqa: E402
from depthlab.figures import (  # noqa: E402
    VIEWS,
    capture_figure,
    colour_mapped,
    comparison_figure,
    render_view,
    save_figure,
)

from conftest import make_capture, shared_sample  # noqa: E402

H, W = 12, 16


def ramp_capture(accuracy="absolute", kind="front TrueDepth", h=H, w=W, seed=0, offset=0.0, **fields) -> Capture:
    """A small capture whose every depth pixel is distinct; one unknown pixel at (0, 0)."""
    rng = np.random.default_rng(seed)
    depth = (0.5 + offset + np.arange(h * w, dtype=np.float32).reshape(h, w) / (h * w)).astype(np.float32)
    depth[0, 0] = np.nan
    f = 1.2 * w
    return make_capture(depth, intrinsics=[[f, 0, w / 2], [0, f, h / 2], [0, 0, 1]], accuracy=accuracy, kind=kind,
                        rgb=rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8), **fields)


def axes_by_label(container) -> dict[str, object]:
    return {ax.get_label(): ax for ax in container.axes}


def all_text(fig) -> str:
    return "\n".join(t.get_text() for t in fig.findobj(matplotlib.text.Text))


# --------------------------------------------------------------------------------------------
# Structure
# --------------------------------------------------------------------------------------------


def test_capture_figure_has_four_panels_and_a_colorbar_in_metres():
    fig = capture_figure(ramp_capture())
    assert len(fig.subfigs) == 1
    axes = axes_by_label(fig.subfigs[0])
    assert set(axes) == {"colour", "depth", "histogram", "cloud", "colorbar"}
    assert axes["colorbar"].get_ylabel() == "depth (m)"
    assert axes["histogram"].get_xlabel() == "depth (m)"
    assert axes["histogram"].get_ylabel() == "pixels"
    title = fig.subfigs[0].get_suptitle()
    assert "front TrueDepth" in title and "absolute scale" in title
    assert "relative" not in all_text(fig)
    # a paper's full text width, small fonts
    assert fig.get_size_inches()[0] == pytest.approx(7.0)
    assert axes["depth"].title.get_fontsize() <= 8


def test_relative_accuracy_is_marked_on_every_metric_label():
    fig = capture_figure(ramp_capture(accuracy="relative", kind="rear dual"))
    axes = axes_by_label(fig.subfigs[0])
    assert axes["colorbar"].get_ylabel() == "depth (m, relative scale)"
    assert axes["histogram"].get_xlabel() == "depth (m, relative scale)"
    assert "relative scale" in axes["cloud"].get_xlabel()
    title = fig.subfigs[0].get_suptitle()
    assert "rear dual" in title and "relative scale" in title


def test_a_file_in_its_own_units_is_labelled_in_units_not_metres():
    """The RealSense photo (XDM, Metric False: millimetres by its noise model) drew
    'depth (m, relative scale)' from 666 to 19012: every length label says the file's units."""
    from depthlab.capture import DepthEncoding

    enc = DepthEncoding(quantity="depth", bits=16, int_max=65535, format="RangeLinear", near=0.0, far=65535.0)
    cap = ramp_capture(accuracy="relative", kind="XDM", encoding=enc)
    assert cap.depth_unit == "units"
    for quantity, want in (("depth", "depth (units, relative scale)"), ("disparity", "disparity (1/unit, relative scale)")):
        axes = axes_by_label(capture_figure(cap, quantity=quantity).subfigs[0])
        assert axes["colorbar"].get_ylabel() == want and axes["histogram"].get_xlabel() == want
        assert axes["cloud"].get_xlabel() == "(units, relative scale)"
    real = depthlab.open(shared_sample("other/intel_realsense_xdm.jpg"))
    assert "(m" not in all_text(capture_figure(real))


def test_an_empty_3d_panel_says_the_photos_range_when_near_far_leave_nothing():
    """capture_figure(pug, far=0.1) drew 'no 3D view: no valid points', as if the photo had no
    depth; the panel now says the options leave none of its 0.228-0.668 m."""
    pug = depthlab.open(shared_sample("iphone/rear_dual_pug.heic"))
    axes = axes_by_label(capture_figure(pug, far=0.1).subfigs[0])
    text = " ".join(t.get_text() for t in axes["cloud"].texts).replace("\n", " ")
    assert "no 3D view" in text and "depth 0.228–0.668 m" in text and "far=0.1" in text, text


def test_stored_and_refined_histograms_share_their_bins():
    """comparison_figure(jpeg, "refined") binned the stored row per code and the refined row in
    64 even bins, so its 'shared' histograms had heights that could not be compared (the refined
    row's tallest bar sat at 0.25 m, the stored row's at 0.8 m, for one and the same distribution)."""
    cap = depthlab.open(shared_sample("iphone/rear_dual_portrait.jpg"))
    fig = comparison_figure(cap, "refined")
    bars = [[p for p in axes_by_label(sf)["histogram"].patches if isinstance(p, matplotlib.patches.Rectangle)]
            for sf in fig.subfigs]
    edges = [[(round(p.get_x(), 9), round(p.get_width(), 9)) for p in row] for row in bars]
    assert len(edges[0]) > 64 and edges[0] == edges[1]
    heights = [np.array([p.get_height() for p in row]) for row in bars]
    assert np.argmax(heights[0]) == np.argmax(heights[1])  # the same tallest bin: one distribution


def test_unknown_accuracy_is_said():
    fig = capture_figure(ramp_capture(accuracy=None, kind="Lens Blur"))
    title = fig.subfigs[0].get_suptitle()
    assert "Lens Blur" in title and "scale unknown" in title


def test_disparity_quantity_is_labelled_per_metre():
    fig = capture_figure(ramp_capture(), quantity="disparity")
    axes = axes_by_label(fig.subfigs[0])
    assert "disparity" in axes
    assert axes["colorbar"].get_ylabel() == "disparity (1/m)"
    im = axes["disparity"].images[0]
    d = ramp_capture().disparity
    assert np.allclose(im.get_array().filled(np.nan), d, equal_nan=True)


def test_cloud_panel_names_the_model_and_view_and_holds_the_points():
    cap = ramp_capture()
    fig = capture_figure(cap, view="side", stride=1)
    ax = axes_by_label(fig.subfigs[0])["cloud"]
    assert ax.get_title() == "3D · pinhole · side"
    offsets = ax.collections[0].get_offsets()
    assert len(offsets) == H * W - 1  # every valid pixel once (stride 1), the NaN one dropped
    # side view: screen x is depth about the median, so its span is the depth span
    depth = cap.depth[np.isfinite(cap.depth)]
    assert np.ptp(offsets[:, 0]) == pytest.approx(float(np.ptp(depth)), rel=1e-4)


def test_histogram_counts_every_valid_pixel_in_range():
    cap = ramp_capture()
    fig = capture_figure(cap, percentiles=(0, 100))
    ax = axes_by_label(fig.subfigs[0])["histogram"]
    heights = [p.get_height() for p in ax.patches if hasattr(p, "get_height")]
    assert sum(heights) == H * W - 1
    assert "99.5% valid" in ax.get_title()  # 191 of 192 pixels


def test_comparison_of_two_captures_aligns_rows_and_shares_scales_when_both_absolute():
    a, b = ramp_capture(), ramp_capture(seed=1, offset=0.5)
    fig = comparison_figure(a, b, labels=("near", "far"))
    assert len(fig.subfigs) == 2
    rows = [axes_by_label(sf) for sf in fig.subfigs]
    assert [set(r) for r in rows] == [{"colour", "depth", "histogram", "cloud", "colorbar"}] * 2
    titles = [sf.get_suptitle() for sf in fig.subfigs]
    assert titles[0].startswith("near · front TrueDepth") and titles[1].startswith("far · front TrueDepth")
    lims = [r["depth"].images[0].get_clim() for r in rows]
    assert lims[0] == lims[1]
    assert rows[0]["histogram"].get_xlim() == rows[1]["histogram"].get_xlim()
    assert rows[0]["cloud"].get_xlim() == pytest.approx(rows[1]["cloud"].get_xlim())
    assert "shared colour and 3D scales" in all_text(fig)


def test_comparison_with_a_relative_capture_keeps_separate_scales_and_says_why():
    rear = ramp_capture(accuracy="relative", kind="rear dual")
    front = ramp_capture(seed=1, offset=0.5)
    fig = comparison_figure(rear, front)
    rows = [axes_by_label(sf) for sf in fig.subfigs]
    assert rows[0]["depth"].images[0].get_clim() != rows[1]["depth"].images[0].get_clim()
    assert "not comparable" in all_text(fig)
    assert "relative scale" in fig.subfigs[0].get_suptitle()
    assert "absolute scale" in fig.subfigs[1].get_suptitle()
    # the caller can insist
    fig = comparison_figure(rear, front, shared=True)
    rows = [axes_by_label(sf) for sf in fig.subfigs]
    assert rows[0]["depth"].images[0].get_clim() == rows[1]["depth"].images[0].get_clim()


def test_comparison_of_two_models_of_one_capture():
    cap = ramp_capture()
    fig = comparison_figure(cap, models=("pinhole", "disparity-as-z"), view="side")
    # what differs between models of one photo is the 3D points: the photo once, then one cloud per model
    titles = [sf.get_suptitle() for sf in fig.subfigs]
    assert titles[1] == "pinhole model" and titles[2] == "disparity-as-z model"
    assert [ax.get_label() for ax in fig.axes] == ["colour", "cloud", "cloud"]
    clouds = [axes_by_label(sf)["cloud"] for sf in fig.subfigs[1:]]
    assert clouds[0].get_title().startswith("3D · pinhole · side")
    assert clouds[1].get_title().startswith("3D · disparity-as-z")
    # seen from the side, depth runs along the horizontal axis in metres, and the camera is drawn
    assert clouds[0].get_xlabel() == "depth z (m)" and clouds[0].get_ylabel() == "height −y (m)"
    assert clouds[1].get_xlabel() == "depth z (model units)"  # teaching model: not metres
    assert "camera" in [t.get_text() for t in clouds[0].get_legend().get_texts()]
    lo, hi = clouds[0].get_xlim()
    assert lo <= 0 <= hi  # the camera at the origin is in view


def test_bad_arguments_raise_depthlab_errors():
    cap = ramp_capture()
    with pytest.raises(InvalidInputError, match="quantity"):
        capture_figure(cap, quantity="height")
    with pytest.raises(InvalidInputError, match="view"):
        capture_figure(cap, view="sideways")
    with pytest.raises(InvalidInputError, match="Capture"):
        capture_figure(np.zeros((4, 4)))
    with pytest.raises(InvalidInputError, match="two"):
        comparison_figure(cap, models=("pinhole",))


def test_missing_calibration_leaves_the_3d_panel_with_the_reason():
    cap = ramp_capture()
    cap.calibration = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = capture_figure(cap)
    ax = axes_by_label(fig.subfigs[0])["cloud"]
    assert "no 3D view" in ax.texts[0].get_text()
    assert any("3D panel" in str(w.message) for w in caught)
    # the teaching model needs no calibration
    fig = capture_figure(cap, model="orthographic")
    assert len(axes_by_label(fig.subfigs[0])["cloud"].collections[0].get_offsets()) == H * W - 1


# --------------------------------------------------------------------------------------------
# Pixels: the rendered panels against colours the test computes itself
# --------------------------------------------------------------------------------------------


def _render(fig, tmp_path, dpi=100):
    """Save ``fig`` as PNG through save_figure; return its pixels and the renderer that drew them."""
    from PIL import Image

    canvas = FigureCanvasAgg(fig)
    fig.set_dpi(dpi)
    out = save_figure(fig, tmp_path / "render.png", dpi=dpi)
    pixels = np.asarray(Image.open(out).convert("RGB"))
    return pixels, canvas.get_renderer()


def _cell_centres(image_artist, renderer, buf_height, h, w):
    """Pixel (row, col) of the centre of every cell of an h x w image drawn by imshow."""
    bb = image_artist.get_window_extent(renderer)
    xs = bb.x0 + (np.arange(w) + 0.5) * bb.width / w
    ys = bb.y1 - (np.arange(h) + 0.5) * bb.height / h  # display y grows upwards
    cols = np.floor(xs).astype(int)
    rows = (buf_height - 1 - np.floor(ys)).astype(int)
    return rows, cols


def test_depth_panel_pixels_match_the_colormap_of_the_labelled_range(tmp_path):
    cap = ramp_capture()
    fig = capture_figure(cap)
    buf, renderer = _render(fig, tmp_path)
    axes = axes_by_label(fig.subfigs[0])
    im = axes["depth"].images[0]
    # reference: depthlab's ramp (the same as the live view and the CLI preview) over the
    # 1st-99th percentile of the valid depths, near yellow, unknown grey
    from depthlab.colour import colour_map

    depth = cap.depth
    lo, hi = np.percentile(depth[np.isfinite(depth)], [1, 99])
    assert im.get_clim() == pytest.approx((lo, hi))
    cbar_ticks = axes["colorbar"].get_ylim()
    assert cbar_ticks == pytest.approx((lo, hi))
    expected = colour_map(depth, lo, hi).astype(int)
    assert expected[0, 0].tolist() == [96, 96, 96]
    assert expected[np.unravel_index(np.nanargmin(depth), depth.shape)].tolist() == [253, 231, 37]
    rows, cols = _cell_centres(im, renderer, buf.shape[0], H, W)
    got = buf[np.ix_(rows, cols)].astype(int)
    assert np.abs(got - expected).max() <= 2, np.abs(got - expected).max()


def test_colour_panel_pixels_are_the_photo_upright(tmp_path):
    cap = ramp_capture()
    fig = capture_figure(cap)
    buf, renderer = _render(fig, tmp_path)
    im = axes_by_label(fig.subfigs[0])["colour"].images[0]
    rows, cols = _cell_centres(im, renderer, buf.shape[0], H, W)
    assert np.array_equal(buf[np.ix_(rows, cols)], cap.rgb)


def test_colour_mapped_matches_matplotlib_and_greys_unknown():
    v = np.array([[0.0, 0.5, 1.0, np.nan]], dtype=np.float32)
    out = colour_mapped(v, 0.0, 1.0, "viridis")
    ref = np.round(matplotlib.colormaps["viridis"]([0.0, 0.5, 1.0])[:, :3] * 255).astype(np.uint8)
    assert np.array_equal(out[0, :3], ref)
    assert out[0, 3].tolist() == [96, 96, 96]  # the one grey of unknown depth
    assert out.dtype == np.uint8 and out.shape == (1, 4, 3)


# --------------------------------------------------------------------------------------------
# Viewpoints
# --------------------------------------------------------------------------------------------


def test_render_view_named_views_put_depth_where_documented():
    # three points along the optical axis, plus one up (-y) and one right (+x)
    xyz = np.array([[0, 0, 1], [0, 0, 2], [0, 0, 3], [0, -1, 2], [1, 0, 2]], dtype=np.float32)
    centre = np.array([0.0, 0.0, 2.0])
    sx, sy, order = render_view(xyz, *VIEWS["camera"], centre=centre)
    assert np.allclose(sx, [0, 0, 0, 0, 1]) and np.allclose(sy, [0, 0, 0, 1, 0])  # right is right, up is up
    assert order[0] == 2 and order[-1] == 0  # farthest first, nearest last
    sx, sy, order = render_view(xyz, *VIEWS["side"], centre=centre)
    assert np.allclose(sx[:3], [-1, 0, 1])  # depth runs left to right
    assert sy[3] == pytest.approx(1)         # up stays up
    assert order[-1] == 4                     # seen from +x, the point at +x is nearest: drawn last
    sx, sy, _ = render_view(xyz, *VIEWS["top"], centre=centre)
    assert np.allclose(sy[:3], [-1, 0, 1])  # depth runs bottom to top
    assert np.allclose(sx, [0, 0, 0, 0, 1])


def test_render_view_is_a_rotation():
    rng = np.random.default_rng(3)
    xyz = rng.normal(size=(200, 3))
    sx, sy, order = render_view(xyz, 33.0, -12.0, centre=np.zeros(3))
    # orthographic: screen lengths never exceed 3D lengths, and a point's norm is kept in 3D
    assert np.all(np.hypot(sx, sy) <= np.linalg.norm(xyz, axis=1) + 1e-9)
    assert sorted(order.tolist()) == list(range(200))


# --------------------------------------------------------------------------------------------
# Saving
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix, magic", [(".png", b"\x89PNG"), (".svg", b"<?xml"), (".pdf", b"%PDF")])
def test_save_figure_formats(tmp_path, suffix, magic):
    fig = capture_figure(ramp_capture())
    out = save_figure(fig, tmp_path / f"fig{suffix}")
    assert out.read_bytes()[:5].startswith(magic)
    assert [p.name for p in tmp_path.iterdir()] == [f"fig{suffix}"]  # no temporary file left


def test_pdf_and_svg_keep_their_fonts_as_truetype_and_text(tmp_path):
    """A journal's checker rejects Type 3 fonts; matplotlib's default writes them."""
    import re

    fig = capture_figure(ramp_capture())
    pdf = save_figure(fig, tmp_path / "fig.pdf").read_bytes()
    subtypes = set(re.findall(rb"/Subtype\s*/(Type3|TrueType|Type1|CIDFontType2|Type0)", pdf))
    assert b"Type3" not in subtypes and subtypes & {b"TrueType", b"CIDFontType2", b"Type0"}, subtypes
    fig.savefig(tmp_path / "direct.pdf")  # the figure's own savefig too, not only save_figure
    assert b"/Type3" not in (tmp_path / "direct.pdf").read_bytes()
    svg = save_figure(fig, tmp_path / "fig.svg").read_text()
    assert "<text" in svg and "depth" in svg  # labels stay text, searchable and editable


def test_save_figure_png_size_follows_dpi(tmp_path):
    from PIL import Image

    fig = capture_figure(ramp_capture())
    w_in, h_in = fig.get_size_inches()
    for dpi in (72, 200):
        out = save_figure(fig, tmp_path / f"f{dpi}.png", dpi=dpi)
        size = Image.open(out).size
        assert abs(size[0] - w_in * dpi) <= 1 and abs(size[1] - h_in * dpi) <= 1, (size, dpi)


def test_save_figure_never_overwrites_without_being_asked(tmp_path):
    fig = capture_figure(ramp_capture())
    dest = tmp_path / "fig.png"
    dest.write_bytes(b"keep me")
    with pytest.raises(OverwriteError):
        save_figure(fig, dest)
    assert dest.read_bytes() == b"keep me"
    save_figure(fig, dest, overwrite=True)
    assert dest.read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(InvalidInputError, match="suffix|png"):
        save_figure(fig, tmp_path / "fig.jpg")


def test_importing_figures_does_not_import_matplotlib():
    code = "import sys, depthlab, depthlab.figures; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --------------------------------------------------------------------------------------------
# Real phone files
# --------------------------------------------------------------------------------------------


def test_real_rear_dual_figure_is_marked_relative():
    cap = depthlab.open(shared_sample("iphone/rear_dual_pug.heic"))
    fig = capture_figure(cap)
    axes = axes_by_label(fig.subfigs[0])
    assert "rear dual" in fig.subfigs[0].get_suptitle()
    assert axes["colorbar"].get_ylabel() == "depth (m, relative scale)"
    assert axes["depth"].get_title() == "depth map (768×576)"
    # the default stride keeps the 3D panel near 30k points
    n = len(axes["cloud"].collections[0].get_offsets())
    assert 20_000 <= n <= 30_000


def test_real_rear_vs_front_comparison():
    rear = depthlab.open(shared_sample("iphone/rear_dual_pug.heic"))
    front = depthlab.open(shared_sample("iphone/front_truedepth_mattes.heic"))
    fig = comparison_figure(rear, front, labels=("rear", "front"))
    titles = [sf.get_suptitle() for sf in fig.subfigs]
    assert "rear dual" in titles[0] and "relative scale" in titles[0]
    assert "front TrueDepth" in titles[1] and "absolute scale" in titles[1]
    rows = [axes_by_label(sf) for sf in fig.subfigs]
    assert rows[0]["depth"].images[0].get_clim() != rows[1]["depth"].images[0].get_clim()


def test_notebook_shows_the_figure_exactly_once():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    here = Path(__file__).resolve().parent
    # this folder for test_figures, the tests root for the conftest it imports
    setup = f"import sys; sys.path[:0] = [{str(here)!r}, {str(here.parent)!r}]\nfrom test_figures import ramp_capture\nfrom depthlab.figures import capture_figure\n"
    for prefix in ("", "%matplotlib inline\n", "import matplotlib.pyplot as plt\n"):
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(prefix + setup + "capture_figure(ramp_capture())")]
        nbclient.NotebookClient(nb, timeout=120, kernel_name="python3").execute()
        images = [o for o in nb.cells[0].outputs if "image/png" in o.get("data", {})]
        assert len(images) == 1, (prefix, nb.cells[0].outputs)


def test_single_column_width_gives_a_two_by_two_grid():
    fig = capture_figure(ramp_capture(), width=3.5)
    assert fig.get_size_inches()[0] == pytest.approx(3.5)
    fig.canvas.draw()
    axes = axes_by_label(fig.subfigs[0])
    pos = {k: axes[k].get_position() for k in ("colour", "depth", "histogram", "cloud")}
    # colour | depth on top, histogram | cloud below
    assert pos["colour"].y0 > pos["histogram"].y1 and pos["depth"].y0 > pos["cloud"].y1
    assert pos["colour"].x1 < pos["depth"].x0 and pos["histogram"].x1 < pos["cloud"].x0
    wide = capture_figure(ramp_capture(), layout="row", width=3.5)
    wide.canvas.draw()
    a = axes_by_label(wide.subfigs[0])
    assert a["colour"].get_position().x1 < a["depth"].get_position().x0 < a["histogram"].get_position().x0
    with pytest.raises(InvalidInputError, match="layout"):
        capture_figure(ramp_capture(), layout="column")


def test_histogram_bins_hold_whole_stored_codes_so_no_comb_appears():
    """Codes even in disparity fall unevenly into even depth bins (0, 1 or 2 codes each: a comb);
    bins on the codes hold whole codes, the same number each (pairs when more than 128 are in range)."""
    from depthlab.figures.panels import histogram_edges, stored_code_values

    cap = depthlab.open(data_sample("front_truedepth.heic"))
    codes = stored_code_values(cap)
    # the front sample's range is its scene's: FloatMin/Max 1.044921875/2.779296875 (0.957-0.36 m)
    assert (codes[0], codes[-1], codes.size) == (1.044921875, 2.779296875, 256)
    fig = capture_figure(cap)
    ax = axes_by_label(fig.subfigs[0])["histogram"]
    bars = [p for p in ax.patches if hasattr(p, "get_height")]
    edges = histogram_edges(cap, "depth", *ax.get_xlim())
    depths = 1 / codes  # every code is a finite depth (FloatMin > 0)
    per_bin = [int(((depths > lo) & (depths < hi)).sum()) for lo, hi in zip(edges[:-1], edges[1:])]
    assert len(set(per_bin[:-1])) == 1 and 1 <= per_bin[0] <= 2  # whole codes, the same number in every bin
    # even bins in depth catch different numbers of codes (the comb); code bins the same number
    even = np.linspace(*ax.get_xlim(), 65)
    per_even = [int(((depths > lo) & (depths < hi)).sum()) for lo, hi in zip(even[:-1], even[1:])]
    assert len(set(per_even)) >= 3
    on_codes, _ = np.histogram(cap.depth[np.isfinite(cap.depth)], bins=edges)
    assert sum(b.get_height() for b in bars) == pytest.approx(on_codes.sum())


def test_histogram_can_split_inside_and_outside_a_matte():
    cap = depthlab.open(data_sample("front_truedepth.heic"))
    fig = capture_figure(cap, histogram_matte="portrait")
    ax = axes_by_label(fig.subfigs[0])["histogram"]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0].startswith("inside portrait matte") and labels[1].startswith("outside portrait matte")
    n = [int(t.split("(")[1].split(" ")[0]) for t in labels]
    assert sum(n) == int(np.isfinite(cap.depth).sum()) and min(n) > 1000
    with pytest.raises(InvalidInputError, match="no matte named"):
        capture_figure(cap, histogram_matte="nonsense")


def test_a_label_the_camera_name_already_says_is_not_repeated():
    cap = depthlab.open(data_sample("rear_dual.heic"))
    fig = comparison_figure(cap, depthlab.open(data_sample("front_truedepth.heic")), labels=("rear", "front"))
    titles = [sf.get_suptitle() for sf in fig.subfigs]
    assert not titles[0].startswith("rear · rear") and titles[0].startswith("rear dual")


def test_the_3d_panel_fills_its_box():
    """The cloud panel is as tall as the map beside it (an equal-aspect panel shrunk to a square
    box left most of its space empty)."""
    cap = depthlab.open(data_sample("rear_dual.heic"))
    fig = capture_figure(cap, view="side")
    fig.canvas.draw()
    axes = axes_by_label(fig.subfigs[0])
    cloud, hist = axes["cloud"].get_position(), axes["histogram"].get_position()
    assert cloud.height == pytest.approx(hist.height, rel=0.05) and cloud.width == pytest.approx(hist.width, rel=0.1)
    x0, x1 = axes["cloud"].get_xlim()
    y0, y1 = axes["cloud"].get_ylim()
    ratio = (x1 - x0) / (y1 - y0)  # equal scales: data ratio = box ratio
    box = cloud.width * fig.get_size_inches()[0] / (cloud.height * fig.get_size_inches()[1])
    assert ratio == pytest.approx(box, rel=0.05)
