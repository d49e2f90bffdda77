"""What the notebooks teach, as numbers: stereo, error growth, scale, rays and weak perspective
(:mod:`.concepts`), and stored vs refined vs true depth on the synthetic samples (:mod:`.truthcheck`).
"""
