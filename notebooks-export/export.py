#!/usr/bin/env python3
"""Write analysis.ipynb from analysis.py (the source of truth), or check that they agree.

Usage: python export.py [--check]

analysis.py is split into cells at lines starting with "# %%" (the "percent" format Jupyter
editors and jupytext read): "# %% [markdown]" starts a Markdown cell whose lines lose their
leading "# ", "# %% Title" a code cell titled "Title". The notebook is nbformat 4.5 with no
outputs and fixed cell ids, so equal sources give byte-equal notebooks and --check (used by
check.sh) can compare bytes. Needs only the standard library.
"""
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "analysis.py"
NOTEBOOK = HERE / "analysis.ipynb"


def split_cells(text):
    cells, kind, title, lines = [], None, None, []

    def flush():
        body = list(lines)
        while body and not body[-1].strip():
            body.pop()
        while body and not body[0].strip():
            body.pop(0)
        if kind is not None and body:
            cells.append((kind, title, body))

    for line in text.splitlines():
        if line.startswith("# %%"):
            flush()
            rest = line[4:].strip()
            kind = "markdown" if rest.startswith("[markdown]") else "code"
            title = rest if kind == "code" and rest else None
            lines = []
        else:
            lines.append(line)
    flush()
    return cells


def notebook(text):
    out = []
    for i, (kind, title, body) in enumerate(split_cells(text)):
        if kind == "markdown":
            body = [line[2:] if line.startswith("# ") else line.lstrip("#") for line in body]
        source = [line + "\n" for line in body[:-1]] + [body[-1]]
        cell = {"cell_type": kind, "id": f"cell-{i:02d}", "metadata": {}, "source": source}
        if title:
            cell["metadata"]["title"] = title
        if kind == "code":
            cell["execution_count"] = None
            cell["outputs"] = []
        out.append(cell)
    return {
        "cells": out,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python", "pygments_lexer": "ipython3"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def main():
    text = json.dumps(notebook(SOURCE.read_text(encoding="utf-8")), indent=1, ensure_ascii=False) + "\n"
    if "--check" in sys.argv[1:]:
        if not NOTEBOOK.exists() or NOTEBOOK.read_text(encoding="utf-8") != text:
            sys.exit(f"{NOTEBOOK.name} is out of date with {SOURCE.name}: run python {Path(__file__).name}")
        print(f"{NOTEBOOK.name} matches {SOURCE.name}")
        return
    NOTEBOOK.write_text(text, encoding="utf-8")
    print(f"wrote {NOTEBOOK}")


if __name__ == "__main__":
    main()
