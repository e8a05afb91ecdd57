"""How long the registration form takes to react to one keystroke (target: under 2 ms).

A keystroke is one change of a field's `value`, exactly what the front end sends with
`continuous_update`: the form's observer re-validates every field through the pydantic request
model, updates the notes next to the fields, the `n/512` counter and the buttons. Measured
headless (no kernel: comm messages go nowhere), typing an SWR address character by character and
appending to a description, with the other fields filled as a user would.

    python benchmarks/form_keystroke.py [--quick] [--json PATH]
"""

from __future__ import annotations

import sys
import time

from _harness import REPO, Row, emit, parser, per_call

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # run from a checkout that is not installed

TARGET_MS = 2.0
SWR = "swr.eu-de.otc.t-systems.com/my-team/pytorch_2_3:cuda12"


def main() -> None:
    """Type into the form and time each keystroke."""
    args = parser(__doc__.splitlines()[0]).parse_args()
    repeats = 5 if args.quick else 15
    calls = 100 if args.quick else 400

    from modelarts_magic.widgets import RegisterImageForm

    form = RegisterImageForm(
        initial={
            "arch": "X86_64",
            "services": ["NOTEBOOK", "SSH"],
            "resource_category": ["GPU"],
            "description": "PyTorch 2.3 with CUDA 12 for the team's training jobs",
        }
    )
    swr_field = form.fields["swr_path"]
    description = form.fields["description"]

    def type_swr(index: int) -> None:
        # Characters one at a time, starting again when the address is complete: every prefix,
        # so invalid states (no tag yet, an empty tag) are measured as often as valid ones.
        swr_field.value = SWR[: index % len(SWR) + 1]

    def type_description(index: int) -> None:
        description.value = "x" * (index % 500 + 1)

    rows = []
    for key, what, call in (
        ("form_keystroke_swr_path", "form: one keystroke in swr_path (validate all fields)", type_swr),
        ("form_keystroke_description", "form: one keystroke in description (counter too)", type_description),
    ):
        stats = per_call(call, calls, repeats, clock=time.perf_counter, scale=1e3, unit="ms")
        rows.append(
            Row(
                key=key,
                what=what,
                ours=stats,
                target=f"< {TARGET_MS:g} ms",
                passed=stats.median < TARGET_MS,
                note="headless ipywidgets 8, no kernel; the trait change runs the form's observer",
            )
        )
    # The validation alone, for the record: how much of a keystroke is the pydantic model.
    rows.append(
        Row(
            key="form_validate_only",
            what="form.validate() alone",
            ours=per_call(lambda _i: form.validate(), calls, repeats),
            target=f"< {TARGET_MS:g} ms",
            passed=None,
        )
    )
    emit(rows, args)


if __name__ == "__main__":
    main()
