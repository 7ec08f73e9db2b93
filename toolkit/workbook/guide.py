"""What staff read about the workbook: the 使い方 sheet's text and the notes shown on the table headers.

One place for it, so the 使い方 sheet, the input messages on the headers and the example rows never disagree.
Every table of the contract has a purpose, an example row (values as staff would type them) and, per column, how
to fill it: a sentence for the columns that need one, else what the column's kind accepts.
"""
from __future__ import annotations

from dataclasses import dataclass

from toolkit import schema

S = schema

# The 企業名 the template shows beside each typed 企業ID (a calculated column; the toolkit never writes it).
# Not on 出欠 and 利用実績: their rows mostly arrive through the sync, and a formula cell in each of 50,000 usage
# rows would cost every read more than the name helps there.
COMPANY_NAME = next(c for c in S.COMPANIES.columns if c.key == "name")
LOOKUP_HEADER = COMPANY_NAME.header
LOOKUP_TABLES = (S.SUBSCRIPTIONS, S.EXPENSES, S.SUPPORT_LOG, S.FINANCIALS, S.PLAN_ITEMS)
LOOKUP_NOTE = f"{S.COMPANIES.id_column}から自動で表示されます（入力しないでください）"

PURPOSES: dict[str, str] = {
    S.SETTINGS.sheet: "事業全体の設定（年度・期間・経費上限・目標など）。値の列だけを直します",
    S.COMPANIES.sheet: "支援する企業の一覧。1社1行",
    S.SERVICES.sheet: "提供するクラウドサービスの一覧。1サービス1行（10の業務分類のすべてに1つ以上）",
    S.SUBSCRIPTIONS.sheet: "どの企業がどのサービスを使うか。1件1行（計画額はここから計算します）",
    S.EXPENSES.sheet: "支払った経費。1件1行（予算執行状況はここから計算します）",
    S.SUPPORT_LOG.sheet: "伴走支援の記録。1回1行（支援記録簿になります）",
    S.USAGE_DAYS.sheet: "クラウドサービスを使った日。同じ企業・サービス・利用領域・日は1行（利用回数になります）",
    S.FINANCIALS.sheet: "決算の数字。1社につき「基準」と「実績」の2行（労働生産性になります）",
    S.PLAN_ITEMS.sheet: "3年間の改善活動計画。1社・1年度・1分野ごとに1行（計画書になります）",
    S.EVENTS.sheet: "説明会・ワークショップ・成果共有会。1回1行",
    S.ATTENDANCE.sheet: "イベントの申込・出欠。1人1行（Microsoft 365 の同期でも追加されます）",
    S.MEETINGS.sheet: "市との打合せ。1回1行（会議記録になります）",
    S.ISSUES.sheet: "課題・リスク・委託者への要件指摘の管理表。1件1行（状況報告書に載ります）",
    S.AUDIT_LOG.sheet: "toolkit が書き込んだ記録（同期・集計など）。toolkit だけが書き込みます",
}

