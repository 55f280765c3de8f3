"""Build the Cython extensions: every ``_fast/<name>.pyx`` becomes ``damon_tui._fast.<name>``."""

from pathlib import Path

from Cython.Build import cythonize
from setuptools import Extension, setup

HERE = Path(__file__).parent
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
        # shared inline helpers (``_fast/*.pxd``) are cimported by bare name
        include_path=[str(HERE / "_fast")],
        compiler_directives={
            "boundscheck": False,
            "wraparound": False,
            "cdivision": True,
            "initializedcheck": False,
        },
    )
)
