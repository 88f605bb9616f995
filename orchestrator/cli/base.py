"""What every `orch` command shares: the global options, the registry command groups add their subcommands to,
argument parsing helpers and the exit codes."""

from __future__ import annotations

import argparse
import datetime
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

from asl.dag import load
from asl.dag.deploy import defined_breakers, spec_files
from functions.agents.reasoning import SPECIALISTS
from functions.json_body import BodyError, read_json
from orchestrator.control.render import as_json

WORKFLOW_HELP: Final = "order-saga, agent-pipeline, a DAG's name (customer-onboarding), a state machine name or ARN"
EXIT_OK: Final = 0
EXIT_FAILURE: Final = 1
EXIT_USAGE: Final = 2
EXIT_NOT_FOUND: Final = 3
_RELATIVE = re.compile(r"^(\d+)([smhd])$")
_UNITS: Final = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
# botocore's own check of a region name (`botocore.utils.validate_region_name`), so that a bad one is a usage error.
_REGION = re.compile(r"[a-zA-Z0-9](?:[a-zA-Z0-9\-]{0,61}[a-zA-Z0-9])?")

Result = tuple[Any, str]  # what the JSON output shows, and the table text
# A control-plane command: given the plane (`orchestrator.control.ControlPlane`) and the parsed arguments.
Handler = Callable[[Any, argparse.Namespace], Result]
# A command that runs without a control plane (the local runtime): returns the exit status.
Standalone = Callable[[argparse.Namespace], int]


class UsageError(Exception):
    """A value argparse accepted but the command cannot use (a malformed JSON or time)."""


def global_options(*, suppress: bool = False) -> argparse.ArgumentParser:
    """The options every command takes, before or after its name. On a command they default to SUPPRESS, so that
    one given before the command is not reset by the command's own default."""
    options = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS if suppress else None)
    where = options.add_mutually_exclusive_group()
    where.add_argument(
        "--endpoint-url", metavar="URL", type=endpoint_url, help="a local or other endpoint instead of AWS"
    )
    where.add_argument("--local", action="store_true", help="the local runtime at http://127.0.0.1:4566")
    options.add_argument("--profile", help="AWS profile")
    options.add_argument("--region", type=region, help="AWS region")
    options.add_argument("--stage", help="the deployed stage (default dev)")
    options.add_argument("--output", choices=("table", "json"), help="how results print (default table)")
    return options


@dataclass
class Registry:
    """Where each command group module adds its commands (`register(registry)`), and what runs each."""

    groups: Any  # the root parser's subparsers action
    handlers: dict[str, Handler] = field(default_factory=dict)
    standalone: dict[str, Standalone] = field(default_factory=dict)

    def command(self, name: str, help_text: str, handler: Handler) -> argparse.ArgumentParser:
        """A command run on the control plane; its parser takes the global options too."""
        self.handlers[name] = handler
        parser: argparse.ArgumentParser = self.groups.add_parser(
            name, help=help_text, description=help_text, parents=[global_options(suppress=True)]
        )
        return parser

    def local_command(self, name: str, help_text: str, runner: Standalone) -> argparse.ArgumentParser:
        """A command that runs without a control plane."""
        self.standalone[name] = runner
        parser: argparse.ArgumentParser = self.groups.add_parser(name, help=help_text, description=help_text)
        return parser


def retired_by(_: str) -> str:
    """`--by WHO` is no longer taken: an operator cannot name someone else as who acted."""
    raise argparse.ArgumentTypeError(
        "who acts is the identity of your AWS credentials (sts get-caller-identity), not an option; drop --by"
    )


def app_breakers() -> list[str]:
    """The breakers the app's workflows define, from the same files the CDK app deploys (the Control stack hands
    its function the same list)."""
    return defined_breakers(SPECIALISTS, (load(path) for path in spec_files()))


