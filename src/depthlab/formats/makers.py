"""What each maker's cameras need for a photo to keep its depth: the one owner of the advice a
:class:`~depthlab.errors.NoDepthError` gives, and of naming the camera in messages.

A photo without depth is told what *its own* maker's phone needs, from the EXIF make and model:

* Apple (iPhone): Portrait-mode originals, exported as originals (AirDrop 'All Photos Data',
  Image Capture, 'Export Unmodified Original');
* Google (Pixel): Portrait mode, and the original ``PXL_…PORTRAIT.jpg`` copied off the phone
  (Pixels write Dynamic Depth);
* Samsung: Live Focus photos keep depth in Samsung's own SEF trailer, which depthlab names but
  does not read;
* Intel (RealSense): the camera's original XDM file;
* other Android makers: portrait photos saved with Google's Dynamic Depth;
* a camera that is not a phone, or no make at all: what each kind of phone needs (HEIC files
  with no make get the iPhone's advice: Apple is the maker that writes depth into HEIC).

>>> maker_of("Google", "Pixel 3")
'google'
>>> camera_name("samsung", "SM-G973F"), camera_name("Apple", "Apple iPhone 14")
('samsung SM-G973F', 'Apple iPhone 14')
>>> with_article("8x8 JPEG"), with_article("16x12 JPEG"), with_article("11x4 photo")
('an 8x8 JPEG', 'a 16x12 JPEG', 'an 11x4 photo')
"""

from __future__ import annotations

import re

APPLE_ADVICE = (
    "Depth survives only in unmodified originals: portrait-mode photos exported from the phone "
    "as originals (AirDrop 'All Photos Data', Image Capture, or 'Export Unmodified Original'); "
    "edited, shared or converted copies lose it."
)
PIXEL_ADVICE = (
    "A Pixel keeps depth only in photos taken in Portrait mode, in the original file (named like "
    "PXL_…PORTRAIT.jpg) copied off the phone over USB or downloaded as the original; edited, shared "
    "or converted copies lose it."
)
SAMSUNG_ADVICE = (
    "Samsung phones keep Live Focus depth in a Samsung-only trailer (SEF) at the end of the original "
    "JPEG, which depthlab names but does not read yet; photos from other modes hold no depth."
)
INTEL_ADVICE = "Only the camera's unmodified original XDM file keeps its depth; edited or converted copies lose it."
ANDROID_ADVICE = (
    "Android phones keep depth in portrait (bokeh) photos saved with Google's Dynamic Depth format, in "
    "the original file; edited, shared or converted copies lose it, and not every phone writes it."
)
CAMERA_ADVICE = (
    "depthlab reads the depth maps phones store in portrait photos (iPhone, Pixel, Android Dynamic "
    "Depth, Intel RealSense XDM); a camera that stores none gives no depth."
)
ANY_ADVICE = (
    "Depth survives only in unmodified portrait-mode originals: from an iPhone, exported as originals "
    "(AirDrop 'All Photos Data', Image Capture, or 'Export Unmodified Original'); from a Pixel, the "
    "original PXL_…PORTRAIT.jpg; from other Android phones, photos saved with Google's Dynamic Depth. "
    "Edited, shared or converted copies lose it."
)

#: EXIF makes of Android phone makers other than Google and Samsung (lower case)
ANDROID_MAKES = ("xiaomi", "redmi", "poco", "huawei", "honor", "oneplus", "oppo", "vivo", "realme", "motorola",
                 "lenovo", "sony", "lge", "lg electronics", "hmd global", "nokia", "asus", "zte", "nothing",
                 "fairphone", "tcl", "alcatel", "meizu", "sharp", "htc", "essential", "tecno", "infinix")
#: EXIF makes of cameras that are not phones (lower case prefixes)
CAMERA_MAKES = ("canon", "nikon", "fujifilm", "olympus", "om digital", "panasonic", "pentax", "ricoh", "leica",
                "hasselblad", "sigma", "gopro", "dji", "eastman kodak", "kodak", "minolta", "konica")


def maker_of(make: str | None, model: str | None = None) -> str:
    """'apple', 'google', 'samsung', 'intel', 'android', 'camera' or 'unknown' from EXIF make/model."""
    m = (make or "").strip().lower()
    mo = (model or "").strip().lower()
    if m.startswith("apple") or mo.startswith("iphone"):
        return "apple"
    if m == "google" or mo.startswith("pixel"):
        return "google"
    if m.startswith("samsung"):
        return "samsung"
    if m.startswith("intel"):
        return "intel"
    if m.startswith(ANDROID_MAKES):
        return "android"
    if m.startswith(CAMERA_MAKES):
        return "camera"
    return "unknown"


def camera_name(make: str | None, model: str | None) -> str:
    """'Make Model' for messages, without repeating a make the model already starts with."""
    make, model = (make or "").strip(), (model or "").strip()
    if make and model.lower().startswith(make.lower()):
        return model
    return " ".join(p for p in (make, model) if p)


def no_depth_advice(make: str | None, model: str | None = None, *, container: str = "JPEG") -> str:
    """What the photo's own maker's camera needs for a photo to keep its depth (see the module
    docstring); ``container`` "HEIC" gives the iPhone's advice when the make is unknown.

    >>> "AirDrop" in no_depth_advice("Google", "Pixel 3")
    False
    """
    kind = maker_of(make, model)
    if kind == "unknown" and container.upper() == "HEIC":
        kind = "apple"
    return {"apple": APPLE_ADVICE, "google": PIXEL_ADVICE, "samsung": SAMSUNG_ADVICE, "intel": INTEL_ADVICE,
            "android": ANDROID_ADVICE, "camera": CAMERA_ADVICE}.get(kind, ANY_ADVICE)


_AN_NUMBER = re.compile(r"(\d+)")


def with_article(phrase: str) -> str:
    """``phrase`` with "a" or "an" as it is spoken ("an 8x8 JPEG", "an 11x4 photo", "a 16x12 JPEG")."""
    m = _AN_NUMBER.match(phrase)
    if m:
        n = int(m.group(1))
        while n >= 1000:
            n //= 1000  # the leading group is what is spoken first ("eighteen thousand")
        vowel = str(n).startswith("8") or n in (11, 18)
    else:
        vowel = phrase[:1].lower() in "aeio"
    return ("an " if vowel else "a ") + phrase


__all__ = ["maker_of", "camera_name", "no_depth_advice", "with_article", "APPLE_ADVICE", "PIXEL_ADVICE",
           "SAMSUNG_ADVICE", "INTEL_ADVICE", "ANDROID_ADVICE", "CAMERA_ADVICE", "ANY_ADVICE"]
