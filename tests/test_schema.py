"""The contract is spelled once: records mirror the schema, headers match workbook.md's table."""
from toolkit import schema
from toolkit.model import PROGRAM_FIELDS, RECORD_TYPES, Program, Settings

CONTRACT = {  # workbook.md, verbatim: these names are relied on by people and tests
    "設定": ("Settings", "項目, 値"),
    "企業": ("Companies", "企業ID, 企業名, 法人番号, 業種, 所在地, 従業員数, 取組段階, 担当コンサルタント, 連絡先氏名, "
                        "連絡先メール, 決算月, 経費上限, 上限変更の協議記録, 備考, 導入の効果, 今後の課題"),
    "サービス": ("Services", "サービスID, サービス名, 提供事業者, 業務分類, 料金単位, 単価, 初期費用, URL, 備考"),
    "導入": ("Subscriptions", "導入ID, 企業ID, サービスID, 利用領域, 数量, 開始日, 終了日, 月額費用, 初期費用, 状態"),
    "経費": ("Expenses", "経費ID, 計上日, 企業ID, 費目, 金額, 摘要, 証憑番号"),
    "支援記録": ("SupportLog", "記録ID, 企業ID, 支援日, 形態, 担当者, 時間, 支援内容, 提供資料, 次回予定"),
    "利用実績": ("UsageDays", "企業ID, サービスID, 利用領域, 利用日, アカウント, 出典, 回答ID"),
    "決算": ("Financials", "企業ID, 区分, 決算期末, 営業利益, 人件費, 減価償却費, 労働者数, 総就業時間"),
    "改善計画": ("PlanItems", "企業ID, 年度, 業務分野, 取組内容, 目標, 実施時期, 見直しの観点, 担当"),
    "イベント": ("Events", "イベントID, 種別, 名称, 開催日, 形式, 会場, Teams会議URL, フォーム結果URL, 実施内容, 成果・意見"),
    "出欠": ("Attendance", "イベントID, 企業ID, 氏名, メール, 出欠, 参加時間（分）, 出典, 回答ID, 取込日時"),
    "会議記録": ("Meetings", "会議ID, 開催日, 形式, 出席者, 議題, 報告事項, 決定事項, 課題・対応, 次回予定, 作成日"),
    # workbook.md, "Added for the year-long operation": the issue register of 5(3)ア.
    "課題": ("Issues", "課題ID, 起票日, 区分, 内容, 影響, 対応, 担当, 期限, 状態, 委託者報告日"),
    "履歴": ("AuditLog", "日時, 操作, シート, キー, 内容"),
}


def test_contract_headers_come_first_and_in_order():
    assert [t.sheet for t in schema.TABLES] == list(CONTRACT)
    for table in schema.TABLES:
        name, headers = CONTRACT[table.sheet]
        contract = tuple(headers.split(", "))
        assert table.name == name
        assert table.headers[:len(contract)] == contract  # added columns only after the contract's


def test_records_mirror_the_schema():
    for table in schema.TABLES:
        if table is schema.SETTINGS:
            continue
        record = RECORD_TYPES[table.sheet]
        assert record._fields == ("row",) + tuple(c.key for c in table.columns), table.sheet
        assert PROGRAM_FIELDS[table.sheet] in Program.__dataclass_fields__
    assert Settings._fields == tuple(s.key for s in schema.SETTING_ITEMS)


def test_choice_columns_name_a_vocabulary():
    for table in schema.TABLES:
        for column in table.columns:
            assert (column.kind == "choice") == (column.vocabulary is not None), column.header
            if column.vocabulary:
                assert column.vocabulary in schema.VOCABULARIES
                assert column.vocabulary in schema.VOCABULARY_NAMES
