"""The command provider, running real child processes."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from fieldeval.errors import ConfigError, ErrorKind, ProviderError
from fieldeval.providers.command import CommandProvider, from_candidate
from fieldeval.records.request import Message, ModelRequest
from fieldeval.suite.candidates import CommandCandidate

REQUEST = ModelRequest(
    messages=(Message("system", "be loud"), Message("user", "héllo")), variables={"id": "ex-7"}
)


def python(code: str, tmp_path: Path, timeout_s: float = 30.0) -> CommandProvider:
    return CommandProvider([sys.executable, "-c", code], cwd=tmp_path, timeout_s=timeout_s)


async def test_stdin_to_stdout_with_one_newline_stripped(tmp_path: Path) -> None:
    code = "import sys; print(sys.stdin.read().upper()); print()"
    completion = await python(code, tmp_path).complete(REQUEST)
    assert completion.text == "BE LOUD\n\nHÉLLO\n"  # print() added two; only one goes
    assert completion.usage.estimated and completion.latency_s is not None


async def test_example_id_and_folder_reach_the_command(tmp_path: Path) -> None:
    code = "import os; print(os.environ['FIELDEVAL_EXAMPLE_ID'], os.getcwd())"
    completion = await python(code, tmp_path).complete(REQUEST)
    assert completion.text == f"ex-7 {tmp_path}"


async def test_non_zero_exit_is_an_app_error_with_stderr(tmp_path: Path) -> None:
    code = "import sys; sys.stderr.write('x' * 500 + 'the real reason'); sys.exit(3)"
    with pytest.raises(ProviderError) as caught:
        await python(code, tmp_path).complete(REQUEST)
    assert caught.value.kind is ErrorKind.APP_ERROR
    assert "code 3" in caught.value.message and "the real reason" in caught.value.message
    assert "x" * 300 not in caught.value.message


async def test_timeout_kills_the_process(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    code = f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(60)"
    started = time.monotonic()
    with pytest.raises(ProviderError) as caught:
        await python(code, tmp_path, timeout_s=1.0).complete(REQUEST)
    assert caught.value.kind is ErrorKind.TIMEOUT
    assert time.monotonic() - started < 10
    with pytest.raises(ProcessLookupError):
        os.kill(int(pid_file.read_text()), 0)


def test_missing_executable_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no-such-program-xyz"):
        from_candidate(
            CommandCandidate(id="c", provider="command", command="no-such-program-xyz --flag"),
            base_dir=tmp_path,
        )
    with pytest.raises(ConfigError, match=r"bin/missing\.sh"):
        CommandProvider(["./bin/missing.sh"], cwd=tmp_path)


async def test_relative_script_runs_from_the_suite_folder(tmp_path: Path) -> None:
    script = tmp_path / "bot.sh"
    script.write_text("#!/bin/sh\ntr a-z A-Z\n", encoding="utf-8")
    script.chmod(0o755)
    provider = from_candidate(
        CommandCandidate(id="c", provider="command", command="./bot.sh"), base_dir=tmp_path
    )
    assert (await provider.complete(REQUEST)).text == "BE LOUD\n\nHéLLO"
    assert provider.cache_identity() == {"provider": "command", "command": ["./bot.sh"]}