# One example row per table, as staff would type it (table -> column key -> text).
EXAMPLES: dict[str, dict[str, str]] = {
    S.SETTINGS.name: {"item": "利用回数目標", "value": "1000"},
    S.COMPANIES.name: {"company_id": "C01", "name": "株式会社みなと製作所", "corporate_number": "1234567890123",
        "industry": "製造業", "address": "岡山市北区中央町1-2-3", "employees": "25", "stage": "2", "consultant": "山田 一郎",
        "contact_name": "佐藤 花子", "contact_email": "sato@minato.example.jp", "closing_month": "3",
        "effects": "請求書の作成時間が月10時間減った", "future_issues": "在庫管理のクラウド化", "stage_after": "3",
        "challenges": "請求書を手書きで作成している"},
    S.SERVICES.name: {"service_id": "S01", "name": "クラウド会計A", "vendor": "株式会社クラウドA", "area": "経理",
        "price_unit": "月額/ユーザー", "unit_price": "3,000", "initial_fee": "0", "url": "https://example.com/a"},
    S.SUBSCRIPTIONS.name: {"subscription_id": "D001", "company_id": "C01", "service_id": "S01", "area": "経理",
        "quantity": "2", "start": "2025/9/1", "monthly_fee": "6,000", "initial_fee": "10,000", "state": "導入済"},
    S.EXPENSES.name: {"expense_id": "E0001", "date": "2025/10/31", "company_id": "C01", "line": "クラウドサービス経費",
        "amount": "6,000", "description": "10月分 クラウド会計A 利用料", "voucher": "R-0012"},
    S.SUPPORT_LOG.name: {"record_id": "R0001", "company_id": "C01", "date": "2025/9/10", "form": "対面",
        "staff": "山田 一郎", "hours": "2", "content": "業務の現状と課題のヒアリング", "materials": "ヒアリングシート",
        "next_plan": "9/24 会計ソフトの設定"},
    S.USAGE_DAYS.name: {"company_id": "C01", "service_id": "S01", "area": "経理", "date": "2025/10/1",
        "account": "sato@minato.example.jp", "source": "ヒアリング"},
    S.FINANCIALS.name: {"company_id": "C01", "period": "基準", "period_end": "2025/3/31",
        "operating_profit": "△500,000", "personnel_cost": "30,000,000", "depreciation": "1,200,000",
        "workers": "25", "total_hours": "50,000"},
    S.PLAN_ITEMS.name: {"company_id": "C01", "fiscal_year": "2025", "area": "経理", "action": "請求書の電子化",
        "target": "月10時間削減", "timing": "2025年10月", "review": "利用状況と費用対効果", "owner": "佐藤"},
    S.EVENTS.name: {"event_id": "EV01", "kind": "説明会・ワークショップ", "name": "キックオフ説明会", "date": "2025/9/10",
        "style": "対面", "venue": "市役所 会議室A", "content": "事業の説明とクラウドサービスの紹介", "outcomes": "20社が参加。会計ソフトへの関心が高い"},
    S.ATTENDANCE.name: {"event_id": "EV01", "company_id": "C01", "name": "佐藤 花子",
        "email": "sato@minato.example.jp", "status": "出席", "minutes": "90", "source": "手入力"},
    S.MEETINGS.name: {"meeting_id": "M01", "date": "2025/9/5", "style": "オンライン", "attendees": "市 産業振興課、受託者 山田",
        "agenda": "9月の進捗", "reports": "キックオフ説明会の準備", "decisions": "9/10 に開催", "next_meeting": "10/3 10:00",
        "written_on": "2025/9/8", "time": "10:00〜11:00"},
    S.ISSUES.name: {"issue_id": "K01", "raised_on": "2025/10/3", "kind": "課題", "content": "3月決算の企業は実績期の決算書が"
        "契約期間内に出ない", "impact": "労働生産性を測れない企業が出る", "response": "試算表での暫定値を市と協議",
        "owner": "山田", "due": "2025/11/14", "state": "対応中", "reported_on": "2025/10/15"},
    S.AUDIT_LOG.name: {"at": "2025/10/1 07:00", "operation": "同期", "sheet": "利用実績",
        "detail": "Microsoft 365 から 12行を追加"},
}

# How to fill the columns that need more than their kind says: (table, column key) -> text.
NOTES: dict[tuple[str, str], str] = {
    (S.SETTINGS.name, "value"): "右の「説明」列を見て入力します。項目の名前は変えないでください",
    (S.COMPANIES.name, "stage"): "支援前のデジタル化の段階（1〜4）",
    (S.COMPANIES.name, "stage_after"): "支援後の段階（1〜4）。計画書に載ります",
    (S.COMPANIES.name, "closing_month"): "決算の月（1〜12）",
    (S.COMPANIES.name, "cap"): "空欄なら設定シートの「経費上限（1社あたり）」。変えるときは協議記録も入力",
    (S.COMPANIES.name, "cap_agreement"): "経費上限を変えたとき、協議した日・相手・内容",
    (S.COMPANIES.name, "effects"): "支援で変わったこと。委託業務報告書・計画書にそのまま載ります",
    (S.COMPANIES.name, "future_issues"): "残っている課題。委託業務報告書・計画書にそのまま載ります",
    (S.COMPANIES.name, "challenges"): "支援前の業務の様子。計画書に載ります",
    (S.SUBSCRIPTIONS.name, "end"): "空欄なら設定シートの「利用終了日」まで",
    (S.SUBSCRIPTIONS.name, "monthly_fee"): "1か月の費用（円）。計画額 = 初期費用 + 月額費用 × 利用月数",
    (S.SUBSCRIPTIONS.name, "state"): "「中止」にすると計画額に含めません",
    (S.EXPENSES.name, "company_id"): "「企業」シートの企業ID。共通経費のときだけ空欄",
    (S.EXPENSES.name, "date"): "日付（2025/10/31 など）。年度の中の日付",
    (S.SUPPORT_LOG.name, "form"): "▼ から選択。各社の初回は原則「対面」",
    (S.SUPPORT_LOG.name, "hours"): "支援にかけた時間（1.5 など）",
    (S.SUPPORT_LOG.name, "date"): "日付（2025/9/10 など）。年度の中の日付",
    (S.USAGE_DAYS.name, "date"): "日付。1日に何度使っても1行（同じ企業・サービス・利用領域・日は1回）",
    (S.USAGE_DAYS.name, "source"): "手で入れるときは「ヒアリング」。同期で入った行は「Forms」",
    (S.USAGE_DAYS.name, "response_id"): "同期が使います。手で入れるときは空欄",
    (S.FINANCIALS.name, "period"): "「基準」= 支援前の最後の決算、「実績」= 支援後の最初の決算",
    (S.FINANCIALS.name, "operating_profit"): "金額（円）。赤字は △500,000 のように",
    (S.FINANCIALS.name, "workers"): "人数。総就業時間が両方の決算にあれば、そちらを使います",
    (S.FINANCIALS.name, "total_hours"): "1年間の就業時間の合計（時間）",
    (S.PLAN_ITEMS.name, "fiscal_year"): "今年度から3年分（2025・2026・2027）をそれぞれ入力",
    (S.EVENTS.name, "teams_url"): "Teams の出欠を取り込むとき: 会議の参加リンクをそのまま",
    (S.EVENTS.name, "form_url"): "申込・出欠フォームの結果ブックの共有リンク",
    (S.ATTENDANCE.name, "source"): "手で入れるときは「手入力」",
    (S.ATTENDANCE.name, "response_id"): "同期が書き込みます。手で入れるときは空欄",
    (S.ATTENDANCE.name, "imported_at"): "同期が書き込みます",
    (S.MEETINGS.name, "written_on"): "会議記録を作成した日",
}

