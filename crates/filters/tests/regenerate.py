#!/usr/bin/env python3
"""Regenerate the golden outputs of the filter corpus with real ansible-core.

Every `inputs/<name>.txt` holds a JSON context, a line `---`, and a template.
The template is rendered through ansible-core's own `Templar` (Jinja2 plus
Ansible's filter/test/lookup plugins) and the result is written to
`goldens/<name>.txt`:

* a string result is written as is;
* a native (non-string) result is written as Python's `str()` of it, which is
  what Ansible shows when such a value ends up in text;
* a failure is written as `!!!ERROR!!!` followed by the exception type and
  message (the Rust test only checks that rendering failed).

Run it with the oracle venv:

    crates/filters/tests/regenerate.sh            # from the repository root

The working directory of each render is `tests/fixtures` so `pipe`/`file`
lookups see the same files as the Rust test; `playbook_dir` is set to it too,
and `__FIXTURES__` in a context is replaced by that directory's path.
"""
import json
import os
import pathlib
import sys

from ansible._internal._datatag._tags import TrustedAsTemplate
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

HERE = pathlib.Path(__file__).resolve().parent
INPUTS = HERE / "inputs"
GOLDENS = HERE / "goldens"
FIXTURES = HERE / "fixtures"


def split_case(text: str) -> tuple[dict, str]:
    ctx, sep, template = text.partition("\n---\n")
    if not sep:
        raise ValueError("missing '---' separator")
    return json.loads(ctx), template.rstrip("\n")


def render(ctx: dict, template: str) -> str:
    loader = DataLoader()
    loader.set_basedir(str(FIXTURES))
    variables = {"playbook_dir": str(FIXTURES), **ctx}
    templar = Templar(loader=loader, variables=variables)
    try:
        result = templar.template(TrustedAsTemplate().tag(template))
    except Exception as exc:  # noqa: BLE001 - every failure becomes a golden
        message = str(exc).splitlines()[0] if str(exc) else ""
        return f"!!!ERROR!!!\n{type(exc).__name__}: {message}\n"
    return result if isinstance(result, str) else str(result)


def main() -> int:
    os.chdir(FIXTURES)
    GOLDENS.mkdir(exist_ok=True)
    wanted = set(sys.argv[1:])
    count = 0
    for path in sorted(INPUTS.glob("*.txt")):
        if wanted and path.stem not in wanted:
            continue
        text = path.read_text(encoding="utf-8").replace("__FIXTURES__", str(FIXTURES))
        ctx, template = split_case(text)
        out = render(ctx, template).replace(str(FIXTURES), "<FIXTURES>")
        (GOLDENS / path.name).write_text(out, encoding="utf-8")
        count += 1
    print(f"wrote {count} goldens", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
