"""`fieldeval grade`: serve the grading screen for a run until Ctrl-C."""

from __future__ import annotations

import sys
from pathlib import Path

from rich.text import Text

from fieldeval.cli.console import console
from fieldeval.cli.grading_commands import load_with_rubric, resolve_run, split_pair
from fieldeval.errors import UserError


def grade(
    suite_path: Path,
    *,
    run_id: str | None,
    db: str | None,
    grader: str | None,
    pair: str | None,
    disagreements: bool,
    informative: bool,
    host: str,
    port: int,
    token: str | None,
    open_browser: bool,
) -> None:
    # The policy first: a refused --host must not wait on the store or the web framework.
    from fieldeval.web.security import security_for

    security = security_for(host, token)
    if pair is not None and disagreements:
        raise UserError("--pair and --disagreements open different screens: choose one")
    loaded = load_with_rubric(suite_path)

    from fieldeval.human.session import GradingSession, check_grader_name
    from fieldeval.store import Store
    from fieldeval.web import server
    from fieldeval.web.app import create_app
    from fieldeval.web.grading import GradingContext

    if grader is not None:
        grader = check_grader_name(grader)
    store = Store.open(db)
    try:
        info = resolve_run(store, loaded, run_id)
        session = GradingSession(store, info.id, loaded.suite.rubric)
        context = GradingContext(
            session=session,
            suite_name=loaded.suite.task.name,
            task=loaded.suite.task.description,
            pair=split_pair(pair, info) if pair is not None else None,
            grader=grader,
            informative=informative,
        )
        count = session.progress(grader or "").total
        if count == 0:
            raise UserError(
                f"run {info.id} has no outputs the rubric applies to",
                hint="errors are not graded; check the rubric's applies_to",
            )
        app = create_app(security, grading_context=context)
        sock = server.listen(host, port)
        path = "/grade/pairs" if pair else "/grade/disagreements" if disagreements else "/grade"
        query = {"grader": grader} if grader else {}
        if security.require_token:
            query["token"] = security.token
        url = server.url_for(sock, host, path, query)
        _announce(info.id, loaded.suite.task.name, count, len(loaded.suite.rubric), url)
        if not security.require_token:
            console.print(
                Text(f"token for scripts (send it as X-Fieldeval-Token): {security.token}"),
                soft_wrap=True,
            )
        if open_browser and not server.open_browser(url):
            console.print("no browser to open here: open the URL above yourself")
        sys.stdout.flush()  # a script reading the URL from a pipe must see it now
        server.serve(app, sock)
        console.print("stopped; every grade given is saved")
    finally:
        store.close()


def _announce(run_id: str, suite: str, outputs: int, criteria: int, url: str) -> None:
    console.print(
        Text(f"grading run {run_id} of {suite}: {outputs} outputs, {criteria} criteria"),
        soft_wrap=True,
    )
    console.print(Text.assemble(("open ", ""), (url, "bold")), soft_wrap=True)
    console.print("grades are saved as they are given; Ctrl-C stops", soft_wrap=True)
