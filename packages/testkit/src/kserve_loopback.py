"""Runs a KServe model server script bound to 127.0.0.1.

KServe's RESTServer hard-codes uvicorn's host to 0.0.0.0 (kserve 0.21, protocol/rest/server.py), so
this launcher makes every uvicorn.Config bind 127.0.0.1, then runs the script as __main__ with the
remaining arguments (e.g. --http_port, --enable_grpc false, which the script's ModelServer reads).

Usage: python kserve_loopback.py SCRIPT [ARG...]
"""

import runpy
import sys

import uvicorn

_Config = uvicorn.Config


class LoopbackConfig(_Config):
    def __init__(self, *args, **kwargs):
        kwargs["host"] = "127.0.0.1"
        super().__init__(*args, **kwargs)


uvicorn.Config = LoopbackConfig

script = sys.argv[1]
sys.argv = sys.argv[1:]
runpy.run_path(script, run_name="__main__")
