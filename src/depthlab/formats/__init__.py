"""The readers: from a file's bytes to a :class:`~depthlab.Capture` (:func:`depthlab.open` picks one).

Containers: HEIF boxes (:mod:`.isobmff`), JPEG segments, MPF and extended XMP (:mod:`.jpeg_segments`,
:mod:`.jpeg_images`), XMP and its RDF structures (:mod:`.xmp`, :mod:`.rdf`), EXIF (:mod:`.exif`).
Formats: Apple portrait HEIC and JPEG (:mod:`.heic`, :mod:`.jpeg`, :mod:`.apple`), Google
Dynamic Depth and Lens Blur (:mod:`.dynamic_depth`, :mod:`.google`), Intel XDM (:mod:`.xdm`),
spatial stereo photos (:mod:`.spatial`); what each maker's photos need to keep depth (:mod:`.makers`).
"""
