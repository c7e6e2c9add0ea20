# envdoctor.pyz's __main__.py (put in place by scripts/build-pyz over the one shiv writes).
# Once shiv has unpacked the dependencies (first run), start from the unpacked copy directly:
# shiv's bootstrap imports compileall, subprocess, hashlib, json... (about 30 ms, more than a
# bare interpreter start) before it gets there. Unpacking, and any SHIV_* setting, still go
# through shiv's own bootstrap.
import os
import site
import sys

ENVDOCTOR_PYZ = os.path.realpath(sys.argv[0])  # envdoctor.__main__ recognises a pyz run by this
_BUILD_ID = "@BUILD_ID@"
_ROOT = "@ROOT@"


def _unpacked():
    if any(key.startswith("SHIV_") for key in os.environ):
        return None
    # the directory shiv's bootstrap.cache_path() names: ROOT/<file name>_<build id>/site-packages
    path = os.path.join(os.path.expanduser(_ROOT), os.path.basename(ENVDOCTOR_PYZ) + "_" + _BUILD_ID, "site-packages")
    return path if os.path.isdir(path) else None


_site_packages = _unpacked()
if _site_packages is None:
    import _bootstrap

    _bootstrap.bootstrap()
else:
    # As shiv does: the unpacked dependencies come before every other site-packages on
    # sys.path (a student's ~/.local included).
    _length = len(sys.path)
    _first = next((i for i, p in enumerate(sys.path) if os.path.basename(p) in ("site-packages", "dist-packages")),
                  _length)
    site.addsitedir(_site_packages)
    sys.path[:] = sys.path[:_first] + sys.path[_length:] + sys.path[_first:_length]
    from envdoctor.__main__ import main

    sys.exit(main())
