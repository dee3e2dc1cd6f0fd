"""Export tables as XLSX for analysts, through the one formula-safe writer (surveys.spreadsheets).

The CSV files keep the spec's exact columns. The XLSX workbook adds what a reader
of a spreadsheet needs beside them: the province's name on every sheet, the node's
name beside its code, a sheet explaining every column in Vietnamese and English,
and for SIPAS items the question each item reads.
"""

from __future__ import annotations

from scoring.models import Index, Node, Source
from scoring.rules.vocabulary import IndexKind, Level
from surveys.models import Province
from surveys.spreadsheets import Sheet, xlsx_bytes

NUMERIC = {"points", "max_points", "percent", "delta_points", "delta_percent", "ci_low",
           "ci_high", "ci_mc_low", "ci_mc_high"}
INTEGER = {"rank", "delta_rank", "valid_answers", "ci_answers", "rank_median", "rank_low",
           "rank_high",
           "rank_group", "flagged_submissions", "excluded_submissions"}

COLUMNS = {  # column: (Vietnamese, English)
    "province_code": ("Mã tỉnh, thành phố (mã TCTK)", "Province code (GSO)"),
    "province_name": ("Tên tỉnh, thành phố", "Province name"),
    "code": ("Mã lĩnh vực, tiêu chí, tiêu chí thành phần (PAR) hoặc phần, yếu tố, câu hỏi "
             "(SIPAS)", "Code of the area, criterion, component (PAR) or part, element, item "
                        "(SIPAS)"),
    "name": ("Tên của mã bên trái", "Name of the code on its left"),
    "points": ("Điểm đạt được", "Points scored"),
    "max_points": ("Điểm tối đa", "Maximum points"),
    "percent": ("Tỷ lệ phần trăm: điểm ÷ điểm tối đa × 100 (PAR); tỷ lệ hài lòng (SIPAS)",
                "Percent: points ÷ maximum × 100 (PAR); share satisfied (SIPAS)"),
    "rank": ("Thứ hạng theo điểm tổng làm tròn 2 chữ số; đồng hạng thì hạng sau bị bỏ qua",
             "Rank by the total rounded to 2 decimals; ties share a rank and the next skips"),
    "group": ("Nhóm xếp loại (A, B, C…) theo tỷ lệ phần trăm",
              "Classification group (A, B, C…) by the percent"),
    "delta_points": ("Thay đổi điểm so với năm trước (làm tròn một lần từ giá trị chính xác)",
                     "Change in points on the previous year (rounded once, from exact values)"),
    "delta_percent": ("Thay đổi tỷ lệ so với năm trước", "Change in percent on the previous year"),
    "delta_rank": ("Thay đổi hạng: hạng năm trước − hạng năm nay (dương là tăng hạng)",
                   "Change in rank: last year's rank − this year's (positive = moved up)"),
    "delta_basis": ("Cơ sở so sánh: same_set (cùng danh sách tỉnh), crosswalk (quy đổi theo "
                    "địa giới mới, 2025), trống nếu không có thay đổi",
                    "Basis of the change: same_set (same provinces), crosswalk (converted to "
                    "the new boundaries, 2025), empty where there is none"),
    "flags": ("Cảnh báo: provisional (dùng điểm tự đánh giá), missing (thiếu dữ liệu)",
              "Flags: provisional (self-assessed score used), missing (no data)"),
    "valid_answers": ("Số câu trả lời hợp lệ", "Number of valid answers"),
    "ci_low": ("Cận dưới khoảng tin cậy 95%", "Lower end of the 95% interval"),
    "ci_high": ("Cận trên khoảng tin cậy 95%", "Upper end of the 95% interval"),
    "ci_estimate": ("Ước lượng mà khoảng tin cậy thuộc về: published (số công bố, không gia "
                    "quyền)", "The estimate the interval belongs to: published (the published, "
                                "unweighted number)"),
    "ci_method": ("Cách tính khoảng: bootstrap (phân vị bootstrap), wilson (khoảng điểm Wilson "
                  "có hiệu chỉnh liên tục, cho mẫu nhỏ), none (không có câu trả lời hợp lệ)",
                  "How the interval was made: bootstrap (percentile bootstrap), wilson (Wilson "
                  "score interval with continuity correction, for small samples), none (no "
                  "valid answer)"),
    "ci_design": ("Đơn vị được lấy mẫu lại: respondents (người trả lời), psu (đơn vị mẫu cấp "
                  "1, Rao–Wu), mixed (đơn vị mẫu nơi có ghi, người trả lời nơi khác)",
                  "What the bootstrap resampled: respondents, psu (primary sampling units, "
                  "Rao–Wu), mixed (units where recorded, respondents elsewhere)"),
    "ci_answers": ("Số câu trả lời hợp lệ mà số liệu dựa vào (trên cấp câu hỏi: số hiệu dụng); "
                   "dưới 30 là mẫu nhỏ", "Valid answers the number rests on (above the items: "
                                         "the effective number); under 30 is a small sample"),
    "ci_mc_low": ("Sai số Monte Carlo (độ lệch chuẩn) của cận dưới",
                  "Monte Carlo error (standard error) of the lower end"),
    "ci_mc_high": ("Sai số Monte Carlo (độ lệch chuẩn) của cận trên",
                   "Monte Carlo error (standard error) of the upper end"),
    "rank_median": ("Hạng trung vị qua các lần lặp bootstrap", "Median rank over the replicates"),
    "rank_low": ("Hạng ở phân vị 2,5 (khoảng hạng 95%)",
                 "Rank at the 2.5th percentile (95% rank interval)"),
    "rank_high": ("Hạng ở phân vị 97,5 (khoảng hạng 95%)",
                  "Rank at the 97.5th percentile (95% rank interval)"),
    "rank_group": ("Nhóm: không tỉnh nào trong nhóm phân biệt được với tỉnh đứng đầu nhóm (tỉnh "
                   "đầu nhóm cao hơn trong dưới 95% số lần lặp)",
                   "Group: no province of the group is distinguishable from the group's first "
                   "(the first is higher in fewer than 95% of the replicates)"),
    "flagged_submissions": ("Số phiếu bị gắn cờ", "Flagged submissions"),
    "excluded_submissions": ("Số phiếu bị loại", "Excluded submissions"),
}


