"""Serve a GGUF model with llama.cpp in this process, for `LocalProvider` to run as a child.

Usage: python -m fieldeval.providers.local_server --model PATH [--ctx N] [--parallel N]
[--threads N] [--alias NAME] [--chat-template NAME]

Prints `LISTENING <url>` on stdout once the OpenAI-compatible server answers, then serves
until stdin closes or SIGTERM arrives. llama.cpp's own logs go to stderr, which the parent
points at a log file.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from types import FrameType


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m fieldeval.providers.local_server")
    parser.add_argument("--model", required=True, help="path to a .gguf file")
    parser.add_argument("--ctx", type=int, default=4096, help="context window, all slots")
    parser.add_argument("--parallel", type=int, default=1, help="requests served at once")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--alias", default=None, help="model name the server reports")
    parser.add_argument(
        "--chat-template", default=None, help="a llama.cpp built-in template name, e.g. gemma"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    import xllamacpp as xlc

    params = xlc.CommonParams()
    params.model.path = args.model
    params.n_ctx = args.ctx
    params.n_parallel = args.parallel
    params.cpuparams.n_threads = args.threads
    if hasattr(params, "cpuparams_batch"):
        params.cpuparams_batch.n_threads = args.threads
    if args.alias:
        params.model_alias = {args.alias}
    if args.chat_template:
        # Built-in names are understood only by the non-Jinja template path.
        params.use_jinja = False
        params.chat_template = args.chat_template
    params.verbosity = -1  # llama.cpp is chatty; the log file gets what remains
    params.endpoint_metrics = False

    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    try:
        server = xlc.Server(params)
    except RuntimeError as error:  # xllamacpp's only word for "could not load the model"
        print(f"cannot serve {args.model}: {error}", file=sys.stderr, flush=True)
        return 1
    print("LISTENING", server.listening_address, flush=True)

    # A closed stdin means the parent is gone, even if it died without signalling us.
    def _watch_stdin() -> None:
        sys.stdin.read()
        stop.set()

    threading.Thread(target=_watch_stdin, daemon=True).start()
    # Waking every second lets the signal handler run: a bare wait() can block it.
    while not stop.wait(1.0):
        pass
    # The server's threads are native; leaving without tearing them down is the fast, safe way.
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    raise SystemExit(main())
