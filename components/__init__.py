"""KFP components of the dancegen lifecycle: one directory per pipeline step, each a thin lightweight Python
component that calls one function of :mod:`dancegen.lifecycle` (see ``components/README.md``).

Every component runs on the package image :data:`BASE_IMAGE` (the top-level ``Dockerfile``), which already
has kfp installed (``install_kfp_package=False``: its non-root user cannot pip-install).
"""

import dancegen

BASE_IMAGE = f"dancegen/package:{dancegen.__version__}"
"""The component image, built from the repository's top-level Dockerfile (see images/README.md)."""
