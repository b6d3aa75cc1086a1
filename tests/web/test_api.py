"""The grading API and its protections, over real HTTP to `fieldeval grade` on loopback."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.web.helpers import (
    CANDIDATES,
    SUITE,
    TEXTS,
    Graded,
    Served,
    call,
    fieldeval_env,
    post,
    serving,
)

from fieldeval.human.session import GradingSession
from fieldeval.records.grade import Grade
from fieldeval.store import Store
from fieldeval.store.grade_store import GradeStore
from fieldeval.suite.loader import load_suite

TOKEN = "a-long-enough-test-token-123"


def grade(
    served: Served, grader: str, key: str, cid: str, value: int | None, note: str | None
) -> tuple[int, Any]:
    return post(
        served,
        "/api/grading/grades",
        {"grader": grader, "key": key, "criterion_id": cid, "value": value, "note": note},
    )


def first_key(served: Served, grader: str = "ana") -> str:
    status, listed = call("GET", f"{served.base}/api/grading/items?grader={grader}")
    assert status == 200, listed
    key: str = listed["items"][0]["key"]
    return key


def test_writes_need_the_token_header_a_json_body_and_no_foreign_origin(served: Served) -> None:
    key = first_key(served)
    body = {"grader": "ana", "key": key, "criterion_id": "faithful", "value": 1, "note": None}
    url = f"{served.base}/api/grading/grades"
    assert served.token is not None
    good = {"X-Fieldeval-Token": served.token}

    status, answer = call("POST", url, body)
    assert (status, answer) == (
        403,
        {"error": "a write needs the app's token in the X-Fieldeval-Token header"},
    )
    assert call("POST", url, body, {"X-Fieldeval-Token": "guessed"})[0] == 403
    assert call("POST", url, body, {**good, "Origin": "http://evil.example"})[0] == 403
    assert call("POST", url, body, {**good, "Sec-Fetch-Site": "cross-site"})[0] == 403
    assert call("POST", url, body, {**good, "Content-Type": "text/plain"})[0] == 415
    # A page on another site that rebinds its name to 127.0.0.1 still sends its own Host.
    status, _ = call("GET", f"{served.base}/grade", headers={"Host": "evil.example:80"})
    assert status == 403

    origin = served.base
    assert call("POST", url, body, {**good, "Origin": origin})[0] == 200


def test_a_fail_without_a_note_and_values_off_the_scale_are_refused(
    served: Served, graded: Graded
) -> None:
    key = first_key(served)
    status, answer = grade(served, "ana", key, "faithful", 0, "  ")
    assert status == 422
    assert answer["error"] == "faithful: a fail needs a note"
    assert "notes become failure modes" in answer["hint"]
    assert grade(served, "ana", key, "tone", 1, None)[1]["error"] == "tone: a fail needs a note"
    assert grade(served, "ana", key, "tone", 7, None)[1]["error"] == (
        "tone: 7 is not on its scale (1, 2, 3)"
    )
    status, answer = grade(served, "adjudicated", key, "tone", 3, None)
    assert (status, answer["error"]) == (422, "the grader name 'adjudicated' is reserved")
    assert grade(served, "judge:x", key, "tone", 3, None)[0] == 422
    status, answer = grade(served, "ana", key, "tone", True, None)  # a bool is not a level
    assert status == 422 and "value" in answer["error"]
    assert call("GET", f"{served.base}/api/grading/items/nope?grader=ana")[0] == 404

    store = Store.open(graded.db_url)
    try:
        assert GradeStore(store).grades(graded.run_id) == []
    finally:
        store.close()
    status, answer = grade(served, "ana", key, "faithful", 0, "adds a date")
    assert status == 200
    assert answer["grade"]["note"] == "adds a date"
    assert answer["item_done"] is False
    assert answer["progress"] == {"done": 0, "total": 12, "answered": 1, "answers_needed": 24}


def test_each_grader_has_an_order_of_their_own_that_stays_put(served: Served) -> None:
    def order(grader: str) -> list[str]:
        _, listed = call("GET", f"{served.base}/api/grading/items?grader={grader}")
        return [item["key"] for item in listed["items"]]

    ana, bo = order("ana"), order("bo")
    assert len(ana) == 12 and sorted(ana) == sorted(bo)
    assert ana != bo
    assert order("ana") == ana


def test_no_response_names_a_candidate(graded: Graded) -> None:
    seen: list[str] = []

    def fetch(path: str) -> Any:
        status, answer = call("GET", f"{served.base}{path}")
        assert status == 200, (path, answer)
        seen.append(str(answer))
        return answer

    with serving(graded, "--pair", ",".join(CANDIDATES)) as served:
        for page in ("/grade", "/grade/pairs", "/grade/disagreements", "/api/openapi.json"):
            fetch(page)
        fetch("/api/grading/run")
        keys = [i["key"] for i in fetch("/api/grading/items?grader=ana")["items"]]
        for key in keys:
            fetch(f"/api/grading/items/{key}?grader=ana")
        seen.append(str(grade(served, "ana", keys[0], "faithful", 1, None)[1]))
        seen.append(str(grade(served, "bo", keys[0], "faithful", 0, "off topic")[1]))
        fetch("/api/grading/progress?grader=ana")
        pairs = [p["key"] for p in fetch("/api/grading/pairs?grader=ana")["items"]]
        for key in pairs:
            fetch(f"/api/grading/pairs/{key}?grader=ana")
        choice = {"grader": "ana", "key": pairs[0], "criterion_id": "tone", "winner": "left"}
        seen.append(str(post(served, "/api/grading/pair-grades", choice)[1]))
        assert len(fetch("/api/grading/disagreements")["disagreements"]) == 1
        settle = {"adjudicator": "cy", "key": keys[0], "criterion_id": "faithful", "value": 1}
        seen.append(str(post(served, "/api/grading/settlements", {**settle, "note": None})[1]))

    everything = "\n".join(seen)
    assert len(pairs) == 6 and "left_output" in everything and "settled by cy" in everything
    for name in (*CANDIDATES, "zebra", "okapi"):
        assert name not in everything


def test_criteria_edited_since_a_grade_show_as_ungraded(graded: Graded, tmp_path: Path) -> None:
    for name in ("data.csv", "webgrade_bot.py"):
        shutil.copy(graded.suite.parent / name, tmp_path / name)
    suite = tmp_path / "suite.yaml"
    suite.write_text(SUITE, encoding="utf-8")
    copy = Graded(suite, graded.db, graded.run_id)
    with serving(copy) as served:
        key = first_key(served)
        assert grade(served, "ana", key, "faithful", 1, None)[0] == 200
        assert grade(served, "ana", key, "tone", 3, None)[0] == 200

    suite.write_text(SUITE.replace("How calm and neutral is it?", "How calm is it?"))
    with serving(copy) as served:
        _, item = call("GET", f"{served.base}/api/grading/items/{key}?grader=ana")
        assert set(item["answers"]) == {"faithful"}
        _, progress = call("GET", f"{served.base}/api/grading/progress?grader=ana")
        assert progress["answered"] == 1 and progress["done"] == 0


def test_a_criterion_narrowed_after_grading_leaves_the_disagreements_readable(
    graded: Graded, tmp_path: Path
) -> None:
    for name in ("data.csv", "webgrade_bot.py"):
        shutil.copy(graded.suite.parent / name, tmp_path / name)
    suite = tmp_path / "suite.yaml"
    suite.write_text(SUITE, encoding="utf-8")
    copy = Graded(suite, graded.db, graded.run_id)
    wrote = graded.who_wrote()
    with serving(copy) as served:
        _, listed = call("GET", f"{served.base}/api/grading/items?grader=ana")
        for entry in listed["items"]:
            _, item = call("GET", f"{served.base}/api/grading/items/{entry['key']}?grader=ana")
            if wrote[item["output"]][0] == "cand-okapi":
                break
        for grader, value in (("ana", 3), ("bo", 2)):
            assert grade(served, grader, entry["key"], "tone", value, None)[0] == 200
        _, found = call("GET", f"{served.base}/api/grading/disagreements")
        assert [d["criterion"]["id"] for d in found["disagreements"]] == ["tone"]

    # applies_to is not part of a criterion's version: the old grades stay current.
    narrowed = SUITE.replace(
        "    severity: minor\n", "    severity: minor\n    applies_to: {candidates: [cand-zebra]}\n"
    )
    suite.write_text(narrowed, encoding="utf-8")
    with serving(copy) as served:
        status, found = call("GET", f"{served.base}/api/grading/disagreements")
        assert (status, found["disagreements"]) == (200, [])


# -- where the app listens -----------------------------------------------------------------


def run_grade(graded: Graded, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            *(sys.executable, "-m", "fieldeval", "grade", str(graded.suite)),
            *("--db", graded.db_url, "--no-open", "--port", "0", *args),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=fieldeval_env(),
        check=False,
    )


def test_off_loopback_the_app_will_not_start_without_a_token(graded: Graded) -> None:
    result = run_grade(graded, "--host", "0.0.0.0")
    assert result.returncode == 2
    message = " ".join(result.stderr.split())
    assert "--host 0.0.0.0 makes the grading app reachable from other machines" in message
    assert "hint: add --token" in message
    result = run_grade(graded, "--host", "0.0.0.0", "--token", "short")
    assert result.returncode == 2
    assert "--token must be at least 16 characters" in result.stderr


def test_off_loopback_every_request_needs_the_token(graded: Graded) -> None:
    with serving(graded, "--host", "0.0.0.0", "--token", TOKEN, "--grader", "ana") as served:
        assert served.token is None  # nothing printed for scripts: the URL carries the token
        assert served.url.endswith(f"/grade?grader=ana&token={TOKEN}")
        base = served.base
        assert call("GET", f"{base}/grade?grader=ana")[0] == 401
        assert call("GET", f"{base}/static/grade.js")[0] == 401
        status, answer = call("GET", f"{base}/api/grading/items?grader=ana")
        assert (status, answer["error"].split(":")[0]) == (401, "this app needs its token")
        header = {"X-Fieldeval-Token": TOKEN}
        assert call("GET", f"{base}/api/grading/items?grader=ana", headers=header)[0] == 200
        bearer = {"Authorization": f"Bearer {TOKEN}"}
        assert call("GET", f"{base}/api/grading/progress?grader=ana", headers=bearer)[0] == 200

        # The printed URL trades its token for a cookie and drops it from the address bar.
        cookie = _follow_printed_url(served.url)
        assert call("GET", f"{base}/grade?grader=ana", headers={"Cookie": cookie})[0] == 200
        body = {"grader": "ana", "key": "x", "criterion_id": "tone", "value": 3, "note": None}
        status, _ = call("POST", f"{base}/api/grading/grades", body, {"Cookie": cookie})
        assert status == 403  # a cookie alone never writes: a cross-site form would send it


def _follow_printed_url(url: str) -> str:
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=10)
    connection.request("GET", f"{parts.path}?{parts.query}")
    response = connection.getresponse()
    assert response.status == 303
    assert response.getheader("Location") == "/grade?grader=ana"
    set_cookie = response.getheader("Set-Cookie") or ""
    assert "HttpOnly" in set_cookie and "SameSite=strict" in set_cookie
    connection.close()
    found = re.match(r"([^=]+=[^;]+)", set_cookie)
    assert found is not None
    return found.group(1)


def test_a_suite_without_a_rubric_is_refused_with_an_example(
    graded: Graded, tmp_path: Path
) -> None:
    suite = tmp_path / "suite.yaml"
    suite.write_text(SUITE.split("rubric:")[0], encoding="utf-8")
    (tmp_path / "data.csv").write_text("id,text\ne1,hi\n", encoding="utf-8")
    result = run_grade(Graded(suite, graded.db, graded.run_id))
    assert result.returncode == 2
    assert "the suite has no rubric to grade by" in result.stderr
    assert "rubric:\n  - id:" in result.stderr and "question:" in result.stderr


def test_an_unknown_pair_candidate_is_refused(graded: Graded) -> None:
    result = run_grade(graded, "--pair", "cand-zebra,nobody")
    assert result.returncode == 2
    assert "'nobody' is not a candidate of run" in result.stderr


def test_informative_order_grades_the_judges_rare_verdicts_first(graded: Graded) -> None:
    # The judge passed zebra on five examples and okapi on one: the outputs it judged
    # against the grain of each candidate are the ones a random order would reach last.
    loaded = load_suite(graded.suite)
    faithful = next(c for c in loaded.suite.rubric if c.id == "faithful")
    store = Store.open(graded.db_url)
    try:
        GradingSession(store, graded.run_id, loaded.suite.rubric)  # saves the criteria
        grades = GradeStore(store)
        for candidate, passed in (
            ("cand-zebra", {"e1", "e2", "e3", "e4", "e5"}),
            ("cand-okapi", {"e1"}),
        ):
            for example in TEXTS:
                grades.save_grade(
                    Grade(
                        graded.run_id,
                        candidate,
                        example,
                        0,
                        "faithful",
                        faithful.version,
                        "judge:double",
                        "judge",
                        int(example in passed),
                    )
                )
    finally:
        store.close()
    wrote = graded.who_wrote()
    with serving(graded, "--informative") as served:
        status, listed = call("GET", f"{served.base}/api/grading/items?grader=ana")
        assert status == 200, listed
        order = []
        for entry in listed["items"]:
            status, item = call("GET", f"{served.base}/api/grading/items/{entry['key']}?grader=ana")
            order.append(wrote[item["output"]])
        assert len(order) == 12
        # Every (candidate, judge's verdict) is reached within the first four.
        assert {("cand-zebra", "e6"), ("cand-okapi", "e1")} <= set(order[:4])
        candidates = {candidate for candidate, _ in order[:4]}
        assert candidates == set(CANDIDATES)

        # Once people graded zebra's e6, it goes to the back: its stratum has its grade.
        key = next(
            e["key"]
            for e, who in zip(listed["items"], order, strict=True)
            if who == ("cand-zebra", "e6")
        )
        assert grade(served, "ben", key, "faithful", 1, None)[0] == 200
        status, relisted = call("GET", f"{served.base}/api/grading/items?grader=ana")
        assert [e["key"] for e in relisted["items"]][-1] == key