def subcommand(actions: Any, name: str, help_text: str) -> argparse.ArgumentParser:
    """A subcommand (`orch breakers list`) that takes the global options too."""
    parser: argparse.ArgumentParser = actions.add_parser(
        name, help=help_text, description=help_text, parents=[global_options(suppress=True)]
    )
    return parser


def write(stream: Any, text: str) -> None:
    stream.write(text + "\n")  # one write: handler output from other threads (locally) cannot split the text
    stream.flush()


def progress(line: str) -> None:
    """How a long operation gets on: on stderr, so that stdout keeps only the result (a table, or JSON to pipe)."""
    write(sys.stderr, f"... {line}")


def render_json(data: Any) -> str:
    return as_json(data)


# -- argument types: a value argparse refuses is a usage error (exit 2) naming the option, before anything runs ------


def endpoint_url(text: str) -> str:
    """An http(s) URL with a host, as botocore takes one."""
    try:
        parts = urlsplit(text)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
        parts.port  # noqa: B018 - reading it checks it (ValueError when it is not a port)
    except ValueError:
        valid = False
    if not valid:
        raise argparse.ArgumentTypeError(f"{text!r} is not an http(s) URL with a host, e.g. http://127.0.0.1:4566")
    return text


def region(text: str) -> str:
    if not _REGION.fullmatch(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not an AWS region name, e.g. eu-west-1")
    return text


def port(text: str) -> int:
    number = _integer(text)
    if not 1 <= number <= 65_535:
        raise argparse.ArgumentTypeError(f"{text} is not a TCP port: give 1 to 65535")
    return number


def listen_port(text: str) -> int:
    """A port to listen on: as `port`, or 0 for any free port."""
    return 0 if text.strip() == "0" else port(text)


def positive(text: str) -> int:
    number = _integer(text)
    if not 1 <= number <= 1_000_000:
        raise argparse.ArgumentTypeError(f"{text} is out of range: give 1 to 1000000")
    return number


def assembly(text: str) -> Path:
    """A cloud assembly directory (it may not exist yet: `orch local up` synthesizes into it)."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a file, not a cloud assembly directory (e.g. cdk.out)")
    return path


def _integer(text: str) -> int:
    try:
        if len(text) > 20:  # past any range here, and `int` of 4,300 digits and more raises
            raise ValueError(text)
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a whole number in range") from None


def json_argument(text: str, option: str) -> Any:
    """A JSON value given inline or as @FILE, read as the HTTP handlers read bodies (functions/json_body.py): not
    JSON, NaN, 1e999 or a 5,000-digit integer is a usage error naming the option and where."""
    if text.startswith("@"):
        try:
            text = Path(text[1:]).read_text(encoding="utf-8")
        except OSError as error:
            raise UsageError(f"{option}: cannot read {text[1:]}: {error.strerror}") from None
        except UnicodeDecodeError:
            raise UsageError(f"{option}: {text[1:]} is not UTF-8 text; give a JSON file") from None
    try:
        return read_json(text)
    except BodyError as error:
        problem = error.problem
        if not problem.field:  # the text as a whole: `--data is not valid JSON: ... at line 1 column 2`
            raise UsageError(f"{option} is {problem.reason}") from None
        raise UsageError(f"{option} at {problem.field}: {problem.reason}") from None


def parse_time(text: str | None, option: str) -> datetime.datetime | None:
    """An ISO 8601 time (UTC when it names no zone) or an age before now (`30m`, `2h`, `7d`)."""
    if text is None:
        return None
    if match := _RELATIVE.match(text):
        try:
            age = datetime.timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
            return datetime.datetime.now(datetime.UTC) - age
        except (OverflowError, ValueError):  # further back than year 1 (or more digits than `int` reads)
            raise UsageError(
                f"{option}: {text!r} is further back than any time; give an age like 30m, 2h, 7d"
            ) from None
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{option}: {text!r} is neither an ISO 8601 time nor an age like 30m, 2h, 7d") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)
