"""Synthetic refocus (depthlab.refocus): the lens, the focus choice and the layered rendering.

The "must hold" checks run on the generated rear sample with regions taken from its ground
truth (labels per depth pixel, true depth; depthlab.synth.load_truth), so the expectations do
not come from the code under test.  Detail is measured as gradient energy (sum of squared
neighbour differences of luma) inside a region, eroded away from its outline.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import depthlab
from conftest import data_sample, shared_sample
from depthlab import Calibration, CalibrationError, Capture, CameraInfo, InvalidInputError

ndimage = pytest.importorskip("scipy.ndimage")


# --------------------------------------------------------------------------------- helpers


def luma(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    return a[..., 0] * 0.299 + a[..., 1] * 0.587 + a[..., 2] * 0.114


def gradient_energy(img: np.ndarray, mask: np.ndarray) -> float:
    y = luma(img)
    gx, gy = np.diff(y, axis=1), np.diff(y, axis=0)
    mx, my = mask[:, 1:] & mask[:, :-1], mask[1:] & mask[:-1]
    return float((gx[mx] ** 2).sum() + (gy[my] ** 2).sum())


class Rear:
    """The generated rear sample, its truth labels at the photo's size and handy regions."""

    def __init__(self) -> None:
        from depthlab.synth import load_truth

        path = data_sample("rear_dual.heic")
        self.cap = depthlab.open(path)
        self.truth = load_truth(path)
        self.orig = self.cap.rgb
        h, w = self.orig.shape[:2]
        dh, dw = self.truth.labels.shape
        assert (h % dh, w % dw) == (0, 0) and h // dh == w // dw, "colour is a whole multiple of the depth size"
        self.labels = np.kron(self.truth.labels, np.ones((h // dh, w // dw), dtype=self.truth.labels.dtype))
        self.names = self.truth.label_names

    def read(self, true_depth):
        """The depth the file reports (capture units) for a true depth: stored disparity is
        ``a * true disparity + b`` (the sample's relative-accuracy error, from its truth)."""
        return 1.0 / self.truth.stored_disparity(1.0 / np.asarray(true_depth, dtype=np.float64))

    def region(self, *names: str) -> np.ndarray:
        return np.isin(self.labels, [self.names.index(n) for n in names])

    def inner(self, *names: str, px: int = 6) -> np.ndarray:
        return ndimage.binary_erosion(self.region(*names), iterations=px)

    def focus_on(self, name: str) -> float:
        """Median true depth of a labelled surface, in the capture's own (relative) units."""
        true_depth = np.nanmedian(self.truth.depth_m[self.truth.labels == self.names.index(name)])
        return float(self.read(true_depth))

    def kept(self, img: np.ndarray, mask: np.ndarray) -> float:
        return gradient_energy(img, mask) / gradient_energy(self.orig, mask)


@pytest.fixture(scope="module")
def rear() -> Rear:
    return Rear()


@pytest.fixture(scope="module")
def head_f14(rear) -> np.ndarray:
    return depthlab.refocus(rear.cap, focus=rear.focus_on("head"), f_number=1.4)


def toy_capture(rgb: np.ndarray, disparity: np.ndarray, **kw) -> Capture:
    h, w = disparity.shape
    cal = Calibration(intrinsic_matrix=[[w, 0, w / 2], [0, w, h / 2], [0, 0, 1]], reference_size=(w, h))
    return Capture(disparity=disparity.astype(np.float32), calibration=cal, rgb_loader=lambda: rgb,
                   camera=kw.pop("camera", CameraInfo(kind="test", focal_length_35mm=26.0)), **kw)


# --------------------------------------------------------------------------------- the lens


def test_circle_of_confusion_is_the_thin_lens_blur():
    """Independent route: image distances from 1/f = 1/z + 1/v; c = A |v - v_f| / v, A = f/N."""
    from depthlab.imaging._refocus import blur_diameter_mm

    f, n, zf = 26.0, 2.0, 1500.0  # mm
    for z in (400.0, 900.0, 1500.0, 3000.0, 1e7):
        v, vf = 1 / (1 / f - 1 / z), 1 / (1 / f - 1 / zf)
        expected = (f / n) * abs(v - vf) / v
        got = float(blur_diameter_mm(z / 1000.0, zf / 1000.0, n, f))
        assert got == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_blur_grows_linearly_with_disparity_not_depth():
    from depthlab.imaging._refocus import blur_radius_px

    focus = 1.0
    disparities = np.array([0.25, 0.5, 0.75, 1.0, 1.25, 1.5])  # 1/m, equally spaced
    r = blur_radius_px(1 / disparities, focus, 1.4, 26.0, (4032, 3024))
    steps = np.diff(r)
    assert np.allclose(steps, steps[0], rtol=1e-9), "equal disparity steps give equal blur steps"
    assert r[3] == pytest.approx(0.0, abs=1e-12)
    assert (r[:3] < 0).all() and (r[4:] > 0).all(), "negative behind the focus, positive in front"
    # halving the f-number doubles the blur; a wider frame (more pixels) scales it with the diagonal
    assert blur_radius_px(0.5, focus, 0.7, 26.0, (4032, 3024)) == pytest.approx(2 * blur_radius_px(0.5, focus, 1.4, 26.0, (4032, 3024)))
    assert blur_radius_px(0.5, focus, 1.4, 26.0, (2016, 1512)) == pytest.approx(0.5 * blur_radius_px(0.5, focus, 1.4, 26.0, (4032, 3024)))


def test_focal_length_from_exif_else_from_the_calibration():
    from depthlab.imaging._refocus import lens_focal_length_35mm

    d = np.full((30, 40), 1.0)
    rgb = np.zeros((30, 40, 3), np.uint8)
    assert lens_focal_length_35mm(toy_capture(rgb, d))[0] == 26.0
    no_exif = toy_capture(rgb, d, camera=CameraInfo(kind="test"))
    f35, source = lens_focal_length_35mm(no_exif)
    # fx = width -> horizontal field of view 2*atan(0.5) ~ 53 degrees; 35 mm by the diagonal
    assert f35 == pytest.approx(40 * math.hypot(36, 24) / math.hypot(40, 30))
    assert "calibration" in source
    bare = Capture(disparity=d.astype(np.float32), rgb_loader=lambda: rgb)
    with pytest.raises(CalibrationError, match="focal_length_35mm"):
        depthlab.refocus(bare)
    assert depthlab.refocus(bare, focal_length_35mm=26).shape == (30, 40, 3)


# --------------------------------------------------------------------------------- must hold


def test_focused_on_the_head_at_f14_the_head_keeps_its_detail_and_the_wall_loses_it(rear, head_f14):
    head, wall = rear.kept(head_f14, rear.inner("head")), rear.kept(head_f14, rear.inner("wall"))
    assert head >= 0.80, f"head keeps {head:.0%} of its detail"
    assert wall <= 0.50, f"far wall keeps {wall:.0%} of its detail"


def test_f8_blurs_the_wall_visibly_less_than_f14(rear, head_f14):
    f8 = depthlab.refocus(rear.cap, focus=rear.focus_on("head"), f_number=8)
    wall14, wall8 = rear.kept(head_f14, rear.inner("wall")), rear.kept(f8, rear.inner("wall"))
    assert wall8 >= 2 * wall14 and wall8 - wall14 >= 0.25, (wall14, wall8)
    assert rear.kept(f8, rear.inner("head")) >= 0.9


def test_default_focus_lands_on_the_subject(rear):
    img = depthlab.refocus(rear.cap, f_number=1.4)
    person = [rear.names.index(n) for n in ("head", "hair", "neck", "shoulders", "torso")]
    person_depth = rear.read(rear.truth.depth_m[np.isin(rear.truth.labels, person)])
    assert np.nanmin(person_depth) <= img.focus_m <= np.nanmax(person_depth)
    assert abs(img.focus_m - rear.focus_on("head")) < abs(img.focus_m - rear.focus_on("wall"))
    assert "matte" in img.info.focus_source
    head, wall = rear.kept(img, rear.inner("head")), rear.kept(img, rear.inner("wall"))
    assert head > 0.8 and head > 3 * wall, (head, wall)
    # reported in the capture's own units: the rear sample is relative, so not in metres
    assert any(f"{img.focus_m:.3g} capture units" in note for note in img.notes), "the chosen distance is reported"


def test_no_halo_the_blurred_wall_does_not_smear_the_sharp_head_outline(rear, head_f14):
    """Head and hair pixels 2..5 px inside their outline against the wall keep their colour.

    Bound: mean absolute luma change <= 3 levels (measured 1.7 at 1536x1152; the depth map
    is a quarter of the pixels with soft edges, so the first pixel or two are left out).  The
    same band under a plain disc blur of the photo at the wall's blur radius changes by ~16
    levels (checked below, so the bound can tell a halo from none).
    """
    from depthlab.imaging._refocus import blur_radius_px, disc_kernel

    wall = rear.region("wall")
    dist = ndimage.distance_transform_edt(~wall)
    band = rear.region("head", "hair") & (dist >= 2) & (dist <= 5)
    assert band.sum() > 1000
    change = np.abs(luma(head_f14) - luma(rear.orig))[band].mean()
    assert change <= 3.0, f"head outline changed by {change:.1f} levels on average"

    h, w = rear.orig.shape[:2]
    r_wall = abs(float(blur_radius_px(rear.focus_on("wall"), rear.focus_on("head"), 1.4, 26.0, (w, h))))
    assert r_wall > 4
    k = disc_kernel(r_wall)
    plain = np.stack([ndimage.correlate(rear.orig[..., c].astype(np.float32), k, mode="nearest") for c in range(3)], -1)
    halo = np.abs(luma(plain) - luma(rear.orig))[band].mean()
    assert halo >= 3 * change and halo >= 8, (halo, change)


def test_a_blurred_foreground_covers_what_is_behind_it(rear):
    """Focused on the wall: the face's blur spreads over the wall beside it (skin colour on the
    grey wall), while the wall away from the figure stays sharp."""
    img = depthlab.refocus(rear.cap, focus=rear.focus_on("wall"), f_number=1.4)
    wall = rear.region("wall")
    dist_head = ndimage.distance_transform_edt(~rear.region("head"))
    dist_person = ndimage.distance_transform_edt(~rear.region("head", "hair", "neck", "shoulders", "torso"))
    beside = wall & (dist_head >= 1) & (dist_head <= 4) & (dist_person >= 1)
    assert beside.sum() > 200

    def warmth(a: np.ndarray) -> float:  # red minus blue: skin is warm, the wall grey
        a = np.asarray(a, dtype=np.float64)
        return float((a[..., 0] - a[..., 2])[beside].mean())

    skin = float(np.mean(rear.orig[rear.inner("head", px=3)][:, 0].astype(float) - rear.orig[rear.inner("head", px=3)][:, 2]))
    before, after = warmth(rear.orig), warmth(img)
    assert after - before >= 0.1 * (skin - before), (before, after, skin)
    far_wall = wall & (dist_person >= 60) & rear.inner("wall")
    assert rear.kept(img, far_wall) >= 0.8
    assert rear.kept(img, rear.inner("head")) <= 0.5


# --------------------------------------------------------------------------------- the result


def test_the_result_is_a_uint8_image_that_says_how_it_was_made(rear, head_f14):
    from PIL import Image

    img = head_f14
    assert isinstance(img, np.ndarray) and img.dtype == np.uint8 and img.shape == rear.orig.shape
    assert img.focus_m == pytest.approx(rear.focus_on("head")) and img.info.f_number == 1.4
    assert img.info.focal_length_35mm == 26.0 and "EXIF" in img.info.focal_length_source
    assert type(np.asarray(img)) is np.ndarray
    assert type(img.astype(np.float32) * 2) is np.ndarray, "arithmetic gives plain arrays"
    assert img[10:20].focus_m == img.focus_m, "a crop is still the same rendering"
    assert isinstance(img.mean(), float)
    assert Image.fromarray(img).size == (rear.orig.shape[1], rear.orig.shape[0])
    small = depthlab.refocus(rear.cap, focus=img.focus_m, f_number=1.4, size=(384, 288))
    assert small.shape == (288, 384, 3) and small.info.size == (384, 288)
    # the blur is the same fraction of the frame at any size
    assert small.info.max_blur_radius_px == pytest.approx(img.info.max_blur_radius_px / 4, rel=1e-6)


def test_relative_accuracy_is_rendered_in_the_captures_units_and_says_so(rear, head_f14):
    assert rear.cap.accuracy == "relative"
    assert "relative" in head_f14.info.units
    assert any("relative" in n and "units" in n for n in head_f14.notes)
    # relative depth is affine in the truth (a·true + b), not a scaled copy: the note does not reassure
    assert any("a·(true disparity) + b" in n and "approximation" in n for n in head_f14.notes)
    assert not any("scaled copy" in n or "look is right" in n for n in head_f14.notes)
    front = depthlab.open(data_sample("front_truedepth.heic"))
    img = depthlab.refocus(front, f_number=2)
    assert front.accuracy == "absolute" and img.info.units == "m"
    assert not any("relative" in n for n in img.notes)
    # a blur under one pixel is said, with its size
    small = depthlab.refocus(front, f_number=64, focus=0.5)
    assert small.info.max_blur_radius_px < 1 and any(f"{small.info.max_blur_radius_px:.2f} px radius, under a pixel" in n for n in small.notes)


def test_focus_without_a_matte_is_the_nearest_large_region_near_the_centre():
    h, w = 120, 160
    d = np.full((h, w), 0.25)  # background 4 m
    d[40:80, 50:110] = 1.0  # a box 1 m away, a quarter of the central half
    d[5:9, 5:9] = 5.0  # a small, near speck at the corner: not the subject
    d[60:62, 80:82] = 2.0  # a tiny near speck in the centre: too small
    rgb = np.random.default_rng(0).integers(0, 255, (h * 2, w * 2, 3), dtype=np.uint8)
    cap = toy_capture(rgb, d)
    img = depthlab.refocus(cap, f_number=2)
    assert img.focus_m == pytest.approx(1.0, rel=0.03)
    assert "centre" in img.info.focus_source
    box = np.zeros((h * 2, w * 2), bool)
    box[84:156, 104:216] = True
    assert gradient_energy(img, box) / gradient_energy(rgb, box) > 0.8


def test_unknown_depth_takes_the_nearest_known_value():
    h, w = 60, 80
    d = np.full((h, w), 0.5)
    d[:, 40:] = np.nan
    rgb = np.random.default_rng(1).integers(0, 255, (h, w, 3), dtype=np.uint8)
    img = depthlab.refocus(toy_capture(rgb, d), focus=2.0, f_number=4)
    assert np.array_equal(img, rgb), "everything is at the focus distance once the hole is filled"
    with pytest.raises(InvalidInputError, match="no valid"):
        depthlab.refocus(toy_capture(rgb, np.full((h, w), np.nan)))


# --------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("kw, match", [
    ({"focus": 0}, "focus"), ({"focus": -1.5}, "focus"), ({"focus": float("nan")}, "focus"),
    ({"focus": "near"}, "focus"), ({"focus": 0.01}, "focal length"),
    ({"f_number": 0}, "f_number"), ({"f_number": -2.8}, "f_number"), ({"f_number": float("inf")}, "f_number"),
    ({"focal_length_35mm": 0}, "focal_length_35mm"), ({"size": (0, 10)}, "size"), ({"size": "big"}, "size"),
])
def test_bad_input_is_a_clear_error(rear, kw, match):
    with pytest.raises(InvalidInputError, match=match):
        depthlab.refocus(rear.cap, **kw)


def test_a_capture_without_colour_is_refused_with_a_reason():
    cap = Capture(disparity=np.full((10, 10), 1.0, np.float32), camera=CameraInfo(focal_length_35mm=26.0))
    with pytest.raises(InvalidInputError, match="no colour image"):
        depthlab.refocus(cap, focus=1.0)
    assert issubclass(InvalidInputError, depthlab.DepthlabError)


# --------------------------------------------------------------------------------- real photo


def test_pug_full_size_default_focus_is_near_and_sharp():
    cap = depthlab.open(shared_sample("iphone/rear_dual_pug.heic"))
    img = depthlab.refocus(cap, f_number=1.4)
    assert img.shape == (3024, 4032, 3) and img.dtype == np.uint8
    lo, hi = cap.depth_range()
    # the pug sits near the centre, nearer than the wall behind it
    assert lo < img.focus_m < (lo + hi) / 2
    assert "centre" in img.info.focus_source


# --------------------------------------------------------------------------------- live control


def test_the_live_control_moves_focus_and_aperture(rear):
    pytest.importorskip("ipywidgets")
    from PIL import Image
    import io

    view = depthlab.refocus_view(rear.cap, width=768)
    assert view.size == (768, 576)
    assert view.focus.value == pytest.approx(view.refocuser.subject().focus_m, rel=0.01), "starts on the subject"
    assert "capture units" in view.focus.description and "relative" in view.note.value
    shown = np.asarray(Image.open(io.BytesIO(view.image.value)))
    assert shown.shape == (576, 768, 3)
    assert view.f_number.value == 1.4 and view.last.info.f_number == 1.4  # starts at the portrait look

    # f-number slider: the wall at f/16 keeps more of its detail than at f/1.4 (same focus)
    small_wall = ndimage.binary_erosion(rear.region("wall")[::2, ::2], iterations=4)
    orig_small = rear.cap.rgb_at(768, 576)
    view.set(focus=rear.focus_on("head"), f_number=1.4)
    wide = gradient_energy(view.last, small_wall) / gradient_energy(orig_small, small_wall)
    view.f_number.value = 16.0  # as a user drags it (no event loop here: drawn at once)
    assert view.last.info.f_number == 16.0
    narrow = gradient_energy(view.last, small_wall) / gradient_energy(orig_small, small_wall)
    assert narrow > 2 * wide, (wide, narrow)

    # focus slider in metres; focus_at picks the distance at a preview pixel
    view.focus.value = rear.focus_on("wall")
    assert view.last.focus_m == pytest.approx(rear.focus_on("wall"), rel=0.01)
    head_rows, head_cols = np.nonzero(rear.inner("head")[::2, ::2])
    z = view.focus_at(float(np.median(head_cols)), float(np.median(head_rows)))
    assert z == pytest.approx(rear.focus_on("head"), rel=0.05)
    assert f"{view.last.focus_m:.3g}" in view.status.value and "ms" in view.status.value
    with pytest.raises(InvalidInputError):
        view.set(focus=-1)
    with pytest.raises(InvalidInputError):
        view.focus_at(5000, 10)
    view.subject_button.click()
    assert view.last.focus_m == pytest.approx(view.refocuser.subject().focus_m, rel=0.01)


def test_save_writes_atomically_and_never_overwrites_unasked(tmp_path):
    from PIL import Image

    from depthlab import OverwriteError

    rgb = np.random.default_rng(2).integers(0, 255, (40, 60, 3), dtype=np.uint8)
    img = depthlab.refocus(toy_capture(rgb, np.full((20, 30), 0.5)), focus=2.0, f_number=2)
    out = img.save(tmp_path / "a.jpg")
    back = Image.open(out)
    assert back.size == (60, 40) and b"focus 2 m, f/2" in back.info.get("comment", b"")
    with pytest.raises(OverwriteError):
        img.save(out)
    img.save(tmp_path / "a.png")
    assert np.array_equal(np.asarray(Image.open(tmp_path / "a.png")), img)
    img.save(out, overwrite=True)
    with pytest.raises(InvalidInputError, match="unknown image type"):
        img.save(tmp_path / "a.bmpx")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.jpg", "a.png"], "no temporary files left"


@pytest.mark.parametrize("size", ["depth", "colour"])
def test_refocus_works_on_refined_captures(rear, size):
    refined = depthlab.refine(rear.cap, size=size)
    img = depthlab.refocus(refined, focus=rear.focus_on("head"), f_number=1.4)
    assert img.shape == rear.orig.shape and "relative" in img.info.units
    assert rear.kept(img, rear.inner("head")) >= 0.8 and rear.kept(img, rear.inner("wall")) <= 0.5
    dist = ndimage.distance_transform_edt(~rear.region("wall"))
    band = rear.region("head", "hair") & (dist >= 2) & (dist <= 5)
    assert np.abs(luma(img) - luma(rear.orig))[band].mean() <= 3.0


# --------------------------------------------------------------------------------- command line


def test_cli_refocus_writes_once_says_where_it_focused_and_refuses_to_overwrite(rear, tmp_path, capsys):
    from PIL import Image

    from depthlab.cli import main

    out = tmp_path / "out.jpg"
    src = str(data_sample("rear_dual.heic"))
    assert main(["refocus", src, "-o", str(out), "--f-number", "1.4", "-j", "1"]) == 0
    said = capsys.readouterr().out
    assert "focus 1.1" in said and "portrait matte" in said and "f/1.4" in said, said
    img = np.asarray(Image.open(out))
    assert img.shape == rear.orig.shape
    assert rear.kept(img, rear.inner("wall")) <= 0.5 and rear.kept(img, rear.inner("head")) >= 0.7  # JPEG costs a little
    before = out.read_bytes()
    assert main(["refocus", src, "-o", str(out), "--focus", "3", "-j", "1"]) == 1
    assert "already exists" in capsys.readouterr().err and out.read_bytes() == before
    assert main(["refocus", src, "-o", str(out), "--focus", "3", "-j", "1", "--force"]) == 0
    assert out.read_bytes() != before and "focus 3 capture units" in capsys.readouterr().out
    for bad in (["--focus", "0"], ["--focus", "-2"], ["--f-number", "0"], ["--f-number", "x"]):
        with pytest.raises(SystemExit) as exc:
            main(["refocus", src, "-o", str(tmp_path / "b.jpg"), *bad])
        assert exc.value.code == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jpg"]


def test_focus_background_and_subject_are_named_targets(rear):
    sub = depthlab.refocus(rear.cap, focus="subject", size=(384, 288))
    dflt = depthlab.refocus(rear.cap, size=(384, 288))
    back = depthlab.refocus(rear.cap, focus="background", size=(384, 288))
    assert sub.focus_m == dflt.focus_m and np.array_equal(sub, dflt)
    # the background is the farthest large region: beyond the subject, within the map's range
    lo, hi = rear.cap.depth_range()
    assert sub.focus_m < back.focus_m <= hi
    assert any("farthest large region" in n for n in back.notes)
    with pytest.raises(InvalidInputError, match=r"focus must be a number"):
        depthlab.refocus(rear.cap, focus="wall")


def test_refocus_figure_titles_are_legible_at_notebook_size(rear):
    """Shown in a notebook (at most ~900 px wide), each panel's title is at least 11 px tall."""
    from depthlab.figures.lessons import refocus_figure

    fig = refocus_figure(rear.cap, settings=[{"f_number": 1.4}, {"f_number": 4}, {"f_number": 16}])
    shown_px_per_inch = min(900.0, fig.get_figwidth() * fig.dpi) / fig.get_figwidth()
    for ax in fig.axes:
        assert ax.title.get_fontsize() / 72 * shown_px_per_inch >= 11, ax.title.get_text()


def test_a_focus_outside_the_photos_depth_says_nothing_is_sharp():
    """refocus(pug, focus=0.05) blurred everything by up to 1084 px with no word that 0.05 lies
    nearer than anything in the photo (0.228-0.668 in its units); a focus inside says nothing."""
    pug = depthlab.open(shared_sample("iphone/rear_dual_pug.heic"))
    for focus in (0.05, 50.0):
        notes = depthlab.refocus(pug, focus=focus, f_number=1.4, size=(400, 300)).notes
        assert any("outside this photo's depth (0.228–0.668 capture units)" in n and "nothing in it is sharp" in n
                   for n in notes), notes
    inside = depthlab.refocus(pug, focus=0.4, f_number=1.4, size=(400, 300)).notes
    assert not any("outside this photo's depth" in n for n in inside)
