"""Run by the *target's* python3 inside the image root: prints every stdlib file the agent
can import (modulefinder over all lvslite modules plus firmware/image/config.PYTHON_ALWAYS),
one path per line. build.py deletes the rest of the standard library.

Usage: python3 pyclosure.py PACKAGE_DIR ALWAYS,MODULES,... EXCLUDED,MODULES,...
"""
import modulefinder
import os
import pkgutil
import sys


def lvslite_modules(pkg_dir):
    base = os.path.dirname(pkg_dir)
    for dirpath, dirnames, files in os.walk(pkg_dir):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        for f in files:
            if f.endswith(".py"):
                rel = os.path.relpath(os.path.join(dirpath, f), base)[:-3]
                name = rel.replace(os.sep, ".")
                yield name[:-9] if name.endswith(".__init__") else name


def main():
    pkg_dir = sys.argv[1]
    always = [m for m in sys.argv[2].split(",") if m]
    excludes = [m for m in sys.argv[3].split(",") if m]
    mf = modulefinder.ModuleFinder(excludes=excludes)
    names = list(lvslite_modules(pkg_dir))
    for name in always:
        names.append(name)
        try:
            mod = __import__(name)
        except ImportError:
            continue
        if hasattr(mod, "__path__"):      # a package kept whole (encodings)
            names += [f"{name}.{m.name}" for m in pkgutil.iter_modules(mod.__path__)]
    for name in names:
        try:
            mf.import_hook(name)
        except ImportError:
            pass
    files = set()
    for m in mf.modules.values():
        if m.__file__:
            files.add(os.path.realpath(m.__file__))
    sys.stdout.write("".join(f + "\n" for f in sorted(files)))


main()
