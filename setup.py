"""Build the Cython extensions: every ``_fast/<name>.pyx`` becomes ``damon_tui._fast.<name>``."""

import os
from pathlib import Path

from Cython.Build import cythonize
from setuptools import Extension, setup

HERE = Path(__file__).parent
# ``_fast/`` is the package ``damon_tui._fast``: a module that subclasses a cdef class of
# another module cimports it by its full name (``from damon_tui._fast.pagemem cimport
# PageMemory``), which Cython looks up as ``damon_tui/_fast/pagemem.pxd`` below an
# include directory; this one links ``damon_tui/_fast`` to ``_fast``.
CIMPORT_ROOT = HERE / "build" / "cython-include"
_link = CIMPORT_ROOT / "damon_tui" / "_fast"
if not _link.is_symlink():
    _link.parent.mkdir(parents=True, exist_ok=True)
    _link.symlink_to(os.path.relpath(HERE / "_fast", _link.parent))
extensions = [
    Extension(
        f"damon_tui._fast.{pyx.stem}",
        [str(pyx.relative_to(HERE))],
        extra_compile_args=["-O3"],
        # zlib's C library for modules that inflate or checksum without Python
        libraries=["z"] if '"zlib.h"' in pyx.read_text() else [],
    )
    for pyx in sorted((HERE / "_fast").glob("*.pyx"))
]

setup(
    ext_modules=cythonize(
        extensions,
        language_level=3,
        # shared inline helpers (``_fast/*.pxd``) are cimported by bare name, cdef
        # classes by full name
        include_path=[str(HERE / "_fast"), str(CIMPORT_ROOT)],
        compiler_directives={
            "boundscheck": False,
            "wraparound": False,
            "cdivision": True,
            "initializedcheck": False,
        },
    )
)
