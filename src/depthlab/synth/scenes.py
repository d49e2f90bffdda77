"""Scenes with known geometry, and the ray casting that renders them.

Convention: camera frame x right, y down, z forward, metres (OpenCV); the camera sits at the
origin looking along +z.  Rays are given as directions ``(x/z, y/z, 1)``, so the ray parameter
``t`` of a hit *is* its depth ``z`` (metric depth along the optical axis, not range).

Each primitive carries a ``label`` (what it is: "head", "wall"...), an albedo and a texture
name; :func:`cast` returns per ray the nearest hit's depth, label index, unit normal and albedo.
Primitives are axis-aligned ellipsoids (spheres are ellipsoids with equal radii) and infinite
planes; that is enough for a head-and-shoulders figure before a wall, a ball on a floor and a
tilted plane, all with closed-form ground truth.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import InvalidInputError


@dataclass(frozen=True)
class Ellipsoid:
    """Axis-aligned ellipsoid (a sphere when the three radii are equal), metres, camera frame."""

    label: str
    centre: tuple[float, float, float]
    radii: tuple[float, float, float]
    albedo: tuple[float, float, float]
    texture: str | None = None  # "face", "stripes", "ball", "hair"

    @property
    def is_sphere(self) -> bool:
        return self.radii[0] == self.radii[1] == self.radii[2]

    def to_dict(self) -> dict[str, Any]:
        kind = "sphere" if self.is_sphere else "ellipsoid"
        d: dict[str, Any] = {"kind": kind, "label": self.label, "centre_m": list(self.centre)}
        if self.is_sphere:
            d["radius_m"] = self.radii[0]
        else:
            d["radii_m"] = list(self.radii)
        return d


@dataclass(frozen=True)
class Plane:
    """Infinite plane through ``point`` with unit ``normal`` (facing the camera), metres."""

    label: str
    point: tuple[float, float, float]
    normal: tuple[float, float, float]
    albedo: tuple[float, float, float]
    texture: str | None = None  # "checker", "boards", "noise" (a random pattern at scales tile_m and below)
    tile_m: float = 0.25

    def __post_init__(self) -> None:
        n = np.asarray(self.normal, dtype=np.float64)
        length = float(np.linalg.norm(n))
        if not np.isfinite(length) or length == 0:
            raise InvalidInputError(f"plane normal must be a non-zero finite vector, got {self.normal}")
        object.__setattr__(self, "normal", tuple(float(v) for v in n / length))

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "plane", "label": self.label, "point_m": list(self.point), "normal": list(self.normal)}


Primitive = Ellipsoid | Plane


@dataclass(frozen=True)
class Scene:
    """A named set of primitives; ``person`` lists the labels a portrait matte covers."""

    name: str
    primitives: tuple[Primitive, ...]
    person: tuple[str, ...] = ()
    light: tuple[float, float, float] = (-0.45, -0.6, -0.66)  # direction *towards* the light
    description: str = ""

    @property
    def labels(self) -> list[str]:
        """Label names by index; index 0 is "none" (the ray hit nothing)."""
        return ["none"] + [p.label for p in self.primitives]

    def primitive(self, label: str) -> Primitive:
        for p in self.primitives:
            if p.label == label:
                return p
        raise KeyError(label)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "frame": "camera frame of the capture as displayed: x right, y down, z forward, metres",
            "primitives": [p.to_dict() for p in self.primitives],
            "person_labels": list(self.person),
            "label_names": self.labels,
        }


@dataclass
class Hits:
    """What each ray hit: ``depth`` (z, metres; NaN for no hit), ``label`` (index into
    :attr:`Scene.labels`), unit ``normal`` and the surface ``albedo`` (0..1, texture applied)."""

    depth: np.ndarray
    label: np.ndarray
    normal: np.ndarray
    albedo: np.ndarray
    points: np.ndarray = field(repr=False)


def _candidates(e: Ellipsoid, d: np.ndarray) -> np.ndarray | None:
    """Indices of rays that can meet the ellipsoid (its bounding box seen from the origin),
    or None when the box reaches behind the camera (then every ray is tried)."""
    c, r = np.asarray(e.centre), np.asarray(e.radii)
    z0, z1 = c[2] - r[2], c[2] + r[2]
    if z0 <= 0:
        return None
    sel = np.ones(d.shape[0], dtype=bool)
    for axis in (0, 1):
        lo, hi = c[axis] - r[axis], c[axis] + r[axis]
        bounds = (lo / z0, lo / z1, hi / z0, hi / z1)
        sel &= (d[:, axis] >= min(bounds)) & (d[:, axis] <= max(bounds))
    return np.flatnonzero(sel)


def _hit_ellipsoid(e: Ellipsoid, d: np.ndarray) -> np.ndarray:
    idx = _candidates(e, d)
    if idx is not None:
        t = np.full(d.shape[0], np.inf)
        if idx.size:
            t[idx] = _hit_ellipsoid_all(e, d[idx])
        return t
    return _hit_ellipsoid_all(e, d)


def _hit_ellipsoid_all(e: Ellipsoid, d: np.ndarray) -> np.ndarray:
    c = np.asarray(e.centre) / np.asarray(e.radii)
    q = d / np.asarray(e.radii)
    a = np.einsum("ij,ij->i", q, q)
    b = q @ c
    cc = float(c @ c) - 1.0
    disc = b * b - a * cc
    t = np.full(d.shape[0], np.inf)
    ok = disc >= 0
    root = np.sqrt(np.where(ok, disc, 0.0))
    t1 = (b - root) / a
    t2 = (b + root) / a
    near = np.where(t1 > 0, t1, t2)
    t[ok & (near > 0)] = near[ok & (near > 0)]
    return t


def _hit_plane(p: Plane, d: np.ndarray) -> np.ndarray:
    n = np.asarray(p.normal)
    denom = d @ n
    with np.errstate(divide="ignore", invalid="ignore"):
        t = float(n @ np.asarray(p.point)) / denom
    t[~(t > 0) | ~np.isfinite(t)] = np.inf
    return t


def _lattice(i: np.ndarray, j: np.ndarray, octave: int) -> np.ndarray:
    """A fixed pseudo-random value in 0..1 per integer lattice point (an integer hash)."""
    h = (i.astype(np.int64) * 73856093) ^ (j.astype(np.int64) * 19349663) ^ (octave * 83492791)
    h = (h ^ (h >> 13)) * 1274126177
    return ((h ^ (h >> 16)) & 0xFFFF).astype(np.float64) / 65535.0


def value_noise(u: np.ndarray, v: np.ndarray, octaves: int = 5) -> np.ndarray:
    """0..1 value noise of plane coordinates (u, v): bilinear lattice values at cell sizes 1,
    1/2, 1/4... (weights halving), the same at the same (u, v) whoever looks."""
    out = np.zeros(np.shape(u))
    total = 0.0
    for o in range(octaves):
        s, w = 2.0 ** o, 0.5 ** (o * 0.6)
        x, y = np.asarray(u) * s, np.asarray(v) * s
        i, j = np.floor(x), np.floor(y)
        fx, fy = x - i, y - j
        top = _lattice(i, j, o) * (1 - fx) + _lattice(i + 1, j, o) * fx
        bottom = _lattice(i, j + 1, o) * (1 - fx) + _lattice(i + 1, j + 1, o) * fx
        out += w * (top * (1 - fy) + bottom * fy)
        total += w
    return out / total


def _texture(prim: Primitive, pts: np.ndarray, normal: np.ndarray) -> np.ndarray:
    base = np.broadcast_to(np.asarray(prim.albedo, dtype=np.float64), pts.shape).copy()
    tex = prim.texture
    if tex is None:
        return base
    if isinstance(prim, Plane):
        n = np.asarray(prim.normal)
        a = np.cross(n, [0.0, 0.0, 1.0] if abs(n[2]) < 0.9 else [0.0, 1.0, 0.0])
        a /= np.linalg.norm(a)
        b = np.cross(n, a)
        rel = pts - np.asarray(prim.point)
        u, v = rel @ a / prim.tile_m, rel @ b / prim.tile_m
        if tex == "checker":
            odd = (np.floor(u) + np.floor(v)) % 2 == 1
            base[odd] *= 0.72
        elif tex == "noise":  # fixed on the plane, so every camera sees the same surface
            base *= (0.45 + 0.9 * value_noise(u, v))[:, None]
        elif tex == "boards":
            stripe = np.floor(u * 2) % 2 == 1
            base[stripe] *= 0.82
            grain = 0.04 * np.sin(v * 9.0 + np.floor(u * 2) * 1.7)
            base *= (1.0 + grain)[:, None]
        return base
    # ellipsoids: local unit-sphere coordinates
    loc = (pts - np.asarray(prim.centre)) / np.asarray(prim.radii)
    if tex == "stripes":
        stripe = np.floor((pts[:, 1] - prim.centre[1]) / 0.04) % 2 == 1
        base[stripe] *= 0.7
    elif tex == "ball":
        ang = np.arctan2(loc[:, 0], loc[:, 2])
        seg = np.floor((ang + np.pi) / (np.pi / 3)).astype(int) % 3
        colours = np.array([[0.85, 0.2, 0.15], [0.95, 0.85, 0.2], [0.15, 0.35, 0.85]])
        base = colours[seg]
    elif tex == "face":
        x, y = loc[:, 0], loc[:, 1]
        front = loc[:, 2] < -0.3
        for ex in (-0.38, 0.38):  # eyes
            eye = front & (((x - ex) / 0.13) ** 2 + ((y + 0.12) / 0.08) ** 2 < 1)
            base[eye] = (0.12, 0.09, 0.08)
        mouth = front & (np.abs(x) < 0.3) & (np.abs(y - 0.42) < 0.05)
        base[mouth] = (0.6, 0.2, 0.2)
        nose = front & (((x) / 0.09) ** 2 + ((y - 0.12) / 0.18) ** 2 < 1)
        base[nose] *= 0.9
    elif tex == "hair":
        base *= (1.0 + 0.15 * np.sin(loc[:, 0] * 40.0))[:, None]
    return base


def cast(scene: Scene, directions: np.ndarray) -> Hits:
    """Intersect rays ``t * d`` (``d`` (N, 3) with d_z = 1) with the scene; nearest hit wins.

    Convention: camera frame x right, y down, z forward, metres; ``depth`` is z of the hit.
    """
    d = np.asarray(directions, dtype=np.float64).reshape(-1, 3)
    best = np.full(d.shape[0], np.inf)
    label = np.zeros(d.shape[0], dtype=np.uint8)
    for i, prim in enumerate(scene.primitives, start=1):
        t = _hit_ellipsoid(prim, d) if isinstance(prim, Ellipsoid) else _hit_plane(prim, d)
        closer = t < best
        best[closer] = t[closer]
        label[closer] = i
    hit = np.isfinite(best)
    pts = d * np.where(hit, best, 0.0)[:, None]
    normal = np.zeros_like(d)
    albedo = np.zeros_like(d)
    for i, prim in enumerate(scene.primitives, start=1):
        sel = label == i
        if not sel.any():
            continue
        p = pts[sel]
        if isinstance(prim, Ellipsoid):
            n = (p - np.asarray(prim.centre)) / np.square(np.asarray(prim.radii))
            n /= np.linalg.norm(n, axis=1, keepdims=True)
        else:
            n = np.broadcast_to(np.asarray(prim.normal), p.shape)
        normal[sel] = n
        albedo[sel] = _texture(prim, p, n)
    depth = np.where(hit, best, np.nan)
    return Hits(depth=depth, label=label, normal=normal, albedo=albedo, points=pts)


# --------------------------------------------------------------------------------------------
# the scenes we ship
# --------------------------------------------------------------------------------------------

SKIN = (0.86, 0.66, 0.53)
HAIR = (0.09, 0.07, 0.06)


def portrait_scene() -> Scene:
    """A head-and-shoulders figure about 1.1 m away before a slightly turned wall at ~2.6 m,
    on a wooden floor, with a striped ball (a sphere of known radius) to the right.
    Made for the rear dual camera (26 mm-equivalent, landscape)."""
    return Scene(
        name="portrait",
        description="head-and-shoulders figure (ellipsoids) 1.1 m away, ball (sphere r=0.15 m) on a "
                    "floor plane, textured wall plane turned 12 degrees about the vertical axis",
        primitives=(
            Ellipsoid("head", (0.0, -0.13, 1.10), (0.08, 0.105, 0.09), SKIN, "face"),
            Ellipsoid("hair", (0.0, -0.17, 1.125), (0.087, 0.09, 0.09), HAIR, "hair"),
            Ellipsoid("neck", (0.0, 0.02, 1.13), (0.042, 0.1, 0.042), SKIN),
            Ellipsoid("shoulders", (0.0, 0.27, 1.18), (0.30, 0.16, 0.13), (0.2, 0.45, 0.7), "stripes"),
            Ellipsoid("torso", (0.0, 0.55, 1.20), (0.24, 0.32, 0.14), (0.2, 0.45, 0.7), "stripes"),
            Ellipsoid("ball", (0.55, 0.65, 1.95), (0.15, 0.15, 0.15), (1.0, 1.0, 1.0), "ball"),
            Plane("floor", (0.0, 0.80, 0.0), (0.0, -1.0, 0.0), (0.62, 0.45, 0.3), "boards", 0.5),
            Plane("wall", (0.0, 0.0, 2.60), (0.2126, 0.0, -1.0), (0.85, 0.83, 0.78), "checker", 0.3),
        ),
        person=("head", "hair", "neck", "shoulders", "torso"),
    )


def selfie_scene() -> Scene:
    """A selfie for the front TrueDepth camera: a spherical head (r = 0.09 m, centre 0.45 m away)
    with dark hair, neck and shoulders, before a wall plane tilted about two axes (~0.75 m)."""
    return Scene(
        name="selfie",
        description="head = sphere r=0.09 m centred 0.45 m away, dark hair cap (ellipsoid), shoulders, "
                    "wall plane tilted ~17 degrees left-right and ~9 degrees up-down at ~0.75 m",
        primitives=(
            Ellipsoid("head", (0.0, -0.02, 0.45), (0.09, 0.09, 0.09), SKIN, "face"),
            Ellipsoid("hair", (0.0, -0.055, 0.47), (0.095, 0.085, 0.09), HAIR, "hair"),
            Ellipsoid("neck", (0.0, 0.10, 0.47), (0.045, 0.06, 0.045), SKIN),
            Ellipsoid("torso", (0.0, 0.27, 0.53), (0.21, 0.12, 0.1), (0.55, 0.25, 0.3), "stripes"),
            Plane("wall", (0.0, 0.0, 0.75), (0.3, -0.15, -1.0), (0.8, 0.85, 0.8), "checker", 0.08),
        ),
        person=("head", "hair", "neck", "torso"),
        light=(-0.3, -0.5, -0.8),
    )
