"""A pyinstrument profile of `ModelArtsClient.register_image`, many calls aggregated.

The emulator runs in another process (images ACTIVE at once, no latency), so the profile shows
the client only. The text report goes to `benchmarks/results/profile-register.txt`.

    python benchmarks/profile_register.py [--calls 1500]
"""

from __future__ import annotations

import argparse
from typing import Any

import _harness as h

_WAITING = {"recv", "recv_into", "send", "sendall", "select", "poll", "wait", "sleep"}


def _category(frame: Any, inherited: str) -> str:
    path = (frame.file_path or "").replace("\\", "/")
    if not path or path.startswith("<"):
        # A built-in: a socket operation is the wait for the emulator; anything else belongs to
        # whoever called it (e.g. hashlib or json.dumps from our code).
        name = (frame.function or "").rsplit(".", 1)[-1]  # e.g. "socket.recv"
        return "waiting on the socket (send/recv)" if name in _WAITING else inherited
    if "/modelarts_magic/" in path:
        return "modelarts_magic (ours)"
    for package in ("pydantic", "httpx", "httpcore", "h11", "anyio", "idna", "certifi"):
        if f"/{package}/" in path or f"/{package}_core/" in path:
            return "pydantic" if package == "pydantic" else "httpx / httpcore / h11"
    if "/pyinstrument/" in path or "profile_register" in path:
        return "profiler"
    return "standard library / other"


def summary(root: Any) -> dict[str, float]:
    """Seconds of self time per category (ours, httpx, pydantic, waiting, ...) over the whole tree."""
    totals: dict[str, float] = {}
    stack = [(root, "standard library / other")]
    while stack:
        frame, inherited = stack.pop()
        category = _category(frame, inherited)
        own = frame.time - sum(child.time for child in frame.children)
        totals[category] = totals.get(category, 0.0) + max(own, 0.0)
        stack.extend((child, category) for child in frame.children)
    return dict(sorted(totals.items(), key=lambda item: -item[1]))


def format_summary(totals: dict[str, float], calls: int) -> str:
    """The per-category table: share of wall time and microseconds per call."""
    whole = sum(totals.values()) or 1.0
    lines = [f"Where the time of one register call goes ({calls} calls, self time by package):"]
    for category, seconds in totals.items():
        lines.append(f"  {category:<36} {seconds / whole:6.1%}  {seconds / calls * 1e6:8.0f} us/call")
    return "\n".join(lines)


def profile(calls: int, interval: float = 0.001) -> str:
    """The pyinstrument text report of `calls` register calls (after a warm-up), with a summary."""
    from pyinstrument import Profiler

    from modelarts_magic.client import ModelArtsClient
    from modelarts_magic.emulator.settings import DEMO

    with h.emulator_process() as emulator:
        emulator.reset()
        with ModelArtsClient(
            endpoint=emulator.url, project_id=DEMO.project_id, ak=DEMO.ak, sk=DEMO.sk
        ) as client:
            for index in range(50):
                client.register_image(swr_path=h.sandbox_path("warm", index))
            emulator.reset()
            profiler = Profiler(interval=interval)
            profiler.start()
            for index in range(calls):
                client.register_image(swr_path=h.sandbox_path("profiled", index))
            profiler.stop()
    text: str = profiler.output_text(unicode=False, color=False, show_all=False)
    session = profiler.last_session
    assert session is not None
    root = session.root_frame()
    totals = summary(root) if root is not None else {}
    return format_summary(totals, calls) + "\n" + text


def main(argv: Any = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1500, help="register calls profiled (default 1500)")
    parser.add_argument("--quick", action="store_true", help="300 calls")
    args = parser.parse_args(argv)
    text = profile(300 if args.quick else args.calls)
    h.RESULTS.mkdir(parents=True, exist_ok=True)
    path = h.RESULTS / "profile-register.txt"
    path.write_text(text)
    print(text)
    print(f"written to {path.relative_to(h.REPO)}")


if __name__ == "__main__":
    main()
