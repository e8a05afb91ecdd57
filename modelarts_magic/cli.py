"""The `modelarts-magic` command: `emulator` serves the local emulator, `demo` runs the main job.

Sub-commands are argparse sub-parsers; each module adds its own with an `add_*_command` function.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

__all__ = ["build_parser", "main"]


def _non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is negative; give 0 or more seconds")
    return value


def add_emulator_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`modelarts-magic emulator [...]`: serve the local ModelArts emulator until Ctrl-C."""
    from .emulator.settings import DEMO

    parser = commands.add_parser(
        "emulator",
        help="serve a local ModelArts image service (and IAM) for demos and tests",
        description="Serve a local, faithful ModelArts image service and IAM on loopback. "
        "It accepts the published demo credentials unless given others.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=8000, help="port to listen on (default 8000; 0 = any free)"
    )
    parser.add_argument("--ak", default=DEMO.ak, help="access key accepted (default: the demo AK)")
    parser.add_argument("--sk", default=DEMO.sk, help="secret key accepted (default: the demo SK)")
    parser.add_argument("--project-id", default=DEMO.project_id, help="the project's ID")
    parser.add_argument("--project-name", default=DEMO.project_name, help="the project's name (region)")
    parser.add_argument("--user", default=DEMO.user, help="IAM user name accepted")
    parser.add_argument("--password", default=DEMO.password, help="IAM password accepted")
    parser.add_argument("--domain", default=DEMO.domain, help="IAM domain (account) name accepted")
    parser.add_argument(
        "--init-seconds", type=_non_negative, default=0.3, help="time an image spends in INIT"
    )
    parser.add_argument(
        "--creating-seconds", type=_non_negative, default=0.7, help="time an image spends in CREATING"
    )
    parser.add_argument("--swr-catalogue", metavar="FILE", help="JSON/YAML file of extra SWR images")
    parser.add_argument("--state-dir", metavar="DIR", help="folder of the state file (default: here)")
    parser.add_argument("--state-file", metavar="NAME", help="keep images across restarts in this JSON file")
    parser.add_argument("--latency", type=_non_negative, default=0.0, help="seconds added to every API call")
    parser.add_argument(
        "--log-level", default="warning", choices=["critical", "error", "warning", "info", "debug"]
    )
    parser.set_defaults(run=run_emulator)


def run_emulator(args: argparse.Namespace) -> int:
    """Start the emulator, print how to use it, serve until Ctrl-C."""
    from .emulator import DEMO, Emulator
    from .exceptions import ConfigurationError
    from .masking import mask

    try:
        emulator = Emulator(
            args.host,
            args.port,
            ak=args.ak,
            sk=args.sk,
            project_id=args.project_id,
            project_name=args.project_name,
            region=args.project_name,
            user=args.user,
            password=args.password,
            domain=args.domain,
            init_seconds=args.init_seconds,
            creating_seconds=args.creating_seconds,
            swr_catalogue=args.swr_catalogue,
            state_dir=args.state_dir,
            state_file=args.state_file,
            latency=args.latency,
            log_level=args.log_level,
        ).start()
    except (ConfigurationError, ValueError, OSError) as err:
        print(f"modelarts-magic emulator: {err}", file=sys.stderr)
        return 2
    demo_sk = args.sk == DEMO.sk
    demo_password = args.password == DEMO.password
    lines = [
        f"ModelArts emulator serving on {emulator.url}  (IAM: {emulator.iam_url})",
        "",
        "Use it from a shell or a notebook:",
        *(f"  export {name}={value}" for name, value in emulator.env().items()),
        "",
        "Credentials it accepts:",
        f"  AK/SK       {args.ak} / {args.sk if demo_sk else mask(args.sk) or '****'}"
        + ("   (published demo values, not secrets)" if demo_sk else ""),
        f"  IAM user    {args.user} / {args.password if demo_password else '****'} in domain {args.domain}",
        f"  project     {args.project_id} ({args.project_name})",
        "",
        "Try: swr_path swr.eu-de.otc.t-systems.com/my-team/pytorch_2_3:cuda12",
    ]
    if emulator.state_path is not None:
        lines.append(f"State kept in {emulator.state_path}")
    lines.append("Press Ctrl-C to stop.")
    print("\n".join(lines), flush=True)
    emulator.serve_forever()
    return 0


def add_demo_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`modelarts-magic demo`: run the quick-start notebook on the embedded emulator, show its Image."""
    from pathlib import Path

    parser = commands.add_parser(
        "demo",
        help="run notebooks/01-quickstart.ipynb on the embedded emulator and show the registered Image",
        description="Execute the quick-start tutorial in a fresh kernel against the embedded ModelArts "
        "emulator (not the real cloud), save the executed notebook and an HTML copy, and print the Image.",
    )
    parser.add_argument(
        "--notebook", type=Path, default=None, help="the notebook to run (default: the quick start)"
    )
    parser.add_argument(
        "--out", type=Path, default=Path("out"), help="where the executed notebook goes (default: out/)"
    )
    parser.add_argument("--timeout", type=int, default=300, help="seconds one cell may take (default: 300)")

    def run(args: argparse.Namespace) -> int:
        from .demo import run_demo

        return run_demo(args.notebook, args.out, args.timeout)

    parser.set_defaults(run=run)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command."""
    parser = argparse.ArgumentParser(
        prog="modelarts-magic", description="Register container images with ModelArts from Jupyter."
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    add_emulator_command(commands)
    add_demo_command(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    run = getattr(args, "run", None)
    if run is None:
        parser.print_help()
        return 2
    return int(run(args))


if __name__ == "__main__":
    sys.exit(main())
