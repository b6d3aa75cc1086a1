"""`fieldeval serve`: the results pages of a suite's runs in the browser, until Ctrl-C."""

from __future__ import annotations

import sys
from pathlib import Path

from rich.text import Text

from fieldeval.cli.console import console
from fieldeval.cli.grading_commands import resolve_run


def serve(
    suite_path: Path,
    *,
    run_id: str | None,
    db: str | None,
    host: str,
    port: int,
    token: str | None,
    open_browser: bool,
) -> None:
    # The policy first: a refused --host must not wait on the store or the web framework.
    from fieldeval.web.security import security_for

    security = security_for(host, token, app="the results app")

    from fieldeval.store import Store
    from fieldeval.suite.loader import load_suite
    from fieldeval.web import server
    from fieldeval.web.app import create_app
    from fieldeval.web.context import ResultsContext
    from fieldeval.web.links import run_url

    loaded = load_suite(suite_path)
    store = Store.open(db)
    try:
        # The latest run must exist: an empty runs list would only say to run the suite.
        info = resolve_run(store, loaded, run_id)
        chosen = info.id if run_id is not None else None
        context = ResultsContext(store=store, suite=loaded.suite, log=_say)
        app = create_app(security, results_context=context)
        sock = server.listen(host, port)
        # Before the URL is printed: the runs list's counts now, and the newest runs'
        # analyses queued for the background worker (a page asking for another run's goes
        # first), so the first page opened does not wait for them.
        context.warm()
        query = {"token": security.token} if security.require_token else {}
        url = server.url_for(sock, host, run_url(chosen) if chosen else "/", query)
        opened = f"run {chosen}" if chosen else f"the runs (latest {info.id})"
        console.print(Text(f"results of {loaded.suite.task.name}: {opened}"), soft_wrap=True)
        console.print(Text.assemble(("open ", ""), (url, "bold")), soft_wrap=True)
        console.print("read-only; Ctrl-C stops", soft_wrap=True)
        if open_browser and not server.open_browser(url):
            console.print("no browser to open here: open the URL above yourself")
        sys.stdout.flush()  # a script reading the URL from a pipe must see it now
        server.serve(app, sock)
        console.print("stopped")
    finally:
        store.close()


def _say(line: str) -> None:
    """Print a line from the background worker (an analysis done, and how long it took)."""
    console.print(Text(line), soft_wrap=True)
    sys.stdout.flush()