_KIND_NOTES = {
    "date": "日付（2025/9/15。令和7年9月15日・R7.9.15 も可）",
    "datetime": "日時（2025/9/15 10:30）",
    "yen": "金額（円）。120,000・12万円 も可。マイナスは △5,000",
    "int": "整数",
    "number": "数（小数も可）",
    "email": "メールアドレス",
    "url": "URL（https:// から）",
}
_REFERENCED = {t.id_column: t for t in (S.COMPANIES, S.SERVICES, S.EVENTS)}


@dataclass(frozen=True)
class ColumnHelp:
    header: str
    required: bool
    example: str
    note: str


def column_note(table: schema.Table, column: schema.Column) -> str:
    """How to fill one column, in a line."""
    special = NOTES.get((table.name, column.key))
    if special:
        return special
    if column.kind == "id":
        owner = _REFERENCED.get(column.header)
        if table.id_column == column.header or owner is None:
            return "この表の中で重複しない記号（半角英数字）"
        return f"「{owner.sheet}」シートにある{column.header}"
    if column.kind == "choice":
        return "▼ の一覧から選択（" + "・".join(S.VOCABULARIES[column.vocabulary or ""]) + "）"
    return _KIND_NOTES.get(column.kind, "")


def table_help(table: schema.Table) -> list[ColumnHelp]:
    """Each column of the table as the 使い方 sheet lists it, the 企業名 lookup in its place."""
    example = EXAMPLES[table.name]
    helps = []
    for column in table.columns:
        helps.append(ColumnHelp(column.header, column.required, example.get(column.key, ""),
                                column_note(table, column)))
        if column.header == S.COMPANIES.id_column and table in LOOKUP_TABLES:
            helps.append(ColumnHelp(LOOKUP_HEADER, False, "（自動）", LOOKUP_NOTE))
    return helps


def header_prompt(table: schema.Table, column: schema.Column) -> str | None:
    """The input message on a header cell: for required columns and for columns with their own note."""
    if not (column.required or (table.name, column.key) in NOTES):
        return None
    return ("【必須】" if column.required else "") + column_note(table, column)


INTRO: tuple[str, ...] = (
    "1. 各シートの表（青い見出しの表）の下の空き行に入力します。表は自動で広がります。",
    "2. 濃い青の見出しは必須の列です。見出しを選ぶと入力のしかたが出ます。見出しの名前は変えないでください。",
    "3. ▼ の出る列は一覧から選びます。列の並べ替え・独自の列の追加・色付けは自由です。",
    f"4. 灰色の見出しの「{LOOKUP_HEADER}」列は{S.COMPANIES.id_column}から自動で表示されます（入力不要）。",
    "5. 入力したら「入力チェック」で誤りを確認します（「操作」シートのボタン、または toolkit check）。",
    f"6. シートの見出し（タブ）が灰色のシート（{S.SUMMARY_SHEET}・{S.AUDIT_LOG.sheet}）は toolkit が書き込みます。"
    "手で編集しないでください。",
)
