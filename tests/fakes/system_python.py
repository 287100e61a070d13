"""Makes a script run where Debian's python3-aiohttp is.

The package lives in /usr/bin/python3's dist-packages. When `python3` on PATH is another
interpreter (pyenv, venv) without aiohttp, the script is re-run under /usr/bin/python3 instead
of failing. Imports only the standard library, so it works before aiohttp is known to exist.
"""

import os
import sys


def ensure_aiohttp(script_name):
    try:
        import aiohttp  # noqa: F401
        return
    except ImportError:
        pass
    system_python = "/usr/bin/python3"
    if (os.path.exists(system_python)
            and os.path.realpath(sys.executable) != os.path.realpath(system_python)
            and not os.environ.get("FAKE_COMFYUI_REEXEC")):
        os.environ["FAKE_COMFYUI_REEXEC"] = "1"
        os.execv(system_python, [system_python] + sys.argv)
    raise SystemExit(script_name + ": aiohttp is not importable (apt-get install python3-aiohttp)")
