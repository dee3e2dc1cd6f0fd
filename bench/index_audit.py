"""The index audit's what-if explorer for the 63 provinces of par-2024: target under 200 ms.

    .venv/bin/python bench/index_audit.py                 # parindex_audit (seeded if empty)
    .venv/bin/python bench/index_audit.py --repeat 30

The what-if works on stored results only (criterion points, never answers), so the
number of submissions behind them does not matter: the script seeds a small demo
(`seed_demo --scale 0.01`) into its own database and computes every index. Timed,
alternately, `--repeat` times each:

- the baseline: `selectors.province_ranking` (the ranking page's read of the same index);
- the what-if as the explorer runs it: read the stored results (`audit_data`) and
  re-rank every province under changed area weights and a left-out criterion;
- the what-if arithmetic alone, on results already read;
- the whole audit page with a what-if, through Django's test client (DEBUG off).

The script exits 1 if the what-if with the definition's weights does not give back the
stored ranking exactly, or if the what-if (read and re-rank) takes 200 ms or more.
"""

from __future__ import annotations

import argparse
import io
import sys

from _common import Row, alternate, machine, median, setup_django, stamp, table

DATABASE = "parindex_audit"
INDEX = "par-2024"
TARGET_MS = 200


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    setup_django(DATABASE)
    from django.conf import settings
    from django.core.management import call_command

    from scoring.models import Index, NodeResult
    from surveys.models import Submission

    call_command("migrate", "--noinput", verbosity=0)
    if not Submission.objects.exists() or not NodeResult.objects.filter(
            index__code=INDEX).exists():
        print("seeding the demo at scale 0.01 and computing every index…", flush=True)
        call_command("seed_demo", "--scale", "0.01", stdout=io.StringIO())
        call_command("compute_scores", "--all", stdout=io.StringIO())
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["*"]

    from django.contrib.auth import get_user_model
    from django.test import Client

    from scoring import selectors
    from scoring.models import Role, StaffRole
    from scoring.selectors import index_audit as index_audit_reads

    index = Index.objects.get(code=INDEX)
    data = index_audit_reads.audit_data(index)
    nominal = data.nominal_weights()
    unchanged = index_audit_reads.what_if(data, weights=nominal)
    stored = {r.province: r.rank for r in unchanged.rows}
    same = stored == data.ranks and unchanged.moved == 0
    provinces = len(data.provinces)
    changed = dict(nominal)
    first = data.areas[0].code
    changed[first] = nominal[first] * 2
    dropped = frozenset({data.criteria[-1].code})

    def ranking():
        selectors.province_ranking(index)

    def what_if_read():
        fresh = index_audit_reads.audit_data(index, levels=index_audit_reads.WHAT_IF_LEVELS)
        index_audit_reads.what_if(fresh, weights=changed, dropped=dropped)

    def what_if_only():
        index_audit_reads.what_if(data, weights=changed, dropped=dropped)

    user, _ = get_user_model().objects.get_or_create(username="bench-reviewer")
    StaffRole.objects.get_or_create(user=user, defaults={"role": Role.REVIEWER})
    client = Client()
    client.force_login(user)
    query = {f"w-{a.code}": f"{float(w):g}" for a, w in zip(data.areas, changed.values(),
                                                             strict=True)}
    query["drop"] = next(iter(dropped))
    query["version"] = "current"

    def page():
        response = client.get(f"/review/{INDEX}/index-audit/", query)
        assert response.status_code == 200

    runs = {"ranking read (baseline)": ranking, "what-if: read results and re-rank":
            what_if_read, "what-if arithmetic alone": what_if_only, "audit page with a what-if":
            page}
    for fn in runs.values():  # warm-up
        fn()
    times = alternate(runs, args.repeat)
    ms = {name: 1000 * median(t) for name, t in times.items()}
    met = ms["what-if: read results and re-rank"] < TARGET_MS
    table(f"Index audit what-if, {INDEX}, {provinces} provinces ({stamp()}; {machine()})", [
        Row("ranking read (baseline), median", f"{ms['ranking read (baseline)']:.0f} ms"),
        Row("what-if: read stored results and re-rank, median",
            f"{ms['what-if: read results and re-rank']:.0f} ms", f"< {TARGET_MS} ms", met),
        Row("what-if arithmetic alone (exact fractions), median",
            f"{ms['what-if arithmetic alone']:.0f} ms"),
        Row("audit page with a what-if (every check), median",
            f"{ms['audit page with a what-if']:.0f} ms"),
        Row("definition's weights give the stored ranks", "yes" if same else "**no**", "yes",
            same),
    ])
    print(f"area {first} weight doubled to {changed[first]}, criterion {next(iter(dropped))} "
          f"left out: mean absolute rank shift "
          f"{index_audit_reads.what_if(data, weights=changed, dropped=dropped).mean_shift:.2f}")
    return 0 if same and met else 1


if __name__ == "__main__":
    sys.exit(main())
