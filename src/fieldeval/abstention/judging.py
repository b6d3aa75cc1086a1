"""The suite's judge reads the outputs the rules call answers: did each ask, abstain or
decline after all, or break the task's format?

It asks the same question, through the same client and cache, as the edges' over-refusal
check on a clean original (`edges.grading.clean_refused`), and stores the answer the same
way: an `edge_outcomes` row with generator "clean". So an output checked by either pass is
never asked twice, and a second pass costs nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass

from fieldeval.abstention.outcomes import JudgedReply, judged_replies
from fieldeval.checks.non_answer import does_not_answer
from fieldeval.edges.clean_view import clean_view
from fieldeval.edges.grading import clean_refused
from fieldeval.edges.judge import open_edge_judge
from fieldeval.edges.run_grading import clean_row
from fieldeval.judge.grader import JudgeReport, ProgressHandler
from fieldeval.records.run import OutputKey
from fieldeval.store import Store
from fieldeval.store.edge_store import EdgeStore
from fieldeval.suite.loader import LoadedSuite


@dataclass
class AbstentionJudging:
    """What a judge pass over a run's answers did."""

    asked: int = 0  # outputs the judge classified
    abstained: int = 0  # of those, the ones it found asking, abstaining or declining
    kept: int = 0  # already classified by an earlier pass (or by `fieldeval edges`)
    by_rule: int = 0  # the rules already found these not answering: the judge is not asked
    undecided: int = 0  # no usable answer from the judge
    judge: JudgeReport | None = None


def judge_abstentions(
    store: Store,
    loaded: LoadedSuite,
    run_id: str,
    *,
    on_progress: ProgressHandler | None = None,
) -> AbstentionJudging:
    """Ask the suite's judge about every answered output the rules do not already settle."""
    return asyncio.run(_judge(store, loaded, run_id, on_progress))


async def _judge(
    store: Store, loaded: LoadedSuite, run_id: str, on_progress: ProgressHandler | None
) -> AbstentionJudging:
    stored = store.run(run_id)
    examples = {e.id: e for e in store.examples(stored.dataset_hash)}
    run, outputs = clean_view(stored, store.outputs(stored.id), list(examples.values()))
    edge_store = EdgeStore(store)
    known = judged_replies(edge_store.outcomes(run.id))
    phrases = loaded.suite.abstention.phrases if loaded.suite.abstention else ()
    edges = loaded.suite.edges
    language = edges.reply_language if edges is not None else "en"
    report = AbstentionJudging()
    todo = []
    for output in outputs:
        if not output.ok or output.example_id not in examples:
            continue
        if does_not_answer(output.text or "", phrases) is not None:
            report.by_rule += 1
        elif OutputKey.of(output) in known:
            report.kept += 1
        else:
            todo.append(output)
    async with open_edge_judge(store, loaded, run.id) as judge:
        if judge is None:
            return report
        report.judge = judge.report
        finished = 0
        if on_progress is not None:
            on_progress(0, len(todo))

        async def ask(output_key: OutputKey, text: str) -> None:
            nonlocal finished
            assert judge is not None
            checked = await clean_refused(
                examples[output_key.example_id].input,
                text,
                judge,
                languages=(language,),
                where=output_key.ref,
            )
            if checked is None:
                report.undecided += 1
            else:
                report.asked += 1
                report.abstained += checked.refused
                row = clean_row(run.id, output_key, checked)
                await judge.in_store(edge_store.save_outcomes, [row])
            finished += 1
            if on_progress is not None:
                on_progress(finished, len(todo))

        async with asyncio.TaskGroup() as group:
            for output in todo:
                group.create_task(ask(OutputKey.of(output), output.text or ""))
    return report


def stored_judgements(store: Store, run_id: str) -> Mapping[OutputKey, JudgedReply]:
    """The judge's stored classes for a run's clean outputs."""
    return judged_replies(EdgeStore(store).outcomes(run_id))
