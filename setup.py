"""The optional C part of lexical.v1 (src/truthmeter/features/_fastgrams.c and its two siblings).

Built when a C compiler and Python's headers are there; when not, the install still succeeds and
truthmeter runs the pure-Python path, which gives the same output (tests compare both).
"""

from setuptools import Extension, setup

_DIR = "src/truthmeter/features"

# -ffp-contract=off: no fused multiply-adds, so each product rounds as numpy's and scipy's do.
setup(ext_modules=[Extension("truthmeter.features._fastgrams",
                             [f"{_DIR}/_fastgrams.c", f"{_DIR}/_fastcount.c", f"{_DIR}/_fastrows.c"],
                             depends=[f"{_DIR}/_fastgrams.h"], include_dirs=[_DIR],
                             extra_compile_args=["-O2", "-ffp-contract=off"], optional=True)])
