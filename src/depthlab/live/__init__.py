"""The live views in JupyterLab: the scene's frame maths and shaders (:mod:`.scene`, numpy
only, shared with the HTML page), the pythreejs layers (:mod:`.viewer`), the controls
(:mod:`.widgets`: ``show``, ``explore``, ``compare``) and the live refocus (:mod:`.refocus_view`).
"""
