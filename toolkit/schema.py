"""The master workbook contract (``shared/spec/workbook.md``) as data.

Every other module — the template builder, the reader, the checks, the writer, the documents — reads the
sheets, tables, headers, kinds and vocabularies from here. A header is spelled once, in this file.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cached_property
from datetime import date
from typing import Literal

Kind = Literal[
    "text",  # free text; numbers typed into it stay text (法人番号 keeps its digits)
    "id",  # an identifier: text, NFKC-normalised, no spaces
    "yen",  # an integer amount of yen: 120,000 / ¥120,000 / 12万円 / △5,000
    "int",  # a whole count: 12 / １２人
    "number",  # a decimal quantity: hours, workers
    "date",  # a calendar date: Excel date, 2025/9/15, 令和7年9月15日, R7.9.15
    "datetime",  # a moment: Excel date-time, 2025/9/15 10:30
    "choice",  # one value of a vocabulary
    "email",  # an e-mail address
    "url",  # a web address
]

BUSINESS_AREAS = (
    "人事", "経理", "グループウェア", "販売促進", "生産管理",
    "コミュニケーション", "取引管理", "情報管理", "経営分析", "業務自動化",
)
COST_CLOUD = "クラウドサービス経費"
COST_SETUP = "サポート費（設定費用）"
COST_CONSULTING = "サポート費（コンサル・訪問費用等）"
COST_COMMON = "共通経費"

VOCABULARIES: dict[str, tuple[str, ...]] = {
    "業務分類": BUSINESS_AREAS,
    "費目": (COST_CLOUD, COST_SETUP, COST_CONSULTING, COST_COMMON),
    "形態": ("対面", "オンライン", "電話・メール"),
    "区分": ("基準", "実績", "暫定"),  # 暫定: a 試算表 standing in for a 決算書 not filed in time (status.md)
    "種別": ("説明会・ワークショップ", "成果共有会", "その他"),
    "出欠": ("申込", "出席", "欠席"),
    "出典（出欠）": ("Forms", "Teams", "手入力"),
    "出典（利用実績）": ("ヒアリング", "Forms", "ログ"),
    "状態": ("検証中", "導入済", "中止"),
    "取組段階": ("1", "2", "3", "4"),
    "負担区分": ("委託料", "受託者"),
    "区分（課題）": ("課題", "リスク", "要件指摘", "変更"),
    "状態（課題）": ("未着手", "対応中", "完了"),
    "継続判断": ("継続", "解約", "検討中"),
}

# The vocabulary values the rules compare against, spelled once (unpacked so a changed list fails at import).
FORM_VISIT = VOCABULARIES["形態"][0]  # 対面: the first visit's rule (原則対面)
PERIOD_BASE, PERIOD_ACTUAL, PERIOD_PROVISIONAL = VOCABULARIES["区分"]  # before support, after it, a 試算表
STATE_TRIAL = VOCABULARIES["状態"][0]  # 検証中: still being tried; undecided once its 終了日 has passed
STATE_STOPPED = VOCABULARIES["状態"][2]  # 中止: costs nothing and adopts nothing
STATUS_APPLIED, STATUS_PRESENT, STATUS_ABSENT = VOCABULARIES["出欠"]
BORNE_BY_CONTRACTOR = VOCABULARIES["負担区分"][1]  # 受託者: never against the 委託料 or a cap
ISSUE_DONE = VOCABULARIES["状態（課題）"][2]  # 完了
KEEP, CANCEL, UNDECIDED = VOCABULARIES["継続判断"]  # after the free period: 継続 costs the company a year's fees
DECIDED = (KEEP, CANCEL)  # a trial past its end with one of these needs nothing more

# Defined names on the hidden lists sheet that the drop-downs point at (ASCII: Excel names cannot start with
# every Japanese character in every locale, and a name never shown to staff need not be Japanese).
VOCABULARY_NAMES: dict[str, str] = {
    "業務分類": "list_business_area",
    "費目": "list_cost_line",
    "形態": "list_support_form",
    "区分": "list_financial_period",
    "種別": "list_event_kind",
    "出欠": "list_attendance",
    "出典（出欠）": "list_attendance_source",
    "出典（利用実績）": "list_usage_source",
    "状態": "list_subscription_state",
    "取組段階": "list_stage",
    "負担区分": "list_bearer",
    "区分（課題）": "list_issue_kind",
    "状態（課題）": "list_issue_state",
    "継続判断": "list_decision",
}
LISTS_SHEET = "リスト"


@dataclass(frozen=True)
class Column:
    header: str
    key: str  # the attribute name on the record (model.py)
    kind: Kind = "text"
    required: bool = False
    vocabulary: str | None = None  # key of VOCABULARIES, for kind "choice"
    width: float | None = None  # column width in the template, in characters
    # An optional column a figure reads (a budget, KPI or document total). An unreadable value in it is an error
    # that leaves its row out, and the column's absence refuses the figure, as for a required column; any other
    # optional column only warns.
    figure: bool = False
    # A column added in a later round that a figure reads (負担区分): a bad value is an error as for any figure
    # column, but a book without the column keeps working (every row has the default).
    added: bool = False

    @property
    def needed(self) -> bool:
        """A bad value in this column leaves its row out of the figures."""
        return self.required or self.figure

    @property
    def refuses_when_absent(self) -> bool:
        """A figure cannot be computed without this column."""
        return self.needed and not self.added


@dataclass(frozen=True)
class Table:
    sheet: str
    name: str  # the Excel Table (ListObject) name
    columns: tuple[Column, ...]
    id_column: str | None = None  # header of the column whose values are unique
    owned: bool = False  # written only by the toolkit
    optional: bool = False  # added later (課題): a book without the sheet keeps working, nothing reads it as missing

    @cached_property  # read per row by the sync's row building: made once
    def headers(self) -> tuple[str, ...]:
        return tuple(c.header for c in self.columns)

    def column(self, header: str) -> Column:
        for c in self.columns:
            if c.header == header:
                return c
        raise KeyError(header)

    def header(self, key: str) -> str:
        """The header of the column whose record attribute is ``key`` (code names columns by key)."""
        for c in self.columns:
            if c.key == key:
                return c.header
        raise KeyError(key)


def _c(header: str, key: str, kind: Kind = "text", required: bool = False, vocabulary: str | None = None,
       width: float | None = None, figure: bool = False, added: bool = False) -> Column:
    if vocabulary is not None and kind == "text":
        kind = "choice"
    return Column(header, key, kind, required, vocabulary, width, figure, added)


SETTINGS = Table("設定", "Settings", (
    _c("項目", "item", required=True, width=28),
    _c("値", "value", width=48, figure=True),
), id_column="項目")

COMPANIES = Table("企業", "Companies", (
    _c("企業ID", "company_id", "id", True, width=10),
    _c("企業名", "name", required=True, width=28),
    _c("法人番号", "corporate_number", width=16),
    _c("業種", "industry", width=16),
    _c("所在地", "address", width=28),
    _c("従業員数", "employees", "int", width=10),
    _c("取組段階", "stage", "choice", vocabulary="取組段階", width=10),
    _c("担当コンサルタント", "consultant", width=16),
    _c("連絡先氏名", "contact_name", width=14),
    _c("連絡先メール", "contact_email", "email", width=28),
    _c("決算月", "closing_month", "int", width=8),
    _c("経費上限", "cap", "yen", width=12, figure=True),
    _c("上限変更の協議記録", "cap_agreement", width=28),
    _c("備考", "note", width=24),
    _c("導入の効果", "effects", width=40),
    _c("今後の課題", "future_issues", width=40),
    # Added for the improvement plan (documents.md: add a column rather than leave a section empty).
    _c("支援後の取組段階", "stage_after", "choice", vocabulary="取組段階", width=12),
    _c("現状と課題", "challenges", width=40),
), id_column="企業ID")

SERVICES = Table("サービス", "Services", (
    _c("サービスID", "service_id", "id", True, width=10),
    _c("サービス名", "name", required=True, width=24),
    _c("提供事業者", "vendor", width=20),
    _c("業務分類", "area", "choice", True, "業務分類", width=16),
    _c("料金単位", "price_unit", width=12),
    _c("単価", "unit_price", "yen", width=10),
    _c("初期費用", "initial_fee", "yen", width=10),
    _c("URL", "url", "url", width=30),
    _c("備考", "note", width=24),
), id_column="サービスID")

SUBSCRIPTIONS = Table("導入", "Subscriptions", (
    _c("導入ID", "subscription_id", "id", True, width=10),
    _c("企業ID", "company_id", "id", True, width=10),
    _c("サービスID", "service_id", "id", True, width=10),
    _c("利用領域", "area", "choice", True, "業務分類", width=16),
    _c("数量", "quantity", "int", width=8),
    _c("開始日", "start", "date", True, width=12),
    _c("終了日", "end", "date", width=12, figure=True),
    _c("月額費用", "monthly_fee", "yen", width=12, figure=True),
    _c("初期費用", "initial_fee", "yen", width=12, figure=True),
    _c("状態", "state", "choice", vocabulary="状態", width=10, figure=True),
    # Added for the closing documents (workbook.md): what the company does after the free period.
    _c("継続判断", "decision", "choice", vocabulary="継続判断", width=10),
), id_column="導入ID")

EXPENSES = Table("経費", "Expenses", (
    _c("経費ID", "expense_id", "id", True, width=10),
    _c("計上日", "date", "date", True, width=12),
    _c("企業ID", "company_id", "id", width=10, figure=True),
    _c("費目", "line", "choice", True, "費目", width=30),
    _c("金額", "amount", "yen", True, width=12),
    _c("摘要", "description", width=32),
    _c("証憑番号", "voucher", width=12),
    # Added for the year-long operation (workbook.md): who bears the amount (empty = 委託料), and the meeting
    # that decided a contractor-borne one.
    _c("負担区分", "bearer", "choice", vocabulary="負担区分", width=10, figure=True, added=True),
    _c("会議ID", "meeting_id", "id", width=10),
), id_column="経費ID")

SUPPORT_LOG = Table("支援記録", "SupportLog", (
    _c("記録ID", "record_id", "id", True, width=10),
    _c("企業ID", "company_id", "id", True, width=10),
    _c("支援日", "date", "date", True, width=12),
    _c("形態", "form", "choice", True, "形態", width=12),
    _c("担当者", "staff", width=14),
    _c("時間", "hours", "number", width=8, figure=True),
    _c("支援内容", "content", width=48),
    _c("提供資料", "materials", width=28),
    _c("次回予定", "next_plan", width=20),
    _c("次回予定日", "next_date", "date", width=12),  # the next visit agreed: overdue when past (status.md)
    # Added for hand-over (seed 5(2)イ): the materials (paths relative to the book, or SharePoint/OneDrive links,
    # one per line), the times of the visit, and who at the company confirmed the record and when.
    _c("資料リンク", "links", width=36),
    _c("開始時刻", "start_time", width=10),
    _c("終了時刻", "end_time", width=10),
    _c("企業確認", "confirmed_by", width=24),
), id_column="記録ID")

USAGE_DAYS = Table("利用実績", "UsageDays", (
    _c("企業ID", "company_id", "id", True, width=10),
    _c("サービスID", "service_id", "id", True, width=10),
    _c("利用領域", "area", "choice", True, "業務分類", width=16),
    _c("利用日", "date", "date", True, width=12),
    _c("アカウント", "account", width=20),
    _c("出典", "source", "choice", vocabulary="出典（利用実績）", width=12),
    _c("回答ID", "response_id", width=14),
))

FINANCIALS = Table("決算", "Financials", (
    _c("企業ID", "company_id", "id", True, width=10),
    _c("区分", "period", "choice", True, "区分", width=8),
    _c("決算期末", "period_end", "date", True, width=12),
    _c("営業利益", "operating_profit", "yen", True, width=14),
    _c("人件費", "personnel_cost", "yen", True, width=14),
    _c("減価償却費", "depreciation", "yen", True, width=14),
    _c("労働者数", "workers", "number", width=10, figure=True),
    _c("総就業時間", "total_hours", "number", width=12, figure=True),
    _c("対象期間", "span", width=24),  # a 暫定 basis's months, e.g. 令和7年9月〜令和8年2月 (workbook.md)
))

PLAN_ITEMS = Table("改善計画", "PlanItems", (
    _c("企業ID", "company_id", "id", True, width=10),
    _c("年度", "fiscal_year", "int", True, width=8),
    _c("業務分野", "area", "choice", True, "業務分類", width=16),
    _c("取組内容", "action", required=True, width=40),
    _c("目標", "target", width=28),
    _c("実施時期", "timing", width=14),
    _c("見直しの観点", "review", width=24),
    _c("担当", "owner", width=12),
))

EVENTS = Table("イベント", "Events", (
    _c("イベントID", "event_id", "id", True, width=10),
    _c("種別", "kind", "choice", True, "種別", width=22),
    _c("名称", "name", required=True, width=30),
    _c("開催日", "date", "date", True, width=12),
    _c("形式", "style", width=12),
    _c("会場", "venue", width=20),
    _c("Teams会議URL", "teams_url", "url", width=30),
    _c("フォーム結果URL", "form_url", "url", width=30),
    _c("実施内容", "content", width=40),
    _c("成果・意見", "outcomes", width=40),
), id_column="イベントID")

ATTENDANCE = Table("出欠", "Attendance", (
    _c("イベントID", "event_id", "id", True, width=10),
    _c("企業ID", "company_id", "id", width=10, figure=True),
    _c("氏名", "name", required=True, width=14),
    _c("メール", "email", "email", width=28),
    _c("出欠", "status", "choice", True, "出欠", width=8),
    _c("参加時間（分）", "minutes", "number", width=12),
    _c("出典", "source", "choice", True, "出典（出欠）", width=10),
    _c("回答ID", "response_id", width=20),
    _c("取込日時", "imported_at", "datetime", width=18),
))

MEETINGS = Table("会議記録", "Meetings", (
    _c("会議ID", "meeting_id", "id", True, width=10),
    _c("開催日", "date", "date", True, width=12),
    _c("形式", "style", width=12),
    _c("出席者", "attendees", width=30),
    _c("議題", "agenda", required=True, width=30),
    _c("報告事項", "reports", width=36),
    _c("決定事項", "decisions", width=36),
    _c("課題・対応", "issues", width=36),
    _c("次回予定", "next_meeting", width=20),
    _c("作成日", "written_on", "date", width=12),
    # Added for the minutes' 開催日時 (documents.md).
    _c("開催時間", "time", width=14),
    # Added for minutes the city signs (workbook.md): where, who on each side (出席者 stays for older books), and
    # the city's remarks that the 決定事項 refer to.
    _c("会場", "venue", width=20),
    _c("委託者出席者", "client_attendees", width=30),
    _c("受託者出席者", "contractor_attendees", width=30),
    _c("指摘事項", "remarks", width=36),
), id_column="会議ID")

ISSUES = Table("課題", "Issues", (
    _c("課題ID", "issue_id", "id", True, width=10),
    _c("起票日", "raised_on", "date", True, width=12),
    _c("区分", "kind", "choice", vocabulary="区分（課題）", width=10),
    _c("内容", "content", required=True, width=40),
    _c("影響", "impact", width=24),
    _c("対応", "response", width=32),
    _c("担当", "owner", width=12),
    _c("期限", "due", "date", width=12),
    _c("状態", "state", "choice", vocabulary="状態（課題）", width=10),
    _c("委託者報告日", "reported_on", "date", width=12),
), id_column="課題ID", optional=True)

AUDIT_LOG = Table("履歴", "AuditLog", (
    _c("日時", "at", "datetime", width=18),
    _c("操作", "operation", width=14),
    _c("シート", "sheet", width=12),
    _c("キー", "key", width=20),
    _c("内容", "detail", width=60),
), owned=True)

TABLES: tuple[Table, ...] = (
    SETTINGS, COMPANIES, SERVICES, SUBSCRIPTIONS, EXPENSES, SUPPORT_LOG, USAGE_DAYS, FINANCIALS,
    PLAN_ITEMS, EVENTS, ATTENDANCE, MEETINGS, ISSUES, AUDIT_LOG,
)
TABLES_BY_SHEET: dict[str, Table] = {t.sheet: t for t in TABLES}

# Columns holding personal information (workbook.md, "Personal data"; seed 9), marked here once, with the purpose
# they are held for: `toolkit privacy` lists them in the 情報管理台帳.
PERSONAL_DATA: tuple[tuple[Table, str, str], ...] = (
    (COMPANIES, "contact_name", "支援企業との連絡"),
    (COMPANIES, "contact_email", "支援企業との連絡"),
    (USAGE_DAYS, "account", "利用回数の集計（同じ日の重複の判定）"),
    (ATTENDANCE, "name", "説明会・成果共有会の出欠の管理と報告"),
    (ATTENDANCE, "email", "説明会・成果共有会の出欠の管理（同期での照合）"),
    (MEETINGS, "attendees", "委託者との会議の記録"),
    (MEETINGS, "client_attendees", "委託者との会議の記録"),
    (MEETINGS, "contractor_attendees", "委託者との会議の記録"),
    (SUPPORT_LOG, "confirmed_by", "支援記録の企業による確認"),
)

# (table, record attribute, referenced table, finding code): the IDs a row names, checked by the row rules
# (validity.py). A job that reads a table also reads the tables it refers to (``sheets_needed``), or every row would
# look as if it named an unknown ID.
REFERENCES: tuple[tuple[Table, str, Table, str], ...] = (
    (SUBSCRIPTIONS, "company_id", COMPANIES, "unknown-company"),
    (SUBSCRIPTIONS, "service_id", SERVICES, "unknown-service"),
    (EXPENSES, "company_id", COMPANIES, "unknown-company"),
    (SUPPORT_LOG, "company_id", COMPANIES, "unknown-company"),
    (USAGE_DAYS, "company_id", COMPANIES, "unknown-company"),
    (USAGE_DAYS, "service_id", SERVICES, "unknown-service"),
    (FINANCIALS, "company_id", COMPANIES, "unknown-company"),
    (PLAN_ITEMS, "company_id", COMPANIES, "unknown-company"),
    (ATTENDANCE, "event_id", EVENTS, "unknown-event"),
    (ATTENDANCE, "company_id", COMPANIES, "unknown-company"),
)

# A sheet the toolkit rewrites as a whole (`toolkit summary`, the 集計を更新 button); not a table of records.
SUMMARY_SHEET = "集計"
# The toolkit's how-to sheet in the template: what each sheet is for, how to fill it, an example row per table.
GUIDE_SHEET = "使い方"

# The sheets each job reads. A job refuses (exit 1) when one of them, or a column it needs (required, or
# ``figure``), is missing: nothing is computed from an absent sheet as if it were empty. サービス is in the budget
# because 導入 rows referring to an unknown service are left out of the planned cost.
_FIGURE_SHEETS = (SETTINGS, COMPANIES, SERVICES)


def _union(*groups: tuple[Table, ...]) -> tuple[Table, ...]:
    return tuple(dict.fromkeys(t for g in groups for t in g))


NEEDS: dict[str, tuple[Table, ...]] = {
    "budget": _FIGURE_SHEETS + (SUBSCRIPTIONS, EXPENSES),
    "kpi": _FIGURE_SHEETS + (USAGE_DAYS, FINANCIALS),
}
NEEDS["summary"] = _union(NEEDS["budget"], NEEDS["kpi"])
NEEDS["plan"] = _union(NEEDS["summary"], (SUPPORT_LOG, PLAN_ITEMS))
# 課題 is optional: the business report's 6(1) takes the register where the book has one.
NEEDS["report"] = _union(NEEDS["plan"], (EVENTS, ATTENDANCE, MEETINGS, ISSUES))
NEEDS["sync"] = _FIGURE_SHEETS + (EVENTS, ATTENDANCE, USAGE_DAYS)
NEEDS["status"] = NEEDS["report"]
NEEDS["handover"] = (SETTINGS, COMPANIES, SUPPORT_LOG)
NEEDS["settings"] = (SETTINGS,)
NEEDS["privacy"] = _union((SETTINGS,), tuple(t for t, _, _ in PERSONAL_DATA))  # the sheets of PERSONAL_DATA


def sheets_needed(job: str) -> tuple[str, ...]:
    """The sheets ``job`` reads (a sheet it does not read, however broken, never stops it), with the sheets their
    rows refer to (REFERENCES)."""
    tables = NEEDS[job]
    return tuple(t.sheet for t in _union(tables, tuple(target for table, _, target, _ in REFERENCES
                                                       if table in tables)))


@dataclass(frozen=True)
class Setting:
    item: str
    key: str
    kind: Kind
    default: object
    note: str = ""
    # A figure or a document uses it: an unreadable value refuses them instead of falling back to the default.
    figure: bool = True


SETTING_ITEMS: tuple[Setting, ...] = (
    Setting("事業名", "program_name", "text", "クラウドサービス導入支援業務", "すべての書類の表題"),
    Setting("委託者", "client", "text", "", "委託者（市）"),
    Setting("受託者", "contractor", "text", "", "受託者"),
    Setting("年度", "fiscal_year", "int", 2025, "会計年度（4月1日〜3月31日）。令和7年度 = 2025"),
    Setting("契約終了日", "contract_end", "date", date(2026, 3, 31), ""),
    Setting("利用開始日", "usage_start", "date", date(2025, 9, 1), "利用回数はこの期間内の利用日だけを数えます"),
    Setting("利用終了日", "usage_end", "date", date(2026, 2, 28), ""),
    Setting("経費上限（1社あたり）", "cap_default", "yen", 400000, "クラウドサービス経費の既定の上限（円）"),
    Setting("上限警告割合", "warn_ratio", "number", 0.9, "上限のこの割合を超えたら警告"),
    Setting("利用回数目標", "usage_target", "int", 1000, "全社合計の利用日数の目標"),
    Setting("労働生産性目標（%）", "productivity_target_pct", "number", 1.0, "1社あたり平均の増加率の目標"),
    Setting("テナントID", "tenant_id", "text", "", "Microsoft 365 同期用。秘密情報はブックに書かないこと", figure=False),
    Setting("クライアントID", "client_id", "text", "", "Microsoft 365 同期用（アプリ登録のID）", figure=False),
    Setting("Teams主催者", "teams_organizer", "text", "", "Teams会議の主催者（UPN またはユーザーID）", figure=False),
    Setting("利用実績フォーム結果URL", "usage_form_url", "url", "", "利用実績報告フォームの結果ブックの共有リンク", figure=False),
    Setting("作成日", "issued_on", "date", None, "成果品に記載する日付（表紙・「…現在」・会議記録の作成日）。空欄なら作成した日"),
    Setting("委託料", "contract_sum", "yen", None, "委託契約の金額（円）。予算執行状況報告書に執行総額・残額とともに記載"),
    Setting("契約日", "contract_start", "date", None, "委託契約の日。会議を毎月開いたかをこの月から数えます"
            "（空欄なら最初の会議記録の月から）"),
    Setting("連絡間隔の上限（日）", "contact_interval_days", "int", 30, "この日数を超えて連絡のない企業を要注意に"),
    Setting("会議記録の提出期限（日）", "minutes_due_days", "int", 7, "会議から会議記録の作成までの日数の上限"),
    Setting("金額の税区分", "tax_basis", "text", "税込", "経費の金額が税込か税抜か（税込 / 税抜）。予算執行状況報告書の"
            "金額の表に記載します"),
    Setting("予算額（クラウドサービス経費）", "budget_cloud", "yen", None, "費目ごとの予算額（円）。入力すると予算執行状況"
            "報告書に予算額・執行額・残額を示します（空欄なら示しません）"),
    Setting("予算額（設定費用）", "budget_setup", "yen", None, "（同上）"),
    Setting("予算額（コンサル・訪問費用等）", "budget_consulting", "yen", None, "（同上）"),
    Setting("予算額（共通経費）", "budget_common", "yen", None, "（同上）"),
    Setting("宛先", "addressee", "text", "", "表紙の宛先（例：岡山市長 様）", figure=False),
    Setting("受託者代表者", "representative", "text", "", "表紙に記載する受託者の代表者（例：代表取締役 山田太郎）",
            figure=False),
    Setting("個人情報の保存期限", "personal_data_until", "date", None, "個人情報を返却・消去する期限。空欄なら契約終了日"
            "の1年後（toolkit privacy の情報管理台帳に記載）", figure=False),
    Setting("出力フォルダ", "output_folder", "text", "",
            "SharePoint / OneDrive から開いたブックで、Excel のボタンが書類を保存するパソコン上のフォルダ。"
            "空欄ならドキュメント フォルダの「成果品」", figure=False),
)
SETTINGS_BY_ITEM_KEY: dict[str, Setting] = {s.key: s for s in SETTING_ITEMS}


def fold(text: str) -> str:
    """The comparison form of a header or vocabulary value: NFKC, no surrounding or inner spaces."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def canonical_choices(vocabulary: str) -> dict[str, str]:
    """folded value -> canonical value, so `サポート費(設定費用)` typed with ASCII brackets is accepted."""
    return {fold(v): v for v in VOCABULARIES[vocabulary]}
