"""``python -m depthlab.cli``: the same as the ``depthlab`` command."""

import sys

from .commands import main

sys.exit(main())
