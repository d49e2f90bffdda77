"""A readable summary of a Capture: what ``depthlab info`` prints (``--json``: ``Capture.summary()``)."""

from __future__ import annotations

from ..capture import Capture, accuracy_label


def _fmt_range(r, unit: str, digits: int = 3) -> str:
    if r is None:
        return "no valid values"
    return f"{r[0]:.{digits}g} – {r[1]:.{digits}g} {unit}"


def format_summary(cap: Capture) -> str:
    """Several aligned lines for people; every number says its unit.

    >>> import depthlab
    >>> from depthlab.cli.info import format_summary
    >>> print(format_summary(depthlab.open("data/sample/front_truedepth.heic")).splitlines()[0])
    front_truedepth.heic  (HEIC (Apple portrait))
    """
    s = cap.summary()
    cam = cap.camera
    lines = [f"{cap.path.name if cap.path else 'capture'}  ({cap.format or 'unknown format'})"]
    who = " ".join(v for v in (cam.make, cam.model) if v) or "unknown"
    lines.append(f"  camera       {cam.kind} — {who}" + (f", {cam.lens_model}" if cam.lens_model else ""))
    if cam.focal_length_mm or cam.focal_length_35mm:
        parts = []
        if cam.focal_length_mm:
            parts.append(f"{cam.focal_length_mm:g} mm")
        if cam.focal_length_35mm:
            parts.append(f"{cam.focal_length_35mm:g} mm (35 mm equivalent)")
        lines.append(f"  focal length {', '.join(parts)}")
    w, h = cap.size
    colour = f"{cap.rgb_size[0]}x{cap.rgb_size[1]}" if cap.rgb_size else "none"
    lines.append(f"  sizes        depth {w}x{h}, colour {colour}")
    acc = accuracy_label(cap.accuracy, meaning=True)
    lines.append(f"  accuracy     {acc}")
    unit = cap.depth_unit
    per = "1/m" if unit == "m" else "1/unit"
    lines.append(f"  depth        {_fmt_range(s['depth_range_m'], unit)}  ({s['valid_fraction'] * 100:.1f}% of pixels valid)")
    lines.append(f"  disparity    {_fmt_range(s['disparity_range_per_m'], per)}")
    enc = cap.encoding
    if enc is not None:
        stored = f"{enc.bits}-bit {enc.quantity}"
        if enc.format:
            stored += f" ({enc.format})"
        if enc.float_min is not None and enc.float_max is not None:
            code_unit = per if enc.quantity == "disparity" else unit
            stored += f", codes {enc.int_min}–{enc.int_max} → {enc.float_min:g}–{enc.float_max:g} {code_unit}"
            if enc.step:
                stored += f" (step {enc.step:.4g} {code_unit})"
        if enc.near is not None and enc.far is not None:
            said = f" (Units {enc.units})" if enc.units and not enc.metric else ""  # e.g. Diopters: a mark, not a unit
            stored += f", near {enc.near:g} far {enc.far:g} {enc.units if enc.metric and enc.units else unit}{said}"
        lines.append(f"  stored as    {stored}")
    cal = cap.calibration
    if cal is None:
        lines.append("  calibration  none stored (projection needs a focal length from EXIF or from you)")
    else:
        rw, rh = cal.reference_size
        head = "estimated" if cal.estimated else "stored"
        lines.append(f"  calibration  {head}, {cal.source}")
        lines.append(f"               fx {cal.fx:.2f}  fy {cal.fy:.2f}  cx {cal.cx:.2f}  cy {cal.cy:.2f} px at {rw}x{rh}")
        k = cal.intrinsics_at(w, h)
        lines.append(f"               at depth size {w}x{h}: fx {k[0, 0]:.2f}  fy {k[1, 1]:.2f}  cx {k[0, 2]:.2f}  cy {k[1, 2]:.2f} px (pixel centres at integers)")
        if cal.pixel_size_mm:
            lines.append(f"               pixel size {cal.pixel_size_mm * 1000:.3g} µm")
        if cal.distortion_center is not None:
            dist = "lens distortion stored" if cal.has_distortion else "lens distortion all zero"
            lines.append(f"               {dist}, centre ({cal.distortion_center[0]:.1f}, {cal.distortion_center[1]:.1f}) px")
    if isinstance(cap.metadata, dict) and cap.metadata.get("baseline_m"):
        src = cap.metadata.get("extrinsics_source") or "given"
        lines.append(f"  baseline     {cap.metadata['baseline_m'] * 1000:.3f} mm between the views ({src}); "
                     "depth computed from the stereo pair")
    mattes = list(cap.mattes)
    lines.append(f"  mattes       {', '.join(mattes) if mattes else 'none'}")
    if cap.has_confidence:
        lines.append(f"  confidence   yes, {w}x{h} (0..1, 1 = most confident)")
    items = cap.metadata.get("container_items") if isinstance(cap.metadata, dict) else None
    if items:
        lines.append(f"  container    {len(items)} items (Dynamic Depth), in file order:")
        for it in items:
            where = "the primary image" if it["index"] == 0 else f"{it['length']:,} bytes at {it['offset']:,}"
            lines.append(f"               {it['index']}: {it['uri']} ({it['mime']}), {where}")
    other = cap.metadata.get("other_aux") if isinstance(cap.metadata, dict) else None
    if other:
        lines.append(f"  other aux    {', '.join(other)}")
    for note in (cap.metadata.get("notes") or []) if isinstance(cap.metadata, dict) else []:
        lines.append(f"  note         {note}")
    return "\n".join(lines)
