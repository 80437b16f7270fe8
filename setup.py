"""The optional C part of lexical.v1 (src/truthmeter/features/_fastgrams.c).

Built when a C compiler and Python's headers are there; when not, the install still succeeds and
truthmeter runs the pure-Python path, which gives the same output (tests compare both).
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("truthmeter.features._fastgrams", ["src/truthmeter/features/_fastgrams.c"],
                             extra_compile_args=["-O2"], optional=True)])
