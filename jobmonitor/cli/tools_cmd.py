"""``jobmonitor tools [SLUG] [--json]``: the tool catalogue (what ``submit`` can start)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from jobmonitor.cli.common import EXIT_OK, EXIT_USAGE, CliError, client_error_object


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "tools",
        help="list the tools jobs can be started with",
        description="List the provider's tools (the catalogue shipped with jobmonitor): slug, "
        "title, accepted inputs, result type and options. With SLUG, one tool's options in full. "
        "A tool not listed can still be submitted by its slug.",
    )
    parser.add_argument("slug", nargs="?", metavar="SLUG", help="show this tool only")
    parser.add_argument("--json", action="store_true", help="the catalogue as JSON")
    parser.set_defaults(func=run)


def tool_dict(tool: Any) -> dict[str, Any]:
    return {
        "slug": tool.slug,
        "title": tool.title,
        "family": tool.family,
        "inputs": list(tool.inputs),
        "output": tool.output,
        "binary": tool.binary,
        "simulator": tool.simulator,
        "options": [
            {
                "name": o.name,
                "header": o.header,
                "type": o.type,
                "default": o.default,
                "choices": list(o.choices),
                "min": o.minimum,
                "max": o.maximum,
                "required": o.required,
                "help": o.help,
            }
            for o in tool.options
        ],
    }


def run(args: argparse.Namespace) -> int:
    from jobmonitor.api.tools import load_catalogue

    catalogue = load_catalogue()
    tools = list(catalogue.tools)
    if args.slug:
        tool = catalogue.get(args.slug)
        if tool is None:
            message = (
                f"no tool {args.slug!r} in the catalogue (jobmonitor tools lists them; an unlisted "
                "tool can still be submitted by its slug)"
            )
            if args.json:  # the command line's one error shape (cli/common.py)
                print(json.dumps(client_error_object(None, "TOOL_NOT_FOUND", message)))
            raise CliError(message, EXIT_USAGE, shown_as_json=args.json)
        tools = [tool]
    if args.json:
        print(json.dumps([tool_dict(t) for t in tools], ensure_ascii=False, indent=None))
        return EXIT_OK
    if args.slug:
        print(_details(tools[0]))
        return EXIT_OK
    width = max(len(t.slug) for t in tools)
    family = None
    for tool in tools:
        if tool.family != family:
            family = tool.family
            print(f"{family}:")
        inputs = " ".join("." + e for e in tool.inputs)
        mark = "  (stand-in in the simulator)" if tool.simulator else ""
        print(f"  {tool.slug:<{width}}  {tool.title} -> {tool.output}  [{inputs}]{mark}")
    print("Options: jobmonitor tools SLUG. Start a job: jobmonitor submit SLUG FILE_OR_URL...")
    return EXIT_OK


def _details(tool: Any) -> str:
    lines = [
        f"{tool.slug}: {tool.title} ({tool.family})",
        f"  takes:   {' '.join('.' + e for e in tool.inputs)}",
        f"  result:  {tool.output}",
    ]
    if tool.simulator:
        lines.append(f"  note:    {tool.simulator}")
    if not tool.options:
        lines.append("  options: none")
    for o in tool.options:
        kind = "|".join(o.choices) if o.choices else o.type
        if o.minimum is not None or o.maximum is not None:
            kind += f" {o.minimum}-{o.maximum}"
        default = (
            " (required)"
            if o.required
            else (f" (default {_shown(o.default)})" if o.default is not None else "")
        )
        lines.append(f"  --opt {o.name}=<{kind}>{default}  {o.help}")
    return "\n".join(lines)


def _shown(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)
