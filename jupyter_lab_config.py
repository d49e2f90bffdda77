# JupyterLab settings for depthlab's explore command (README, "Set up"):
#
#     .venv/bin/jupyter lab --allow-root --config=jupyter_lab_config.py notebooks/
#
# Only the build check is turned off, and only for JupyterLab started with this file.
# Why: some companions users add beside depthlab ship old-style (source) lab extensions. open3d,
# for PointCloud.to_open3d(), pulls in dash, whose "@plotly/dash-jupyterlab" makes every start
# greet the user with a modal "Build Recommended" dialog, although depthlab's notebooks need no
# build (pythreejs and ipywidgets ship prebuilt extensions). Nothing in the environment is
# changed, so `jupyter lab build` and plain `jupyter lab` behave as before.
c = get_config()  # noqa: F821 - provided by Jupyter's config loader
c.ServerApp.tornado_settings = {"page_config_data": {"buildCheck": False, "buildAvailable": False}}
