"""The index audit as downloads: one CSV in long form, one XLSX with a sheet per check, both
through the formula-safe writer (surveys.spreadsheets)."""

from __future__ import annotations

from dataclasses import dataclass

from scoring.rules import engine
from scoring.rules.index_audit import WhatIf
from scoring.rules.vocabulary import Method
from scoring.selectors.index_audit import Audit
from surveys.spreadsheets import Sheet, csv_text, xlsx_bytes


@dataclass(frozen=True)
class Table:
    name: str  # the check, as the CSV's first column and the sheet's title
    header: list[str]
    rows: list[list]
    floats: frozenset[str] = frozenset()
    integers: frozenset[str] = frozenset()


def _r(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def _pct(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 2)


def audit_tables(audit: Audit, *, scenario: WhatIf | None = None) -> list[Table]:
    """Every table of the audit (and of a what-if, when given), in the page's order."""
    d = audit.data
    names = audit.names
    summary = [
        ["provinces", len(d.provinces)],
        ["provinces_compared", audit.compared],
        ["provinces_below_65_percent", sum(c.flagged for c in audit.coverage_provinces)],
        ["criteria_below_65_percent", sum(c.flagged for c in audit.coverage_criteria)],
        ["redundant_pairs", len(audit.redundant)],
        ["negative_pairs", len(audit.negative)],
    ]
    if audit.years is not None:
        summary += [["previous_year", d.previous.year],
                    ["provinces_ranked_both_years", audit.years.compared],
                    ["spearman_with_previous_year", _r(audit.years.spearman)]]
    if scenario is not None:
        summary += [["what_if_mean_absolute_rank_shift", _r(scenario.mean_shift)],
                    ["what_if_provinces_moved", scenario.moved]]
    tables = [
        Table("summary", ["measure", "value"], summary, floats=frozenset({"value"})),
        Table("coverage_province",
              ["province_code", "province_name", "components", "with_value", "provisional",
               "missing", "coverage_percent", "below_65_percent"],
              [[c.key, d.provinces.get(c.key, ""), c.total, c.valued, c.provisional, c.missing,
                _pct(c.share), "yes" if c.flagged else "no"] for c in audit.coverage_provinces],
              floats=frozenset({"coverage_percent"}),
              integers=frozenset({"components", "with_value", "provisional", "missing"})),
        Table("coverage_criterion",
              ["code", "name", "cells", "with_value", "provisional", "missing",
               "coverage_percent", "below_65_percent"],
              [[c.key, names.get(c.key, ""), c.total, c.valued, c.provisional, c.missing,
                _pct(c.share), "yes" if c.flagged else "no"] for c in audit.coverage_criteria],
              floats=frozenset({"coverage_percent"}),
              integers=frozenset({"cells", "with_value", "provisional", "missing"})),
        Table("area_coherence",
              ["code", "name", "criteria", "cronbach_alpha", "pearson_total", "spearman_total"],
              [[a.area.code, a.area.name, a.criteria, _r(a.alpha), _r(a.pearson_total),
                _r(a.spearman_total)] for a in audit.areas],
              floats=frozenset({"cronbach_alpha", "pearson_total", "spearman_total"}),
              integers=frozenset({"criteria"})),
        Table("criterion_correlation",
              ["code", "name", "area", "pearson_area", "spearman_area", "pearson_total",
               "spearman_total", "negative"],
              [[c.code, names.get(c.code, ""), c.parent, _r(c.pearson_area),
                _r(c.spearman_area), _r(c.pearson_total), _r(c.spearman_total),
                "yes" if c.negative else "no"] for c in audit.correlations],
              floats=frozenset({"pearson_area", "spearman_area", "pearson_total",
                                "spearman_total"})),
        Table("flagged_pairs", ["code_a", "code_b", "pearson", "flag"],
              [[a, b, _r(r), "redundant"] for a, b, r in audit.redundant]
              + [[a, b, _r(r), "negative"] for a, b, r in audit.negative],
              floats=frozenset({"pearson"})),
        Table("correlation_matrix", ["code", *audit.matrix_codes],
              [[code, *(_r(r) for r in row)] for code, row in zip(audit.matrix_codes,
                                                                  audit.matrix, strict=True)],
              floats=frozenset(audit.matrix_codes)),
    ]
    weight_rows = []
    for part, weights in (("total", audit.weights), (Method.APPRAISAL, audit.appraisal_weights),
                          (Method.SURVEY, audit.survey_weights), ("method", audit.method_weights)):
        for w in weights:
            weight_rows.append([part, w.code, names.get(w.code, ""), _pct(w.nominal),
                                _pct(w.effective), _r(w.r_squared)])
    tables.append(Table("effective_weights",
                        ["points", "code", "name", "nominal_percent", "effective_percent",
                         "r_squared"], weight_rows,
                        floats=frozenset({"nominal_percent", "effective_percent",
                                          "r_squared"})))
    if audit.years is not None:
        tables.append(Table("year_movers",
                            ["province_code", "province_name", "previous_rank", "rank"],
                            [[code, d.provinces.get(code, ""), before, now]
                             for code, before, now in audit.years.movers],
                            integers=frozenset({"previous_rank", "rank"})))
    if scenario is not None:
        tables.append(Table("what_if",
                            ["province_code", "province_name", "percent", "rank",
                             "published_rank", "shift"],
                            [[r.province, d.provinces.get(r.province, ""),
                              None if r.percent is None else float(engine.round2(r.percent)),
                              r.rank, r.published_rank, r.shift] for r in scenario.rows],
                            floats=frozenset({"percent"}),
                            integers=frozenset({"rank", "published_rank", "shift"})))
    return tables


NAME_COLUMNS = {"province_name", "name"}
CSV_HEADER = ["check", "code", "name", "measure", "value"]


def audit_csv(tables: list[Table]) -> str:
    """Every table in long form, one number per line: check, the row's code and name, the
    column and its value (empty where there is none)."""
    rows = []
    for table in tables:
        named = next((i for i, h in enumerate(table.header) if h in NAME_COLUMNS), None)
        for row in table.rows:
            name = row[named] if named is not None else ""
            for i, column in enumerate(table.header[1:], start=1):
                if i == named:
                    continue
                value = row[i]
                rows.append([table.name, row[0], name, column,
                             "" if value is None else value])
    return csv_text(CSV_HEADER, rows)


EXPLAINED = {  # column: (Vietnamese, English)
    "coverage_percent": ("Tỷ lệ tiêu chí thành phần có giá trị (%)",
                         "Share of components with a value (%)"),
    "below_65_percent": ("Dưới ngưỡng 65% của JRC", "Below the JRC's 65% threshold"),
    "cronbach_alpha": ("Hệ số alpha Cronbach của các tiêu chí trong lĩnh vực",
                       "Cronbach's alpha of the area's criteria"),
    "pearson_area": ("Tương quan Pearson với lĩnh vực", "Pearson correlation with its area"),
    "spearman_area": ("Tương quan hạng Spearman với lĩnh vực",
                      "Spearman rank correlation with its area"),
    "pearson_total": ("Tương quan Pearson với điểm tổng", "Pearson correlation with the total"),
    "spearman_total": ("Tương quan hạng Spearman với điểm tổng",
                       "Spearman rank correlation with the total"),
    "nominal_percent": ("Trọng số danh nghĩa: điểm tối đa ÷ tổng điểm (%)",
                        "Nominal weight: maximum points ÷ total (%)"),
    "effective_percent": ("Trọng số thực tế: cov(phần, tổng) ÷ var(tổng) (%)",
                          "Effective weight: cov(part, total) ÷ var(total) (%)"),
    "r_squared": ("Bình phương hệ số tương quan với tổng", "Squared correlation with the total"),
    "shift": ("Thay đổi hạng: hạng công bố − hạng mới (dương là tăng hạng)",
              "Rank shift: published rank − new rank (positive = moves up)"),
}


def audit_workbook(tables: list[Table]) -> bytes:
    """A sheet per table, and a sheet explaining the columns in Vietnamese and English."""
    sheets = [Sheet(t.name, t.header, t.rows, floats=t.floats, integers=t.integers)
              for t in tables]
    columns = sorted({h for t in tables for h in t.header} & set(EXPLAINED))
    sheets.append(Sheet("Giải thích - Columns", ["column", "ý nghĩa", "meaning"],
                        [[c, *EXPLAINED[c]] for c in columns]))
    return xlsx_bytes(sheets)
