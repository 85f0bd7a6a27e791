"""The command line checked before any work: ranges, mistyped commands, options where they mean something,
help that is complete and examples that run as written."""

from __future__ import annotations

import argparse
import os
import pty
import re
import shlex
import subprocess
from pathlib import Path

import pytest
from conftest import API_KEY, Emulator, server_command, write_skill
from test_cli import against, cli

from skills_mcp.cli.main import EPILOG, build_parser

COMMANDS = ["publish", "create", "validate", "list", "versions", "get", "download", "delete", "rollback", "emulator",
            "plan", "sync", "pins"]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["list", "--timeout", "-5"], "argument --timeout: '-5' must be a finite number greater than 0."),
        (["list", "--timeout", "0"], "argument --timeout: '0' must be"),
        (["list", "--timeout", "soon"], "argument --timeout: 'soon' is not a number"),
        (["list", "--max-attempts", "0"], "argument --max-attempts: '0' must be"),
        (["list", "--max-attempts", "2.5"], "argument --max-attempts: '2.5' is not a whole number."),
        (["--timeout", "-1", "get", "skill_x"], "argument --timeout: '-1' must be"),  # before the command, too
        (["list", "--limit", "0"], "argument --limit: 0 is not between 1 and 1000."),
        (["versions", "skill_x", "--limit", "1001"], "argument --limit: 1001 is not between 1 and 1000."),
    ],
)
def test_out_of_range_options_are_exit_2_before_any_request(args: list[str], says: str, api: Emulator) -> None:
    run = cli(*args, env=against(api))
    assert run.returncode == 2, run.stderr
    assert says in run.stderr and "usage: skills-mcp" in run.stderr
    assert api.state.requests == [] and run.stdout == ""


def test_the_options_and_their_environment_variables_share_one_check(api: Emulator) -> None:
    option = cli("list", "--timeout", "-5", env=against(api))
    variable = cli("list", env={**against(api), "SKILLS_MCP_TIMEOUT": "-5"})
    assert variable.returncode == 5  # configuration, as the README's table says
    reason = "must be a finite number greater than 0."
    assert reason in option.stderr and f"SKILLS_MCP_TIMEOUT='-5' {reason}" in variable.stderr


@pytest.mark.parametrize("url", ["api.anthropic.com", "ftp://api.anthropic.com", "https://"])
def test_a_malformed_base_url_is_a_configuration_error_at_once(url: str) -> None:
    run = cli("list", env={"ANTHROPIC_BASE_URL": url, "ANTHROPIC_API_KEY": API_KEY})
    assert run.returncode == 5, run.stderr
    assert "ANTHROPIC_BASE_URL" in run.stderr and "gave up" not in run.stderr  # no retries first


def test_a_mistyped_command_gets_the_closest_one_and_the_list_not_the_usage(tmp_path: Path) -> None:
    run = cli("publis", str(tmp_path))
    assert run.returncode == 2
    assert "did you mean 'publish'?" in run.stderr.lower()
    assert all(name in run.stderr for name in COMMANDS)
    assert "usage:" not in run.stderr and "--allow-dir" not in run.stderr
    assert len(run.stderr.splitlines()) == 1 and run.stdout == ""


@pytest.mark.parametrize(
    "args",
    [
        ["emulator", "--beta", "skills-2025-10-02"],
        ["emulator", "--timeout", "5"],
        ["emulator", "--max-attempts", "2"],
        ["emulator", "--local"],
        ["--local", "emulator"],  # before the command: refused as well
        ["--timeout", "5", "validate", "x"],
        ["validate", "x", "--local"],
        ["--allow-dir", "/tmp", "list"],  # the server's options mean nothing to a command
        ["--transport", "streamable-http", "publish", "x"],
    ],
)
def test_options_that_mean_nothing_to_a_command_are_refused(args: list[str]) -> None:
    run = cli(*args)
    assert run.returncode == 2, run.stderr
    assert run.stdout == ""


def test_the_emulator_help_shows_only_its_own_options() -> None:
    shown = cli("emulator", "--help").stdout
    for option in ("--beta", "--timeout", "--max-attempts", "--local", "--workspace-id", "--allow-dir"):
        assert option not in shown
    for option in ("--data-dir", "--host", "--port", "--allowed-host", "--json"):
        assert option in shown


def test_the_http_options_without_http_get_a_warning(tmp_path: Path) -> None:
    """stdin at its end, so the stdio server stops at once."""
    for option, value in (("--token", "t0ken-value"), ("--port", "9000")):
        run = subprocess.run(
            [server_command(), "--allow-dir", str(tmp_path), option, value],
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert run.returncode == 0, run.stderr
        assert f"warning: {option} means nothing without --transport streamable-http" in run.stderr
        assert "t0ken-value" not in run.stderr


def test_a_person_at_a_terminal_is_told_it_is_a_server_a_client_is_told_nothing(tmp_path: Path) -> None:
    terminal, its_side = pty.openpty()
    with subprocess.Popen(
        [server_command(), "--allow-dir", str(tmp_path)], stdin=its_side, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    ) as person:  # fmt: skip
        os.close(its_side)
        os.write(terminal, b"\x04")  # Ctrl-D: the end of input, once the server reads it
        out, err = person.communicate(timeout=120)
    os.close(terminal)
    piped = subprocess.run(  # as a client starts it: stdin a pipe (here, empty)
        [server_command(), "--allow-dir", str(tmp_path)], input="", capture_output=True, text=True, timeout=120
    )

    assert person.returncode == 0 and out == ""
    [line] = err.splitlines()
    assert "MCP server" in line and "stdio" in line and "skills-mcp --help" in line
    assert piped.returncode == 0 and piped.stderr == "" and piped.stdout == ""


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    [action] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


def test_help_is_complete_every_command_option_and_default() -> None:
    parser = build_parser()
    commands = _subparsers(parser)
    [action] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    described = {choice.dest: choice.help for choice in action._choices_actions}

    assert list(commands) == COMMANDS
    for name, command in [("", parser), *commands.items()]:
        if name:
            assert described[name] and "\n" not in described[name], name  # one line each
        shown = command.format_help()
        for option in command._actions:
            if isinstance(option, argparse._SubParsersAction):
                continue
            assert option.help, (name, option.dest)  # every positional and option has help
            default = option.default
            if default not in (None, False, [], argparse.SUPPRESS) and option.option_strings:
                flat = " ".join(shown.split())
                assert f"default: {default}" in flat, (name, option.dest, default)


def test_the_help_examples_run_as_written(tmp_path: Path) -> None:
    """Each example that can run here (the embedded emulator, or a dry run) runs; the rest at least parse."""
    home = tmp_path / "home"
    write_skill(home / "skills")
    env = {"HOME": str(home), "SKILLS_MCP_DATA_DIR": str(tmp_path / "data"), "PATH": os.environ.get("PATH", "")}
    examples = [line.strip().split("  ")[0] for line in EPILOG.split("Examples:\n")[1].splitlines()]
    examples = [e for e in examples if e.startswith("skills-mcp ")]
    assert len(examples) >= 4
    ran = 0
    for example in examples:
        words = [w.replace("~", str(home), 1) if w.startswith("~") else w for w in shlex.split(example)[1:]]
        args = build_parser().parse_args(words)  # every example is a valid command line
        for word in words:
            assert not re.match(r"(\./)?examples/", word) or Path(word).exists(), word
        if "--local" in words or args.subcommand == "validate":
            run = cli(*words, env=env, cwd=tmp_path)
            assert run.returncode == 0, (example, run.stderr)
            ran += 1
    assert ran >= 3
