"""Against what analysts do today: pandas computing SIPAS from a CSV export, vs the product.

    .venv/bin/python bench/pandas_compare.py              # parindex_b1 (seeded if empty)
    .venv/bin/python bench/pandas_compare.py --scale 10

The analyst's way: export the raw submissions of `sipas-2024` as CSV (the product's
`export_submissions`, timed once), then, in pandas, read the file and compute every
province's item, element, part and overall percentages by the published method (an
item is the share of substantive answers at or above the threshold; each level up is
the plain mean of the children that have a value), rounded half up to 2 decimals.
The product's way: `compute_scores --index sipas-2024`, a full recompute from the raw
answers in the database. The two are run alternately, --repeat times each.

Every one of the pandas numbers is checked against the product's stored result,
rounded to 2 decimals; the script exits 1 if any differs.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

from _common import (
    DATABASES,
    Row,
    alternate,
    ensure_seeded,
    machine,
    median,
    setup_django,
    stamp,
    table,
    timed,
)

INDEX = "sipas-2024"


def analyst_numbers(path: Path, items: dict[str, tuple[str, str, int]],
                    substantive: dict[str, list[int]], parents: dict[str, str]):
    """Every province's percent per node code, computed from the CSV export with pandas."""
    import pandas as pd

    questions = sorted({q for q, _, _ in items.values()})
    frame = pd.read_csv(path, usecols=["province_code", *questions],
                        dtype={"province_code": str})
    long = frame.melt(id_vars="province_code", var_name="question",
                      value_name="value").dropna()
    long["value"] = long["value"].astype(int)
    valid = pd.DataFrame([(q, v) for q, values in substantive.items() for v in values],
                         columns=["question", "value"])
    long = long.merge(valid, on=["question", "value"])  # substantive answers only
    item_rows = pd.DataFrame([(code, q, parent, threshold)
                              for code, (q, parent, threshold) in items.items()],
                             columns=["node", "question", "parent", "threshold"])
    long = long.merge(item_rows, on="question")
    long["top"] = long["value"] >= long["threshold"]
    level = (long.groupby(["province_code", "node", "parent"])["top"].mean() * 100
             ).reset_index(name="percent")
    out = [level[["province_code", "node", "percent"]]]
    while True:  # element, part, total: plain means of the children with a value
        level = (level.groupby(["province_code", "parent"])["percent"].mean()
                 .reset_index().rename(columns={"parent": "node"}))
        level["parent"] = level["node"].map(parents)
        out.append(level[["province_code", "node", "percent"]])
        if level["parent"].isna().all():
            break
    result = pd.concat(out)
    result["rounded"] = (result["percent"] * 100 + 0.5).floordiv(1) / 100
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, choices=sorted(DATABASES), default=1)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    setup_django(DATABASES[args.scale])
    ensure_seeded(args.scale)

    from django.core.management import call_command

    from scoring.models import Index, NodeResult
    from scoring.rules import engine
    from surveys.models import ScaleOption

    index = Index.objects.get(code=INDEX)
    questionnaire = index.nodes.filter(level=3).values_list(
        "sources__question__questionnaire__code", flat=True).first()
    items, parents = {}, {}
    for code, parent, level, threshold, question in index.nodes.order_by(
            "position").values_list("code", "parent__code", "level", "threshold",
                                    "sources__question__code"):
        parents[code] = parent  # None for the root
        if level == 3:
            items[code] = (question, parent, threshold)
    scales = dict(index.nodes.filter(level=3).values_list(
        "sources__question__code", "sources__question__scale_id"))
    substantive: dict[str, list[int]] = {q: [] for q in scales}
    options = ScaleOption.objects.filter(scale_id__in=set(scales.values()), substantive=True)
    by_scale: dict[int, list[int]] = {}
    for scale_id, value in options.values_list("scale_id", "value"):
        by_scale.setdefault(scale_id, []).append(value)
    for q, scale_id in scales.items():
        substantive[q] = by_scale.get(scale_id, [])

    path = Path(tempfile.mkdtemp(prefix="parindex-pandas-")) / f"{questionnaire}.csv"
    export_seconds = timed(lambda: call_command(
        "export_submissions", questionnaire=questionnaire, output=str(path)))
    with open(path, encoding="utf-8") as exported:
        rows = sum(1 for _ in exported) - 1
    print(f"{INDEX}: exported {rows:,} submissions of {questionnaire} in "
          f"{export_seconds:.1f} s ({path.stat().st_size / 2**20:.0f} MB); {machine()}",
          flush=True)

    result = {}

    def analyst() -> None:
        result["frame"] = analyst_numbers(path, items, substantive, parents)

    def product() -> None:
        call_command("compute_scores", index=INDEX, stdout=io.StringIO())

    analyst()
    product()  # warm-up of both
    times = alternate({"pandas": analyst, "compute_scores": product}, args.repeat)

    stored = {
        (p, n or ""): engine.round2(percent)
        for p, n, percent in NodeResult.objects.filter(index=index).values_list(
            "province__code", "node__code", "percent")
    }
    frame = result["frame"]
    computed = {(p, n if isinstance(n, str) else ""): Decimal(f"{r:.2f}")
                for p, n, r in frame[["province_code", "node", "rounded"]].itertuples(
                    index=False)}
    compared = set(stored) & set(computed)
    differing = sorted(k for k in compared if stored[k] != computed[k])
    missing = sorted(set(stored) ^ set(computed))
    pandas_s, product_s = median(times["pandas"]), median(times["compute_scores"])
    path.unlink()
    path.parent.rmdir()

    table(f"Product vs pandas on a CSV export, {INDEX} at {args.scale}× ({stamp()}, "
          f"{machine()})", [
              Row(f"export_submissions --questionnaire {questionnaire} ({rows:,} rows)",
                  f"{export_seconds:.2f} s"),
              Row("pandas: read the CSV, compute every province's numbers "
                  f"(median of {args.repeat})", f"{pandas_s:.2f} s"),
              Row(f"compute_scores --index {INDEX} from the database "
                  f"(median of {args.repeat})", f"{product_s:.2f} s"),
              Row("ratio pandas / compute_scores (export not counted)",
                  f"{pandas_s / product_s:.2f} ×", "report"),
              Row("ratio (export + pandas) / compute_scores",
                  f"{(export_seconds + pandas_s) / product_s:.2f} ×", "report"),
              Row("numbers equal to 2 decimals",
                  f"{len(compared) - len(differing):,} of {len(stored):,}"
                  + (f"; differing {differing[:3]}" if differing else "")
                  + (f"; missing on one side {missing[:3]}" if missing else ""),
                  "all", not differing and not missing),
          ])
    return 0 if not differing and not missing else 1


if __name__ == "__main__":
    sys.exit(main())