def scores_workbook(index: Index, level: str, header: list[str], rows: list[list], *,
                    title: str) -> bytes:
    """The export table for a spreadsheet: names beside codes, and the explanation sheets."""
    header, rows = list(header), [list(r) for r in rows]
    if "province_name" not in header:
        names = dict(Province.objects.filter(province_set_id=index.province_set_id)
                     .values_list("code", "name_vi"))
        header.insert(1, "province_name")
        for row in rows:
            row.insert(1, names.get(row[0], ""))
    if "code" in header:
        nodes = dict(Node.objects.filter(index=index).values_list("code", "name_vi"))
        at = header.index("code") + 1
        header.insert(at, "name")
        for row in rows:
            row.insert(at, nodes.get(row[at - 1], ""))
    sheets = [Sheet(title, header, rows, decimals=NUMERIC, integers=INTEGER)]
    explained = [[name, *COLUMNS.get(name, ("", ""))] for name in header]
    sheets.append(Sheet("Giải thích - Columns", ["column", "ý nghĩa", "meaning"], explained))
    if index.kind == IndexKind.SIPAS and level == "item":
        sheets.append(Sheet("Câu hỏi - Questions",
                            ["item", "questionnaire", "question", "câu hỏi", "question text"],
                            item_questions(index)))
    return xlsx_bytes(sheets)


def item_questions(index: Index) -> list[list[str]]:
    """Each SIPAS item beside the question it reads (codes and texts in both languages)."""
    return [[s.node.code, s.question.questionnaire.code, s.question.code, s.question.text_vi,
             s.question.text_en]
            for s in Source.objects.filter(node__index=index, node__level=Level.LEAF)
            .select_related("node", "question__questionnaire").order_by("node__position")]
