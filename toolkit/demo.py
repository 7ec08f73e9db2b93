"""The demo program: a realistic, fictional master workbook for a whole year (`toolkit demo`).

Twenty fictional companies in 岡山市, a fictional catalogue of cloud services and a year of support, usage,
expenses, financial statements, plans, events and meetings. Deterministic (``random.Random(2025)``), so the demo
documents are the same on every run. Some situations are put in on purpose so the checks, the budget and the
KPIs have something to show:

- C01: the planned cloud cost is slightly above the cap (計画額 > 上限: a warning, status 超過見込); its February
  fees cross the cap and meeting M08 decided the contractor bears the excess;
- C05: a raised cap (450,000 円) with its agreement recorded;
- C11: an annual licence booked in one sum pushes the cloud cost over the cap; meeting M06 decided the contractor
  bears the excess, so the rows beyond the cap are 負担区分 受託者 (listed apart, not in the 執行額);
- C14: the planned cost is about 92 % of the cap (a warning);
- C02: its 決算月 is June, so the 実績 period has not closed: its productivity change cannot be measured yet;
- C10: one subscription stopped (中止); C07: one service used in two 利用領域.

As of 2025-12-15 (`toolkit status --as-of 2025-12-15`, the December meeting) the program tells a story too: C12
stopped using its services in its busy season (idle for the last 28 days); C01's plan breaks its cap in February;
C02 (June) and C06 (February) cannot file the 実績 決算書 by the contract's end; December has no meeting yet; the
minutes of M04 were late; issue K01 is overdue.
"""
from __future__ import annotations

import calendar
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from openpyxl.worksheet.worksheet import Worksheet

from toolkit import schema
from toolkit.workbook.template import build_template, column_format, resize_table, table_columns

SEED = 2025
_SETTING = {s.key: s for s in schema.SETTING_ITEMS}
FISCAL_YEAR = _SETTING["fiscal_year"].default
USAGE_START: date = _SETTING["usage_start"].default
USAGE_END: date = _SETTING["usage_end"].default

VISIT, ONLINE, PHONE = schema.VOCABULARIES["形態"]
BASE, ACTUAL = schema.PERIOD_BASE, schema.PERIOD_ACTUAL
KICKOFF, SHARING, OTHER_EVENT = schema.VOCABULARIES["種別"]
_, PRESENT, ABSENT = schema.VOCABULARIES["出欠"]
SRC_FORMS, SRC_TEAMS, SRC_MANUAL = schema.VOCABULARIES["出典（出欠）"]
SRC_HEARING, SRC_USAGE_FORMS, SRC_LOG = schema.VOCABULARIES["出典（利用実績）"]
TRIAL, INTRODUCED, STOPPED = schema.VOCABULARIES["状態"]
BORNE_BY_CONTRACTOR = schema.BORNE_BY_CONTRACTOR

CLIENT = "岡山市"
CONTRACTOR = "株式会社サンプルコンサルティング"
ADDRESSEE = "岡山市長 様"
REPRESENTATIVE = "代表取締役 青木 誠"
CONTRACTOR_DOMAIN = "sample-consulting.example.jp"
TEAMS_ORGANIZER = f"demo.organizer@{CONTRACTOR_DOMAIN}"
# Cloud service costs are booked up to this month: the last of the usage period (its invoices came by 3/27).
LAST_BOOKED_MONTH = (FISCAL_YEAR + 1, 2)

CONSULTANTS = ("山本 健一", "佐藤 美咲", "中村 翔太", "高橋 由紀")
REVIEW_EXTEND, REVIEW_REPLACE, REVIEW_CONTINUE = "機能拡充", "より適したサービスへの変更", "継続"


# --------------------------------------------------------------------------------------------------- catalogue
@dataclass(frozen=True)
class ServiceSpec:
    service_id: str
    name: str
    vendor: str
    area: str
    unit: str  # 月額 / ユーザー月額 / 年額
    price: int
    initial: int
    slug: str
    note: str = ""


SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec("SV01", "かんたん勤怠クラウド", "株式会社ワークリズム", "人事", "ユーザー月額", 660, 33000, "kintai",
                "スマートフォン・ICカード打刻、残業アラート"),
    ServiceSpec("SV02", "シフトらくらくボード", "株式会社シフトラボ", "人事", "月額", 19800, 22000, "shift",
                "50名まで。希望シフトの収集と自動作成"),
    ServiceSpec("SV03", "人事労務ノート", "株式会社ピープルベース", "人事", "ユーザー月額", 990, 55000, "jinji",
                "従業員台帳、入退社手続き、年末調整"),
    ServiceSpec("SV04", "かんたん会計クラウド", "株式会社ナンバーワークス", "経理", "月額", 19800, 33000, "kaikei",
                "銀行・カード明細の自動取込、インボイス対応"),
    ServiceSpec("SV05", "経費精算ポケット", "株式会社レシートラボ", "経理", "ユーザー月額", 880, 22000, "keihi",
                "領収書の撮影で申請、電子帳簿保存法対応"),
    ServiceSpec("SV06", "請求書おまかせクラウド", "株式会社ビルフロー", "経理", "月額", 16500, 22000, "seikyu",
                "請求書の発行・郵送代行・入金消込"),
    ServiceSpec("SV07", "チームデスク", "株式会社オフィスリンク", "グループウェア", "ユーザー月額", 990, 0, "teamdesk",
                "スケジュール、掲示板、設備予約"),
    ServiceSpec("SV08", "つながる社内ポータル", "株式会社イントラ工房", "グループウェア", "月額", 27500, 55000, "portal",
                "30ユーザーまで。ワークフロー付き"),
    ServiceSpec("SV09", "メール配信ライト", "株式会社ハーバーマーケティング", "販売促進", "月額", 11000, 11000, "mail",
                "配信数 月1万通まで"),
    ServiceSpec("SV10", "SNSつぶやき予約", "株式会社ソーシャルミル", "販売促進", "月額", 8800, 0, "sns",
                "複数SNSへの予約投稿と反応の集計"),
    ServiceSpec("SV11", "かんたんホームページメーカー", "株式会社ウェブキャンバス", "販売促進", "月額", 13200, 44000,
                "web", "テンプレートからのサイト作成、独自ドメイン1件込み"),
    ServiceSpec("SV12", "予約かんたん受付", "株式会社リザーブテック", "販売促進", "月額", 16500, 33000, "yoyaku",
                "Web予約、リマインドメール"),
    ServiceSpec("SV13", "工程みえる化クラウド", "株式会社ファクトリーノート", "生産管理", "月額", 33000, 88000, "koutei",
                "作業指示、進捗・実績のタブレット入力"),
    ServiceSpec("SV14", "ざいこ帳クラウド", "株式会社ストックライン", "生産管理", "月額", 22000, 55000, "zaiko",
                "バーコードによる入出庫と在庫照会"),
    ServiceSpec("SV15", "ゲンバノート", "株式会社サイトログ", "生産管理", "ユーザー月額", 1320, 0, "genba",
                "現場日報・写真・点検記録"),
    ServiceSpec("SV16", "トークルーム Biz", "株式会社メッセージワークス", "コミュニケーション", "ユーザー月額", 660, 0,
                "talk", "ビジネスチャット、既読確認"),
    ServiceSpec("SV17", "ミーティングポート", "株式会社ビデオブリッジ", "コミュニケーション", "月額", 5500, 0, "meeting",
                "Web会議、録画"),
    ServiceSpec("SV18", "受発注ドライブ", "株式会社トレードリンク", "取引管理", "月額", 27500, 55000, "juhatchu",
                "取引先とのWeb受発注、FAX受注の取込"),
    ServiceSpec("SV19", "見積・請求ナビ", "株式会社クオートワン", "取引管理", "月額", 13200, 0, "mitsumori",
                "見積から請求までの一元管理"),
    ServiceSpec("SV20", "顧客カルテ クラウド", "株式会社カスタマーノート", "取引管理", "ユーザー月額", 2200, 22000, "karte",
                "顧客・案件・対応履歴の管理"),
    ServiceSpec("SV21", "クラウド書庫", "株式会社データシェルフ", "情報管理", "月額", 8800, 0, "shoko",
                "容量1TB、共有リンク、版管理"),
    ServiceSpec("SV22", "電子契約ステーション", "株式会社サインワークス", "情報管理", "月額", 11000, 0, "keiyaku",
                "電子署名、契約書の期限管理"),
    ServiceSpec("SV23", "ナレッジ棚", "株式会社ドキュメントファーム", "情報管理", "ユーザー月額", 550, 0, "knowledge",
                "マニュアル・手順書の共有"),
    ServiceSpec("SV24", "けいえいレーダー", "株式会社インサイトラボ", "経営分析", "年額", 158400, 66000, "radar",
                "会計データ連携の経営ダッシュボード。年額一括払い"),
    ServiceSpec("SV25", "売上ダッシュボード Lite", "株式会社データビュー", "経営分析", "月額", 11000, 0, "dashboard",
                "POS・販売データの集計とグラフ"),
    ServiceSpec("SV26", "おてつだいロボ", "株式会社オートメイト", "業務自動化", "月額", 44000, 110000, "robo",
                "RPA（パソコン操作の自動化）"),
    ServiceSpec("SV27", "申請フロー クラウド", "株式会社フローデザイン", "業務自動化", "ユーザー月額", 440, 11000, "flow",
                "稟議・各種申請のワークフロー"),
    ServiceSpec("SV28", "よみとりOCR", "株式会社スキャンブレイン", "業務自動化", "月額", 22000, 33000, "ocr",
                "AI-OCR（注文書・請求書の読取り）"),
    ServiceSpec("SV29", "給与らくだクラウド", "株式会社ペイロールワン", "人事", "月額", 11000, 22000, "kyuyo",
                "30名まで。給与計算・明細の電子配布"),
    ServiceSpec("SV30", "ノーコード業務アプリ工房", "株式会社アプリベース", "業務自動化", "ユーザー月額", 1980, 0,
                "nocode", "プログラミング不要の業務アプリ作成"),
)
SERVICE_BY_ID = {s.service_id: s for s in SERVICES}

# How often a subscription is used on a working day, by 業務分類 (勤怠 and chat daily, analysis now and then).
USE_RATE = {
    "人事": 0.62, "経理": 0.28, "グループウェア": 0.55, "販売促進": 0.16, "生産管理": 0.5,
    "コミュニケーション": 0.6, "取引管理": 0.35, "情報管理": 0.3, "経営分析": 0.1, "業務自動化": 0.3,
}


# --------------------------------------------------------------------------------------------------- companies
@dataclass(frozen=True)
class CompanySpec:
    company_id: str
    name: str
    industry: str
    address: str
    employees: int
    stage: int
    stage_after: int
    closing_month: int
    contact: tuple[str, str]  # (name, romanised surname)
    domain: str
    challenges: str
    # (service ID, quantity, start date, 利用領域 when it differs from the service's 業務分類)
    subscriptions: tuple[tuple[str, int, date, str | None], ...]
    cap: int | None = None
    cap_agreement: str = ""
    note: str = ""
    open_on_weekends: bool = False


def _d(month: int, day: int) -> date:
    """A date of the program's fiscal year from its month and day."""
    return date(FISCAL_YEAR if month >= 4 else FISCAL_YEAR + 1, month, day)


COMPANIES: tuple[CompanySpec, ...] = (
    CompanySpec("C01", "株式会社吉備ミナト精工", "製造業（金属加工）", "岡山市北区今保 218-3", 42, 2, 3, 12,
                ("藤原 和也", "fujiwara"), "kibi-minato.example.jp",
                "受注から出荷までの工程を紙の作業指示書とホワイトボードで管理しており、進捗を確認するたびに現場へ足を"
                "運んでいる。社内の連絡は口頭と内線が中心で、夜勤との引継ぎ漏れが月に数件発生している。",
                (("SV13", 1, _d(9, 29), None), ("SV16", 27, _d(10, 14), None), ("SV21", 1, _d(11, 4), None))),
    CompanySpec("C02", "有限会社旭川ホーム建設", "建設業（住宅リフォーム）", "岡山市中区平井 5-12-8", 18, 1, 2, 6,
                ("岡田 恵子", "okada"), "asahigawa-home.example.jp",
                "現場写真と作業日報を紙とデジタルカメラで管理し、事務所に戻ってから整理している。見積書は担当者ごとに"
                "Excelで作成しており、過去の見積を探すのに時間がかかる。",
                (("SV15", 12, _d(9, 24), None), ("SV19", 1, _d(10, 8), None), ("SV21", 1, _d(10, 20), None),
                 ("SV04", 1, _d(11, 10), None))),
    CompanySpec("C03", "株式会社ももたろう青果店", "小売業（青果・食品）", "岡山市北区表町 2-4-17", 12, 1, 2, 12,
                ("三宅 誠", "miyake"), "momotaro-seika.example.jp",
                "売上と在庫を手書きの台帳で管理しており、欠品や廃棄ロスが発生している。SNSでの発信に関心はあるが、"
                "担当者がおらず長続きしていない。",
                (("SV14", 1, _d(10, 6), None), ("SV10", 1, _d(10, 20), None), ("SV25", 1, _d(11, 10), None)),
                open_on_weekends=True),
    CompanySpec("C04", "有限会社備前キッチンひなた", "飲食業（和食レストラン）", "岡山市北区駅前町 1-8-22", 26, 1, 2, 1,
                ("難波 裕子", "namba"), "bizen-hinata.example.jp",
                "アルバイトのシフトを紙で作成し、個人のメッセージアプリで連絡しているため、調整に毎週半日以上かかって"
                "いる。予約は電話受付のみで、営業時間外の予約を取りこぼしている。",
                (("SV02", 1, _d(9, 22), None), ("SV12", 1, _d(10, 1), None), ("SV29", 1, _d(10, 15), None)),
                open_on_weekends=True),
    CompanySpec("C05", "株式会社西大寺ライン運輸", "運輸業（一般貨物）", "岡山市東区西大寺中 3-6-40", 55, 2, 3, 12,
                ("小野 隆", "ono"), "saidaiji-line.example.jp",
                "配車表はExcelで作成しているが、ドライバーへの共有は紙とFAXで行っている。点呼記録と乗務記録の集計に"
                "手間がかかり、ドライバーの労働時間の把握が月末まで遅れる。",
                (("SV01", 55, _d(9, 24), None), ("SV16", 38, _d(10, 6), None), ("SV17", 1, _d(11, 4), None)),
                cap=450000,
                cap_agreement="2025年10月21日の定例会議（M03）で委託者と協議。ドライバー全員分のアカウントが必要な"
                              "ため、経費上限を45万円に変更することで合意。"),
    CompanySpec("C06", "株式会社ひだまりケアサポート", "介護事業（訪問介護）", "岡山市南区福田 488-1", 38, 1, 2, 2,
                ("森 さおり", "mori"), "hidamari-care.example.jp",
                "訪問スケジュールと申し送りを紙のノートで共有しており、伝達漏れが起きている。職員間の連絡が個人の"
                "携帯電話に頼っており、情報管理の面でも不安がある。",
                (("SV07", 20, _d(9, 25), None), ("SV01", 38, _d(10, 9), None), ("SV23", 20, _d(11, 13), None)),
                open_on_weekends=True),
    CompanySpec("C07", "株式会社瀬戸内プリントワークス", "印刷業", "岡山市南区築港新町 1-19-5", 24, 2, 3, 12,
                ("石井 大輔", "ishii"), "setouchi-print.example.jp",
                "受注情報を複数のExcelファイルで管理しており、納期と進捗の全体像がつかみにくい。校正データのやり取りは"
                "メール添付で、版の取り違えが発生したことがある。",
                (("SV30", 8, _d(9, 29), None), ("SV30", 8, _d(9, 29), "情報管理"), ("SV18", 1, _d(10, 14), None),
                 ("SV22", 1, _d(11, 5), None))),
    CompanySpec("C08", "株式会社岡山あおぞらファーム", "農業法人（野菜生産・直売）", "岡山市東区瀬戸町江尻 1320", 15, 1, 2, 12,
                ("浅野 拓也", "asano"), "aozora-farm.example.jp",
                "作業記録と圃場ごとの収量を手帳に記録しており、データとして蓄積できていない。直売所とネット販売の"
                "注文を電話とFAXで受けており、出荷の段取りに手間がかかる。",
                (("SV15", 6, _d(9, 30), None), ("SV18", 1, _d(10, 16), None), ("SV11", 1, _d(11, 6), None)),
                open_on_weekends=True),
    CompanySpec("C09", "有限会社後楽ハウジング", "不動産業（賃貸仲介・管理）", "岡山市北区野田 3-11-2", 8, 2, 3, 11,
                ("平田 直美", "hirata"), "koraku-housing.example.jp",
                "物件情報と顧客情報が担当者ごとのExcelと紙のファイルに分散している。賃貸契約書は紙で保管しており、"
                "更新時期を手帳で管理しているため更新案内が遅れることがある。",
                (("SV20", 8, _d(9, 24), None), ("SV22", 1, _d(10, 7), None), ("SV09", 1, _d(10, 27), None),
                 ("SV21", 1, _d(10, 7), None))),
    CompanySpec("C10", "有限会社ヘアスタジオ桃華", "理美容業", "岡山市北区奉還町 2-7-31", 9, 1, 2, 12,
                ("片山 あゆみ", "katayama"), "hair-touka.example.jp",
                "予約を電話と紙の予約台帳で受けており、重複予約や聞き間違いが時々発生する。顧客カルテが紙のため、"
                "来店履歴に基づく案内ができていない。",
                (("SV12", 1, _d(9, 26), None), ("SV20", 5, _d(10, 8), None), ("SV04", 1, _d(10, 8), None),
                 ("SV10", 1, _d(10, 20), None)), open_on_weekends=True),
    CompanySpec("C11", "株式会社操山フーズ", "製造業（惣菜・食品加工）", "岡山市中区江崎 624-2", 64, 2, 3, 1,
                ("守屋 健二", "moriya"), "misao-foods.example.jp",
                "製造日報と原材料のロット管理を紙で行っており、出荷先からの問合せ時にトレーサビリティの確認に時間が"
                "かかる。月次の損益は会計事務所から2か月遅れで届き、経営判断に使えていない。",
                (("SV14", 1, _d(9, 22), None), ("SV24", 1, _d(10, 6), None), ("SV21", 1, _d(10, 6), None))),
    CompanySpec("C12", "株式会社百間川設備工業", "建設業（管工事）", "岡山市中区原尾島 4-2-15", 21, 1, 2, 1,
                ("横山 聡", "yokoyama"), "hyakkengawa-setsubi.example.jp",
                "工事ごとの原価を工事完了後にまとめて計算しており、赤字工事に気付くのが遅い。職人の出退勤を電話で"
                "確認しており、事務員の負担になっている。",
                (("SV01", 21, _d(9, 29), None), ("SV19", 1, _d(10, 14), None), ("SV15", 10, _d(10, 14), None),
                 ("SV25", 1, _d(11, 11), None))),
    CompanySpec("C13", "有限会社京橋リカーズ", "小売業（酒類卸・小売）", "岡山市北区京橋町 9-14", 6, 1, 2, 12,
                ("藤井 美穂", "fujii"), "kyobashi-liquors.example.jp",
                "飲食店からの注文を電話とFAXで受け、手書きの伝票を起こしている。月末の請求書作成に数日かかり、"
                "入金の確認も通帳を見ながら手作業で行っている。",
                (("SV19", 1, _d(10, 1), None), ("SV04", 1, _d(10, 15), None), ("SV28", 1, _d(11, 17), None)),
                open_on_weekends=True),
    CompanySpec("C14", "株式会社岡南ロジパートナーズ", "運輸業（倉庫・配送）", "岡山市南区藤田 564-9", 47, 2, 3, 10,
                ("大森 浩一", "omori"), "konan-logi.example.jp",
                "入出庫の記録を紙の伝票で行い、夕方に事務員がExcelへ転記している。荷主からの在庫照会に即答できず、"
                "折り返しの電話が日常的に発生している。",
                (("SV14", 1, _d(9, 22), None), ("SV16", 18, _d(10, 6), None), ("SV28", 1, _d(11, 5), None))),
    CompanySpec("C15", "株式会社一宮ソーイング", "製造業（縫製）", "岡山市北区一宮 81-6", 33, 1, 2, 11,
                ("黒田 真由美", "kuroda"), "ichinomiya-sewing.example.jp",
                "縫製ラインの進捗を口頭で確認しており、納期遅れの兆候を早めにつかめない。社内の連絡は朝礼と"
                "掲示板が中心で、パート従業員への情報共有が遅れがちである。",
                (("SV13", 1, _d(10, 1), None), ("SV07", 15, _d(10, 15), None))),
    CompanySpec("C16", "株式会社さくらケアセンター東", "介護事業（通所介護）", "岡山市東区益野町 342-7", 29, 1, 2, 12,
                ("河野 千尋", "kono"), "sakura-care-east.example.jp",
                "介護記録は専用ソフトを使っているが、勤怠・シフト管理と職員間の連絡は紙とExcelで行っている。"
                "研修の受講記録も整理できておらず、監査前に慌てて集めている。",
                (("SV02", 1, _d(9, 25), None), ("SV16", 25, _d(10, 2), None), ("SV03", 15, _d(11, 6), None)),
                open_on_weekends=True),
    CompanySpec("C17", "有限会社古都宿木工所", "製造業（木製家具）", "岡山市東区古都宿 415", 11, 1, 2, 12,
                ("池田 修", "ikeda"), "kotoji-mokko.example.jp",
                "受注生産の見積と図面を紙とFAXでやり取りしており、過去の案件を参照しにくい。材料の発注を職人が"
                "個別に行っており、在庫の過不足が起きている。",
                (("SV19", 1, _d(9, 30), None), ("SV14", 1, _d(10, 21), None), ("SV21", 1, _d(10, 21), None))),
    CompanySpec("C18", "株式会社国富ベーカリー工房", "飲食業（製パン・カフェ）", "岡山市中区国富 2-3-19", 19, 1, 2, 1,
                ("松本 彩", "matsumoto"), "kunitomi-bakery.example.jp",
                "2店舗の売上を日報で手集計しており、商品別の売れ行きを分析できていない。販促は店頭のチラシが中心で、"
                "新商品の案内が常連客に届いていない。",
                (("SV25", 1, _d(9, 29), None), ("SV09", 1, _d(10, 9), None), ("SV02", 1, _d(10, 16), None)),
                open_on_weekends=True),
    CompanySpec("C19", "株式会社クリーンワークス岡山", "ビルメンテナンス業", "岡山市南区新保 1107-4", 72, 1, 2, 1,
                ("安藤 勝", "ando"), "cleanworks-okayama.example.jp",
                "40か所以上の現場の作業報告を紙で回収しており、報告書の作成と顧客への提出に時間がかかる。勤怠も"
                "現場ごとの紙の出勤簿に頼っており、集計に毎月3日ほどかかる。",
                (("SV15", 20, _d(9, 24), None), ("SV01", 40, _d(10, 6), None))),
    CompanySpec("C20", "有限会社大安寺モータース", "自動車整備業", "岡山市北区大安寺南町 2-9-3", 14, 1, 2, 12,
                ("原田 剛", "harada"), "daianji-motors.example.jp",
                "車検・点検の予約と案内はがきを手作業で管理しており、案内漏れが発生している。部品の発注は電話が"
                "中心で、発注履歴が残っていない。",
                (("SV20", 6, _d(9, 30), None), ("SV12", 1, _d(10, 14), None), ("SV17", 1, _d(10, 14), None),
                 ("SV09", 1, _d(11, 12), None))),
)

# Staff's words per company: (導入の効果, 今後の課題). Written as a consultant would after the closing interviews:
# specific, in the company's terms, and explaining the figures (C09, C15, C16 took on staff, so productivity fell).
STAFF_WORDS: dict[str, tuple[str, str]] = {
    "C01": ("工程みえる化クラウドで作業指示と進捗をタブレット入力に切り替え、進捗確認のための現場巡回が1日4回から1回に"
            "減った。夜勤との引継ぎはトークルームに一本化し、10月以降の引継ぎ漏れは報告されていない。",
            "実績入力が班長3名に偏っており、作業者本人の入力が定着していない。2026年度は受注情報との連携を進め、"
            "ホワイトボードの廃止を目指す。"),
    "C02": ("現場写真と日報をゲンバノートで撮影・入力するようになり、事務所に戻ってからの整理作業（1人1日約40分）が"
            "なくなった。見積書は見積・請求ナビに集約し、過去案件の検索が数秒でできるようになった。",
            "6月決算のため労働生産性は2026年6月期の決算で確認する。会計クラウドは11月から試行中で、見積・請求ナビとの"
            "連携設定が未了のため、2026年度前半に仕訳の取込みまで整える。"),
    "C03": ("ざいこ帳クラウドで入荷と販売をバーコードで記録し、主力20品目の欠品が月12回から3回に減った。売上ダッシュ"
            "ボードで曜日・時間帯別の売れ筋が見え、仕入れ量の判断に使い始めている。",
            "売上高は前期を下回り付加価値額も減ったが、従業員1名の退職を補充せずに回したため労働生産性は前期並みを保った。"
            "SNSの発信は月1〜2回にとどまっており、担当を決めて頻度を上げることが課題。"),
    "C04": ("シフトらくらくボードで希望の収集から作成・周知までを行い、毎週半日かかっていたシフト調整が1時間程度に"
            "なった。Web予約の導入後、営業時間外の予約が月平均38件入るようになった。",
            "給与計算はシフトの実績を手で転記しており、二重入力が残っている。2026年度に勤怠と給与の連携を試し、"
            "連携できない場合はサービスの見直しを検討する。"),
    "C05": ("ドライバー55名全員が勤怠クラウドで打刻し、労働時間の集計が月末から翌日に前倒しできた。配車の変更連絡を"
            "トークルームで送ることで、FAXでの配車表の配布を10月末で廃止した。",
            "点呼記録はまだ紙で、勤怠データとの突合に手間がかかる。改善基準告示への対応を含め、2026年度は点呼記録の"
            "電子化を検討する。アカウント数が多く、利用料の負担が次年度以降の課題。"),
    "C06": ("訪問スケジュールと申し送りをチームデスクで共有し、伝達漏れによる訪問時間の取り違えが月3件から0件になった。"
            "職員個人の携帯電話での業務連絡をやめ、情報管理の不安が解消された。",
            "ナレッジ棚に登録した手順書は12件で、介護技術のマニュアル化はこれから。ヘルパーの高齢化で操作に不慣れな"
            "職員がおり、年2回の操作研修を続ける必要がある。"),
    "C07": ("ノーコード業務アプリで受注台帳を作り、複数のExcelに分かれていた納期と進捗を1画面で確認できるようになった。"
            "校正データは電子契約と同じ書庫で版管理し、版の取り違えは導入後発生していない。",
            "業務アプリを作れる社員が1名だけで、修正が集中している。受発注ドライブで受けた注文をアプリへ手で入力して"
            "おり、2026年度に連携の自動化と作成者の育成（2名）に取り組む。"),
    "C08": ("ゲンバノートで圃場ごとの作業と収量を記録し、作付計画に前年データを使えるようになった。直売所とネットの"
            "注文を受発注ドライブにまとめ、出荷の段取りにかかる時間が1日30分ほど短くなった。",
            "ホームページは開設したが更新が止まりがちで、ネット経由の注文は全体の1割未満。収穫期の繁忙時に記録が"
            "途切れないよう、入力項目を絞り込むことが課題。"),
    "C09": ("顧客カルテと物件情報をクラウドに集約し、担当者不在時でも問合せに即答できるようになった。賃貸契約の"
            "更新時期を電子契約ステーションで管理し、更新案内の遅れがなくなった。",
            "繁忙期（1〜3月）に向けて営業担当を1名採用し、実績期は教育期間と重なったため、付加価値額は15%以上"
            "増えたが労働生産性はわずかに下がった。新任者が顧客カルテを使いこなし、1人あたりの成約件数を戻すことが"
            "2026年度の課題。"),
    "C10": ("Web予約と顧客カルテで重複予約がなくなり、来店履歴に基づく再来店の案内を始めた。会計クラウドへの"
            "売上の取込みで、月末の締め作業が2日から半日になった。",
            "SNS予約投稿は顧客層に合わず11月末で中止した。顧客カルテの施術メモの書き方がスタッフごとにばらばらで、"
            "記入例を作って統一することが次の課題。"),
    "C11": ("原材料のロットをざいこ帳クラウドで管理し、出荷先からのトレーサビリティの問合せに当日中に回答できる"
            "ようになった。けいえいレーダーで月次損益を翌月10日に確認でき、経営会議で使い始めた。",
            "経営分析サービスを年額一括で契約したため、クラウドサービス経費が上限を超えた（超過分は受託者負担）。"
            "次年度は契約形態を月額に見直す。製造日報の電子化が手つかずで、2026年度の重点とする。"),
    "C12": ("職人21名の出退勤を勤怠クラウドで把握し、事務員の電話確認がなくなった。見積・請求ナビとゲンバノートで"
            "工事ごとの原価を途中で確認でき、赤字工事2件を完了前に把握して対策できた。",
            "原価の集計は月1回の手作業が残る。売上ダッシュボードの利用は社長のみで、現場責任者への展開と、"
            "工事別の粗利の見える化が今後の課題。"),
    "C13": ("飲食店からの注文をFAXのままOCRで読み取り、伝票起こしの時間が1日約2時間から30分に減った。請求書を"
            "見積・請求ナビから発行し、月末の請求作業が4日から1日になった。",
            "OCRの読取り誤りが約5%あり、確認作業が必要。取引先にWeb発注への切替を呼びかけ、2026年度中に主要"
            "取引先の半数をWeb発注にすることを目指す。"),
    "C14": ("入出庫をざいこ帳クラウドで記録し、夕方の転記作業（事務員2名で約3時間）がなくなった。荷主からの在庫照会"
            "にその場で回答でき、折り返しの電話がほぼなくなった。",
            "取扱量の増加に合わせて就業時間が増えており、労働生産性の伸びはわずかにとどまった。OCRで読み取る納品書の"
            "様式が荷主ごとに違い、対応様式を増やすことが課題。"),
    "C15": ("縫製ラインの進捗を工程みえる化クラウドで共有し、納期遅れの兆候を前日までにつかめるようになった。"
            "チームデスクの掲示板でパート従業員への連絡が当日中に届くようになった。",
            "春物の受注増に備えてパート従業員を1名増やしたため、実績期は労働投入量が増え、労働生産性はわずかに"
            "下がった。増員分が戦力になる2026年度に、工程データを使った段取り替えの短縮で生産性を取り戻す。"),
    "C16": ("シフトの作成と周知をシフトらくらくボードで行い、職員間の連絡をトークルームにまとめたことで、月2回"
            "開いていた連絡会議を1回にできた。研修の受講記録を人事労務ノートで管理し、監査前の収集作業がなくなった。",
            "利用者の増加に合わせて職員の就業時間が約9%増え、付加価値額の伸び（約9%）と相殺して労働生産性は"
            "わずかに下がった。記録・連絡の時間を減らした分を、2026年度は送迎と入浴介助の体制づくりに充てる。"),
    "C17": ("過去の見積と図面をクラウド書庫で探せるようになり、見積作成が1件2時間から1時間に短縮した。材料の在庫を"
            "ざいこ帳で共有し、職人ごとの重複発注がなくなった。",
            "大口の受注がなかったため売上・付加価値額は前期より1割減ったが、職人1名の退職後も受注を回せている。"
            "図面のやり取りはまだFAXが残っており、取引先との共有方法の見直しが課題。"),
    "C18": ("売上ダッシュボードで2店舗の商品別売上を毎日確認し、売れ残りの多い3品目を入れ替えた。メール配信で"
            "新商品の案内を常連客約400名に届けられるようになった。",
            "メール配信の登録者を増やす仕組み（店頭での案内）が弱い。シフト作成は店長が行っており、2026年度は"
            "パートの希望収集までアプリで行うことが課題。"),
    "C19": ("40か所以上の現場の作業報告をゲンバノートで写真付きで回収し、顧客への報告書の提出が翌日にできるように"
            "なった。勤怠クラウドで現場ごとの出勤簿がなくなり、月3日かかっていた集計が半日になった。",
            "現場スタッフの一部（60代以上の約10名）はスマートフォンの操作に時間がかかる。現場リーダーによる代行入力を"
            "減らし、全員が自分で入力できるよう現場での操作説明を続ける。"),
    "C20": ("車検・点検の予約をWeb予約と顧客カルテで管理し、案内はがきの出し忘れがなくなった。部品の発注をメールと"
            "カルテの記録に切り替え、発注履歴を後から確認できるようになった。",
            "メール配信の開封率が2割程度にとどまる。Web会議は部品メーカーとの打合せで月1回程度の利用で、"
            "2026年度に利用を続けるか見直す。"),
}

# Companies whose subscription is stopped part-way: company ID -> (service ID, end date, reason).
STOPPED_SUBSCRIPTIONS = {"C10": ("SV10", _d(11, 30), "顧客層にSNSの利用者が少なく効果が見込めないため")}
# Subscriptions whose cost is already counted on another row (one contract used in a second 利用領域).
SHARED_CONTRACT_AREAS = {("C07", "SV30", "情報管理")}

SURNAMES = (("田中", "tanaka"), ("渡辺", "watanabe"), ("伊藤", "ito"), ("小林", "kobayashi"), ("加藤", "kato"),
            ("吉田", "yoshida"), ("山田", "yamada"), ("井上", "inoue"), ("木村", "kimura"), ("清水", "shimizu"),
            ("山口", "yamaguchi"), ("岡本", "okamoto"), ("長谷川", "hasegawa"), ("石田", "ishida"), ("西村", "nishimura"))
GIVEN = (("直樹", "naoki"), ("美香", "mika"), ("大輝", "daiki"), ("陽子", "yoko"), ("亮", "ryo"), ("真理", "mari"),
         ("健太", "kenta"), ("沙織", "saori"), ("浩二", "koji"), ("智子", "tomoko"), ("拓海", "takumi"), ("舞", "mai"))


# ------------------------------------------------------------------------------------------------- date helpers
def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _months(start: date, end: date) -> list[tuple[int, int]]:
    """Calendar months from start to end, both inclusive."""
    out, y, m = [], start.year, start.month
    while (y, m) <= (end.year, end.month):
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _workday(d: date, step: int = 1) -> date:
    """d itself when it is a weekday, else the nearest weekday in the direction of ``step``."""
    while d.weekday() >= 5:
        d += timedelta(days=step)
    return d


def _days(start: date, end: date):
    d = start
    while d <= end:
        yield d
        d += timedelta(days=1)


def _is_holiday_break(d: date) -> bool:
    return (d.month == 12 and d.day >= 29) or (d.month == 1 and d.day <= 3)


# ------------------------------------------------------------------------------------------------ the builders
@dataclass
class _Sub:
    subscription_id: str
    company: CompanySpec
    service: ServiceSpec
    area: str
    quantity: int
    start: date
    end: date | None
    monthly_fee: int
    initial_fee: int
    state: str
    decision: str = ""

    @property
    def last_day(self) -> date:
        return min(self.end or USAGE_END, USAGE_END)


# 継続判断 after the free period, where it is not 継続 (a 中止 subscription is 解約): C12 went idle and has not
# decided; C05 keeps its chat and drops the meeting service; C13's OCR trial read handwritten orders poorly.
DECISIONS = {"D038": schema.UNDECIDED, "D041": schema.UNDECIDED, "D016": schema.CANCEL, "D044": schema.CANCEL,
             "D064": schema.UNDECIDED}


def _subscriptions() -> list[_Sub]:
    subs: list[_Sub] = []
    for c in COMPANIES:
        for service_id, quantity, start, area in c.subscriptions:
            s = SERVICE_BY_ID[service_id]
            area = area or s.area
            if (c.company_id, service_id, area) in SHARED_CONTRACT_AREAS:
                monthly, initial = 0, 0
            elif s.unit == "ユーザー月額":
                monthly, initial = s.price * quantity, s.initial
            elif s.unit == "年額":
                monthly, initial = round(s.price / 12), s.initial
            else:
                monthly, initial = s.price * quantity, s.initial
            # Services started in November are still on trial; their end is the end of the usage period.
            end, state = (None, INTRODUCED) if start.month != 11 else (USAGE_END, TRIAL)
            stopped = STOPPED_SUBSCRIPTIONS.get(c.company_id)
            if stopped and stopped[0] == service_id:
                end, state = stopped[1], STOPPED
            sid = f"D{len(subs) + 1:03d}"
            decision = schema.CANCEL if state == STOPPED else DECISIONS.get(sid, schema.KEEP)
            subs.append(_Sub(sid, c, s, area, quantity, start, end, monthly, initial, state, decision))
    return subs


ISSUED_ON = date(FISCAL_YEAR + 1, 3, 27)  # the deliverables are submitted by 27 March (meeting M09)
CONTRACT_SUM = 12_100_000  # 11,000,000 円 + 10 % consumption tax


def _settings_values() -> dict[str, object]:
    return {"client": CLIENT, "contractor": CONTRACTOR, "fiscal_year": FISCAL_YEAR, "addressee": ADDRESSEE,
            "representative": REPRESENTATIVE,
            "teams_organizer": TEAMS_ORGANIZER, "issued_on": ISSUED_ON, "contract_sum": CONTRACT_SUM}


def _company_rows() -> list[dict]:
    rows = []
    for i, c in enumerate(COMPANIES):
        rows.append({
            "company_id": c.company_id, "name": c.name, "corporate_number": _corporate_number(i, c.name),
            "industry": c.industry, "address": c.address, "employees": c.employees, "stage": str(c.stage),
            "consultant": CONSULTANTS[i % len(CONSULTANTS)], "contact_name": c.contact[0],
            "contact_email": f"{c.contact[1]}@{c.domain}", "closing_month": c.closing_month, "cap": c.cap,
            "cap_agreement": c.cap_agreement or None, "note": c.note or None, "stage_after": str(c.stage_after),
            "challenges": c.challenges, "effects": STAFF_WORDS[c.company_id][0],
            "future_issues": STAFF_WORDS[c.company_id][1],
        })
    return rows


def _corporate_number(index: int, name: str) -> str:
    """A well-formed but fictional 13-digit 法人番号: check digit + 12 digits (registry 2600, type, serial)."""
    kind = "01" if name.startswith("株式会社") else "02"
    base = f"2600{kind}99{index + 1:04d}"
    total = sum(int(digit) * (1 if n % 2 else 2) for n, digit in enumerate(reversed(base), start=1))
    return f"{9 - total % 9}{base}"


def _service_rows() -> list[dict]:
    return [{
        "service_id": s.service_id, "name": s.name, "vendor": s.vendor, "area": s.area, "price_unit": s.unit,
        "unit_price": s.price, "initial_fee": s.initial or None, "url": f"https://{s.slug}.example.com/",
        "note": s.note or None,
    } for s in SERVICES]


def _subscription_rows(subs: list[_Sub]) -> list[dict]:
    return [{
        "subscription_id": s.subscription_id, "company_id": s.company.company_id, "service_id": s.service.service_id,
        "area": s.area, "quantity": s.quantity, "start": s.start, "end": s.end, "monthly_fee": s.monthly_fee,
        "initial_fee": s.initial_fee, "state": s.state, "decision": s.decision,
    } for s in subs]


# ---------------------------------------------------------------------------------------------- support records
@dataclass
class _Act:
    day: date
    form: str
    hours: float
    content: str
    materials: str
    topic: str


def _support_plan(rng: random.Random, c: CompanySpec, subs: list[_Sub], first_visit: date) -> list[_Act]:
    """The support acts of one company: the first visit in person, set-up around each start, monthly follow-ups,
    then effect measurement and the improvement plan."""
    contact = c.contact[0].split()[0]
    mine = [s for s in subs if s.company is c and (c.company_id, s.service.service_id, s.area)
            not in SHARED_CONTRACT_AREAS]
    areas = "・".join(dict.fromkeys(s.area for s in mine))
    first = mine[0].service.name
    acts = [_Act(first_visit, VISIT, 2.0,
                 f"初回訪問・ヒアリング。{contact}様から業務の流れと課題を伺い、{areas}の領域でクラウドサービスを"
                 "試行する方針を確認した。デジタル化の取組段階を確認し、支援の進め方と年間の予定を説明した。",
                 "ヒアリングシート、事業説明資料、クラウドサービス一覧", "初回訪問・ヒアリング")]
    acts.append(_Act(_workday(first_visit + timedelta(days=rng.randint(5, 8))), ONLINE, 1.5,
                     f"ヒアリング結果をもとに課題を整理し、候補サービスを比較。{first}ほか"
                     f"{len(mine) - 1}件の試行を決定し、利用者と権限の範囲を整理した。",
                     "課題整理シート、サービス比較表", "サービス選定"))
    for s in mine:
        setup = _workday(s.start - timedelta(days=rng.randint(1, 3)), -1)
        acts.append(_Act(setup, rng.choice((VISIT, ONLINE)), 1.5,
                         f"{s.service.name}のアカウント発行と初期設定を実施。{contact}様と入力担当・締め日などの"
                         "社内ルールを確認した。",
                         "初期設定手順書、利用ルール（案）", f"{s.service.name}の初期設定"))
        acts.append(_Act(_workday(s.start + timedelta(days=rng.randint(6, 10))), ONLINE, 1.0,
                         f"従業員向けに{s.service.name}の操作説明を実施。スマートフォンからの入力手順を中心に"
                         "質疑応答を行った。",
                         "操作マニュアル（簡易版）", f"{s.service.name}の操作説明"))
    followups = (
        ("{svc}の利用状況を確認。入力が滞っている担当者について、入力のタイミングを朝礼時に固定する運用を提案した。",
         "利用状況レポート", ONLINE),
        ("既存のExcel・紙の台帳から{svc}へのデータ移行を支援。登録するマスタ（従業員・取引先・品目など）の整え方を"
         "説明した。",
         "データ移行手順書、マスタ整備シート", ONLINE),
        ("{svc}の通知・集計機能の使い方を提案し、月次の確認作業を減らす設定を一緒に行った。", "活用ガイド", PHONE),
        ("{svc}の運用で出た質問（権限設定、スマートフォンの機種変更時の手順）にメールと電話で回答した。",
         "Q&A集", PHONE),
    )
    for month in (11, 12):
        if sum(1 for a in acts if a.day.month == month) < 2:
            text, materials, form = rng.choice(followups)
            s = rng.choice(mine)
            acts.append(_Act(_workday(_d(month, rng.randint(3, 24))), form, 1.0, text.format(svc=s.service.name),
                             materials, "利用状況の確認"))
    acts.append(_Act(_workday(_d(1, rng.randint(13, 22))), ONLINE, 1.5,
                     "導入前後の作業時間を比較するため、効果測定シートの記入方法を説明。"
                     f"{mine[0].area}の業務で月あたりの作業時間が減っていることを確認した。",
                     "効果測定シート", "効果測定"))
    acts.append(_Act(_workday(_d(2, rng.randint(2, 6))), rng.choice((VISIT, ONLINE)), 1.5,
                     "3年間の改善活動計画の策定に向け、来年度以降に取り組みたい業務分野と予算の見込みをヒアリングした。"
                     "決算書（基準期・実績期）の提供を依頼した。",
                     "改善活動計画ヒアリングシート", "改善活動計画のヒアリング"))
    acts.append(_Act(_workday(_d(2, rng.randint(12, 20))), VISIT, 2.0,
                     "改善活動計画書（案）を説明し、見直しの時期と担当者を確認した。成果共有会での発表内容を打合せた。",
                     "改善活動計画書（案）", "改善活動計画の確認"))
    # One act a day: a clash moves to the next working day.
    acts.sort(key=lambda a: a.day)
    seen: set[date] = set()
    for a in acts:
        while a.day in seen or a.day.weekday() >= 5:
            a.day += timedelta(days=1)
        seen.add(a.day)
    acts.sort(key=lambda a: a.day)
    # Keep the first visit and the closing acts; trim follow-ups and later walkthroughs beyond fifteen.
    trimmable = [i for i, a in enumerate(acts) if a.topic == "利用状況の確認" or a.topic.endswith("の操作説明")]
    excess = max(0, len(acts) - 15)
    drop = set(trimmable[len(trimmable) - excess:]) if excess else set()
    acts = [a for i, a in enumerate(acts) if i not in drop]
    for a in acts[1:]:
        if a.form == ONLINE and rng.random() < 0.12:
            a.form = PHONE
        a.hours = 1.0 if a.form == PHONE else a.hours
    return acts


def _visit_times(a: _Act, j: int) -> dict[str, str | None]:
    """A visit or an online session has a start and an end (10:00 or 14:00, for its hours); a call has none."""
    if a.form == PHONE:
        return {"start_time": None, "end_time": None}
    start = 10 * 60 if j % 2 == 0 else 14 * 60
    end = start + round(a.hours * 60)
    return {"start_time": f"{start // 60}:{start % 60:02d}", "end_time": f"{end // 60}:{end % 60:02d}"}


MATERIALS_FOLDER = "資料"  # beside the demo book: the materials its 資料リンク point at (relative paths)


def _material_names(materials: str) -> list[str]:
    return [m for m in materials.split("、") if m]


def _material_path(company_id: str, name: str) -> str:
    """The file a material is kept in: a sheet or a table as a workbook, anything else as a Word document."""
    suffix = ".xlsx" if name.endswith(("シート", "表")) else ".docx"
    return f"{MATERIALS_FOLDER}/{company_id}/{name}{suffix}"


def write_materials(folder: Path, support_rows: list[dict]) -> None:
    """Small sample files for every 資料リンク of the demo, so `toolkit handover` packs real files offline. One
    Word and one Excel sample per company, copied under each material's name (building each file takes seconds)."""
    import shutil

    import docx
    from openpyxl import Workbook

    names = {c.company_id: c.name for c in COMPANIES}
    samples: dict[tuple[str, str], Path] = {}
    for row in support_rows:
        for link in (row["links"] or "").splitlines():
            path = folder / link
            if path.exists():
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            sample = samples.get((row["company_id"], path.suffix))
            if sample is not None:
                shutil.copyfile(sample, path)
                continue
            lines = (f"{names[row['company_id']]} 様　支援資料", f"{CONTRACTOR} 作成（デモ用の架空の資料）")
            if path.suffix == ".docx":
                document = docx.Document()
                document.add_heading(lines[0], level=1)
                document.add_paragraph(lines[1])
                document.save(str(path))
            else:
                wb = Workbook()
                for line in lines:
                    wb.active.append([line])
                wb.save(path)
            samples[(row["company_id"], path.suffix)] = path


def _next_plan(nxt: _Act | None) -> str:
    if nxt is None:
        return "支援完了。改善活動計画に沿って社内で運用を継続"
    return f"{nxt.day.month}月{nxt.day.day}日 {nxt.form}（{nxt.topic}）"


def _support_rows(rng: random.Random, subs: list[_Sub]) -> tuple[list[dict], dict[str, list[_Act]]]:
    acts_by_company: dict[str, list[_Act]] = {}
    days = [d for d in _days(_d(9, 8), _d(9, 19)) if d.weekday() < 5]
    for i, c in enumerate(COMPANIES):
        first_visit = days[i % len(days)]
        acts_by_company[c.company_id] = _support_plan(rng, c, subs, first_visit)
    rows = []
    for i, c in enumerate(COMPANIES):
        acts = acts_by_company[c.company_id]
        consultant = CONSULTANTS[i % len(CONSULTANTS)]
        for j, a in enumerate(acts):
            rows.append({
                "company_id": c.company_id, "date": a.day, "form": a.form, "staff": consultant, "hours": a.hours,
                "content": a.content, "materials": a.materials,
                "next_plan": _next_plan(acts[j + 1] if j + 1 < len(acts) else None),
                "links": "\n".join(_material_path(c.company_id, m) for m in _material_names(a.materials)) or None,
                **_visit_times(a, j), "confirmed_by": f"{c.contact[0]}（{a.day:%Y/%m/%d} 確認）",
            })
    rows.sort(key=lambda r: (r["date"], r["company_id"]))
    for n, r in enumerate(rows, start=1):
        r["record_id"] = f"R{n:04d}"
    return rows, acts_by_company


# ---------------------------------------------------------------------------------------------------- expenses
def _expense_rows(rng: random.Random, subs: list[_Sub], acts: dict[str, list[_Act]]) -> list[dict]:
    rows: list[dict] = []

    def add(day: date, company_id: str | None, line: str, amount: int, description: str) -> None:
        rows.append({"date": day, "company_id": company_id, "line": line, "amount": amount,
                     "description": description})

    last_booked = _month_end(*LAST_BOOKED_MONTH)
    for s in subs:
        cid, name = s.company.company_id, s.service.name
        if s.initial_fee:
            add(_workday(s.start + timedelta(days=3)), cid, schema.COST_CLOUD, s.initial_fee, f"{name} 初期費用")
        if s.service.unit == "年額":
            # Annual licences are invoiced once, in full, at the start.
            add(_workday(s.start + timedelta(days=3)), cid, schema.COST_CLOUD, s.service.price,
                f"{name} 年間利用料（一括払い）")
            continue
        if not s.monthly_fee:
            continue
        for y, m in _months(s.start, min(s.end or last_booked, last_booked)):
            add(_workday(_month_end(y, m), -1), cid, schema.COST_CLOUD, s.monthly_fee, f"{name} 利用料（{y}年{m}月分）")
    for c in COMPANIES:
        first_start = min(s.start for s in subs if s.company is c)
        add(_workday(first_start + timedelta(days=7)), c.company_id, schema.COST_SETUP,
            rng.choice((33000, 38500, 44000, 49500, 55000)), "初期設定・アカウント発行・データ移行の支援")
        by_month: dict[tuple[int, int], list[_Act]] = {}
        for a in acts[c.company_id]:
            by_month.setdefault((a.day.year, a.day.month), []).append(a)
        for (y, m), month_acts in sorted(by_month.items()):
            hours = sum(a.hours for a in month_acts)
            visits = sum(1 for a in month_acts if a.form == VISIT)
            amount = int(hours * 11000) + visits * 2200
            detail = f"伴走支援 {y}年{m}月分（{hours:g}時間" + (f"、訪問{visits}回）" if visits else "）")
            add(_workday(_month_end(y, m), -1), c.company_id, schema.COST_CONSULTING, amount, detail)
    for day, amount, text in (
        (_d(9, 5), 38500, "説明会・ワークショップ 会場使用料"),
        (_d(9, 5), 13200, "説明会・ワークショップ 資料印刷"),
        (_d(9, 5), 55000, "ワークショップ ファシリテーター謝金"),
        (_d(12, 9), 16500, "活用事例勉強会 事例資料作成"),
        (_d(2, 20), 33000, "成果共有会 事例集印刷"),
        (_d(2, 24), 44000, "成果共有会 会場使用料"),
        (_d(2, 24), 27500, "成果共有会 配信機材レンタル"),
        (_d(3, 13), 66000, "成果品 報告書冊子の印刷・製本"),
    ):
        add(day, None, schema.COST_COMMON, amount, text)
    order = {line: i for i, line in enumerate(schema.VOCABULARIES["費目"])}
    rows.sort(key=lambda r: (r["date"], order[r["line"]], r["company_id"] or ""))
    for company_id, meeting_id in CONTRACTOR_BORNE:
        rows = _borne_by_contractor(rows, company_id, meeting_id)
    for n, r in enumerate(rows, start=1):
        r["expense_id"] = f"E{n:04d}"
        r["voucher"] = f"R7-{n:04d}"
    return rows


# The companies whose cloud cost beyond the cap the contractor bears, and the meeting that decided it (the minutes
# say so): C11's annual licence (M06), C01's February fees (M08).
CONTRACTOR_BORNE = (("C11", "M06"), ("C01", "M08"))


def _borne_by_contractor(rows: list[dict], company_id: str, meeting_id: str) -> list[dict]:
    """The company's cloud rows in date order: the part beyond the cap goes to rows borne by the contractor (the row
    that crosses the cap is split in two)."""
    cap = next(c.cap for c in COMPANIES if c.company_id == company_id) or _SETTING["cap_default"].default
    out, running = [], 0
    for r in rows:
        if r["company_id"] != company_id or r["line"] != schema.COST_CLOUD:
            out.append(r)
            continue
        within = max(0, min(r["amount"], cap - running))
        running += r["amount"]
        if within:
            out.append({**r, "amount": within})
        if within < r["amount"]:
            out.append({**r, "amount": r["amount"] - within, "bearer": BORNE_BY_CONTRACTOR,
                        "meeting_id": meeting_id, "description": f"{r['description']}（上限超過分・受託者負担）"})
    return out


# ------------------------------------------------------------------------------------------------------- usage
def _accounts(rng: random.Random, c: CompanySpec) -> list[str]:
    people = rng.sample(SURNAMES, 4)
    return [f"{c.contact[1]}@{c.domain}"] + [f"{romaji}@{c.domain}" for _, romaji in people]


# A company that stops using its services for a while (the pipe-fitter's year-end rush): idle in the December status.
PAUSED = {"C12": (_d(11, 12), _d(12, 21))}


def _usage_rows(rng: random.Random, subs: list[_Sub]) -> list[dict]:
    rows: list[dict] = []
    response_id = 0
    accounts = {c.company_id: _accounts(rng, c) for c in COMPANIES}
    for s in subs:
        c = s.company
        rate = USE_RATE[s.area] * (0.35 if s.state == STOPPED else 0.85)
        # Most usage is reported in the monthly hearing; some companies use the self-report form, a few send logs.
        source = SRC_USAGE_FORMS if c.company_id in {"C03", "C09", "C18"} else (
            SRC_LOG if s.service.service_id in {"SV01", "SV16"} and c.company_id == "C05" else SRC_HEARING)
        ramp_end = s.start + timedelta(days=14)
        for d in _days(max(s.start, USAGE_START), s.last_day):
            p = rate * (0.5 if d < ramp_end else 1.0)
            if d.weekday() >= 5:
                p *= 0.4 if c.open_on_weekends else 0.05
            paused = PAUSED.get(c.company_id)
            if _is_holiday_break(d) or rng.random() >= p or (paused and paused[0] <= d <= paused[1]):
                continue
            account = rng.choice(accounts[c.company_id])
            rid = None
            if source == SRC_USAGE_FORMS:
                response_id += 1
                rid = str(response_id)
            rows.append({"company_id": c.company_id, "service_id": s.service.service_id, "area": s.area,
                         "date": d, "account": account, "source": source, "response_id": rid})
            # Now and then a second person reports the same day: the KPI still counts that day once.
            if source == SRC_HEARING and rng.random() < 0.015:
                other = rng.choice([a for a in accounts[c.company_id] if a != account])
                rows.append({**rows[-1], "account": other})
    rows.sort(key=lambda r: ((r["date"].year, r["date"].month), r["company_id"], r["service_id"], r["date"]))
    return rows


# -------------------------------------------------------------------------------------------------- financials
def _period_ends(closing_month: int) -> tuple[date, date]:
    """基準 = the last period closed before the usage period starts, 実績 = the one after it."""
    base = _month_end(USAGE_START.year, closing_month)
    if base >= USAGE_START:
        base = _month_end(USAGE_START.year - 1, closing_month)
    return base, _month_end(base.year + 1, closing_month)


def _financial_rows(rng: random.Random) -> list[dict]:
    rows = []
    fiscal_end = date(FISCAL_YEAR + 1, 3, 31)
    with_hours = {"C01", "C05", "C11", "C14", "C16", "C19"}
    for c in COMPANIES:
        base_end, actual_end = _period_ends(c.closing_month)
        workers = float(c.employees - rng.randint(0, 2))
        personnel = round(workers * rng.uniform(3.3e6, 4.3e6), -3)
        depreciation = round(rng.uniform(0.02, 0.08) * personnel, -3)
        profit = round(rng.uniform(-0.03, 0.18) * personnel, -3)
        hours = round(workers * rng.uniform(1850, 2050), -1) if c.company_id in with_hours else None
        rows.append({"company_id": c.company_id, "period": BASE, "period_end": base_end, "operating_profit": profit,
                     "personnel_cost": personnel, "depreciation": depreciation, "workers": workers,
                     "total_hours": hours})
        if actual_end > fiscal_end:
            continue  # the period has not closed yet: the KPI shows the company as not measurable
        change = rng.uniform(-0.02, 0.06)
        workers_after = max(1.0, workers + rng.choice((-1, 0, 0, 1, 1, 2)))
        hours_after = round(workers_after * rng.uniform(1820, 2000), -1) if hours else None
        labour_before, labour_after = (hours, hours_after) if hours else (workers, workers_after)
        value_added = (profit + personnel + depreciation) / labour_before * (1 + change) * labour_after
        personnel_after = round(personnel * workers_after / workers * rng.uniform(1.005, 1.03), -3)
        depreciation_after = round(depreciation * rng.uniform(0.95, 1.25), -3)
        rows.append({"company_id": c.company_id, "period": ACTUAL, "period_end": actual_end,
                     "operating_profit": round(value_added - personnel_after - depreciation_after, -3),
                     "personnel_cost": personnel_after, "depreciation": depreciation_after,
                     "workers": workers_after, "total_hours": hours_after})
    for r in rows:
        for key in ("operating_profit", "personnel_cost", "depreciation"):
            r[key] = int(r[key])
    return rows


# ---------------------------------------------------------------------------------------------- improvement plan
# Each company's own people and work, so its plan reads as its own (a plan copied across companies is a warning).
WORK: dict[str, tuple[str, str]] = {  # company -> (who uses the service, the work it serves)
    "C01": ("加工現場の作業者", "受注品の加工"), "C02": ("現場の職人", "リフォーム工事"),
    "C03": ("店舗スタッフ", "青果の仕入れと販売"), "C04": ("厨房・ホールのスタッフ", "予約と仕込み"),
    "C05": ("ドライバー", "配車と運行"), "C06": ("訪問ヘルパー", "訪問の予定と記録"),
    "C07": ("製版・印刷の担当者", "印刷物の受注"), "C08": ("圃場と直売所のスタッフ", "野菜の出荷"),
    "C09": ("仲介・管理の担当者", "物件の仲介と管理"), "C10": ("スタイリスト", "予約と来店"),
    "C11": ("製造ラインの従業員", "惣菜の製造"), "C12": ("工事担当者", "配管工事"),
    "C13": ("配達・店頭のスタッフ", "酒類の受注と配達"), "C14": ("倉庫作業員", "入出庫と配送"),
    "C15": ("縫製ラインの従業員", "縫製品の生産"), "C16": ("介護職員", "通所の予定と記録"),
    "C17": ("木工職人", "家具の受注生産"), "C18": ("製造・販売のスタッフ", "パンの製造と販売"),
    "C19": ("清掃スタッフ", "清掃現場の管理"), "C20": ("整備士", "車検・整備の受付"),
}
PLAN_TEXT: dict[str, tuple[tuple[str, str, str], ...]] = {
    # area -> (this year, next year, the year after): (取組内容, 目標, 見直しの観点); {svc} the service, {who} and
    # {work} the company's (WORK)
    "人事": (
        ("{svc}による勤怠・シフトの記録を{who}全員に定着させる", "{who}の打刻漏れを月5件以下にする", REVIEW_CONTINUE),
        ("{svc}の有給休暇管理・残業アラート機能を追加で使い、{who}の労務管理を一元化する",
         "{work}の繁忙期も月末の勤怠集計時間を半減", REVIEW_EXTEND),
        ("給与計算との連携状況を見直し、{who}の勤怠で二重入力が残る場合は給与計算まで一体のサービスへの切替を検討する",
         "{who}の勤怠から給与までの二重入力をなくす", REVIEW_REPLACE)),
    "経理": (
        ("{svc}で{work}に関わる仕訳入力と銀行明細の取込を社内で行う", "{work}の月次損益を翌月15日までに把握",
         REVIEW_CONTINUE),
        ("{svc}の請求書発行・証憑保存の機能を使い、{work}の紙の証憑を減らす", "{work}の紙の証憑を8割削減",
         REVIEW_EXTEND),
        ("会計事務所とのデータ共有の方法を見直し、{work}の月次決算を早める", "{work}の月次決算を翌月10日までに確定",
         REVIEW_CONTINUE)),
    "グループウェア": (
        ("{svc}のスケジュールと掲示板で{who}の予定と連絡を共有する", "{who}への紙の回覧を廃止", REVIEW_CONTINUE),
        ("{svc}の設備予約・申請機能を追加し、{who}の申請業務を電子化する", "{who}の紙の申請書を廃止", REVIEW_EXTEND),
        ("{who}の利用人数の増加に合わせて料金プランと機能を比較し、より適したサービスへの切替の要否を判断する",
         "{who}1人あたりの月額費用を現状並みに維持", REVIEW_REPLACE)),
    "販売促進": (
        ("{svc}で{work}の情報を顧客に定期的に発信する", "{work}の情報発信を月2回以上", REVIEW_CONTINUE),
        ("{svc}の分析機能で反応の良い内容・時間帯を把握し、{work}の発信内容を改善する",
         "{work}の問合せ・予約件数を前年比10%増", REVIEW_EXTEND),
        ("顧客管理と連携できるサービスへの移行を検討し、{work}のリピート促進につなげる", "{work}のリピート率を5ポイント向上",
         REVIEW_REPLACE)),
    "生産管理": (
        ("{svc}で{who}が作業指示と実績を入力し、{work}の工程・在庫の状況を見える化する",
         "{work}の進捗確認のための巡回を半減", REVIEW_CONTINUE),
        ("{svc}の集計機能を使い、{work}の品目別の原価と在庫回転を把握する", "{work}の主要品目の原価を月次で把握",
         REVIEW_EXTEND),
        ("受発注・会計とのデータ連携を見直し、{work}で転記が残る場合は連携できるサービスへの変更を検討する",
         "{work}の転記作業をなくす", REVIEW_REPLACE)),
    "コミュニケーション": (
        ("{svc}を{who}の社内連絡の標準とし、私用アプリでの業務連絡をやめる", "{who}の私用アプリでの業務連絡をゼロにする",
         REVIEW_CONTINUE),
        ("取引先・協力会社との{work}の連絡にも{svc}を広げ、電話とFAXを減らす", "{work}のFAXの送受信を月50枚以下",
         REVIEW_EXTEND),
        ("{who}の連絡手段の利用状況を振り返り、グループウェアとの統合を含めて最適な構成を検討する",
         "{who}の連絡手段を2種類以内に集約", REVIEW_REPLACE)),
    "取引管理": (
        ("{svc}で{work}の見積・受注・請求の情報を一元管理する", "{work}の見積書の作成を1件15分以内", REVIEW_CONTINUE),
        ("{svc}の電子送付・インボイス対応の機能を使い、{work}の請求業務を電子化する", "{work}の請求書の電子送付率70%",
         REVIEW_EXTEND),
        ("取引先の増加を見据え、{work}の受発注から会計までつながるサービスへの変更を検討する",
         "{work}の受注入力の二重作業をなくす", REVIEW_REPLACE)),
    "情報管理": (
        ("{svc}に{work}の書類・写真を集約し、フォルダ構成と名前の付け方を決める", "{work}の必要な書類を1分以内に探せる",
         REVIEW_CONTINUE),
        ("{who}のアクセス権限と共有の運用ルールを見直し、情報漏えい対策を強める", "{who}の権限の棚卸しを年2回実施",
         REVIEW_EXTEND),
        ("{work}の書類の保存容量と費用を確認し、容量・機能に見合ったプランまたはサービスへの変更を判断する",
         "{work}の書類の保存費用を前年並みに維持", REVIEW_REPLACE)),
    "経営分析": (
        ("{svc}で{work}の月次の売上・利益をグラフにし、毎月の会議で確認する", "{work}の月次の数値確認を毎月実施",
         REVIEW_CONTINUE),
        ("{work}の商品別・取引先別の分析を加え、採算の悪い分野を把握する", "{work}の粗利率を1ポイント改善",
         REVIEW_EXTEND),
        ("会計・販売データとの自動連携を見直し、{work}のレポートに手入力が残る場合はサービスの変更を検討する",
         "{work}のレポート作成を月2時間以内", REVIEW_REPLACE)),
    "業務自動化": (
        ("{svc}で{work}の定型の転記・集計作業を自動化する", "{work}の転記作業を月10時間削減", REVIEW_CONTINUE),
        ("自動化の対象を{work}の請求・{who}の勤怠集計などに広げる", "{work}の自動化した業務を3業務に拡大",
         REVIEW_EXTEND),
        ("自動化した処理の保守体制を見直し、{who}が修正できるツールへの変更を検討する",
         "設定を変更できる{who}を2名育成", REVIEW_REPLACE)),
}
PLAN_TIMING = (("2025年12月", "2026年1月", "2026年2月", "2026年3月"),
               ("2026年4月", "2026年6月", "2026年9月", "2026年10月"),
               ("2027年4月", "2027年7月", "2027年10月", "2028年1月"))


def _plan_rows(rng: random.Random, subs: list[_Sub]) -> list[dict]:
    rows = []
    for c in COMPANIES:
        chosen: dict[str, str] = {}
        for s in subs:
            if s.company is c and s.state != STOPPED:
                chosen.setdefault(s.area, s.service.name)
        owners = (c.contact[0], "総務担当", "現場責任者")
        for offset in range(3):
            # Spread the actions over the year, in calendar order.
            slots = sorted(rng.sample(range(len(PLAN_TIMING[offset])), min(len(chosen), len(PLAN_TIMING[offset]))))
            for k, (area, service_name) in enumerate(chosen.items()):
                action, target, review = PLAN_TEXT[area][offset]
                who, work = WORK[c.company_id]
                rows.append({"company_id": c.company_id, "fiscal_year": FISCAL_YEAR + offset, "area": area,
                             "action": action.format(svc=service_name, who=who, work=work),
                             "target": target.format(who=who, work=work),
                             "timing": PLAN_TIMING[offset][slots[min(k, len(slots) - 1)]], "review": review,
                             "owner": owners[0] if k == 0 else rng.choice(owners)})
    return rows


# ---------------------------------------------------------------------------------------------- events, meetings
VENUE = "岡山ビジネスプラザ 4階 大会議室（岡山市北区）"
TEAMS_URL = "https://teams.microsoft.com/l/meetup-join/19%3ameeting_{}%40thread.v2/0"


EVENT_NOTES = {  # (実施内容, 成果・意見) as staff wrote them up after each event
    "E01": ("岡山市から事業の趣旨を説明した後、受託者が支援の進め方と年間予定、クラウドサービスの一覧を紹介した。"
            "後半は業種の近い4〜5社ずつ5班に分かれ、付箋を使って「紙・電話・Excelで困っている業務」を書き出し、"
            "班ごとに優先したい業務を3つに絞って発表した。",
            "勤怠・シフト管理（9社）、受発注・見積（7社）、社内連絡（6社）の課題が多く挙がった。参加者アンケート"
            "（回答31名）では「他社も同じことで困っていると分かった」が8割を超え、初回訪問の前に自社の課題を整理"
            "できたとの声が多かった。"),
    "E03": ("導入から2か月の時点で、株式会社吉備ミナト精工と有限会社京橋リカーズが画面を共有しながら使い方の"
            "工夫を紹介し、受託者がスマートフォンからの入力を定着させるこつ（入力の時間を決める、項目を絞る）を"
            "説明した。",
            "「FAXの注文をOCRで読み取る方法は自社でも試したい」「現場の入力を班長に任せず本人に入力してもらう工夫が"
            "参考になった」などの意見があった。勉強会の後、OCRの試行を希望する企業が2社あった。"),
    "E02": ("支援企業4社（株式会社ひだまりケアサポート、株式会社クリーンワークス岡山、有限会社備前キッチンひなた、"
            "株式会社操山フーズ）が導入の経緯、苦労した点、効果を発表し、会場とオンラインの参加者で質疑を行った。"
            "受託者が利用回数と労働生産性の集計結果を報告し、最後に各社の来年度の計画を班ごとに紹介し合った。",
            "参加者アンケート（回答38名）の満足度は「満足」「やや満足」で9割。高齢の従業員への操作説明や、"
            "年額契約のサービスの費用管理について質問が多かった。発表企業の事例を次年度の計画に取り入れたいとの"
            "声が複数の企業からあった。"),
}


def _event_rows() -> list[dict]:
    rows = [
        {"event_id": "E01", "kind": KICKOFF, "name": "事業説明会・課題発見ワークショップ", "date": _d(9, 5),
         "style": "対面", "venue": VENUE, "teams_url": None, "form_url": None},
        {"event_id": "E02", "kind": SHARING, "name": "成果共有会", "date": _d(2, 24), "style": "ハイブリッド",
         "venue": VENUE, "teams_url": TEAMS_URL.format("DEMO2026SHARING02"), "form_url": None},
        {"event_id": "E03", "kind": OTHER_EVENT, "name": "クラウド活用事例勉強会", "date": _d(12, 9),
         "style": "オンライン", "venue": None, "teams_url": TEAMS_URL.format("DEMO2025STUDY03"), "form_url": None},
    ]
    for row in rows:
        row["content"], row["outcomes"] = EVENT_NOTES[row["event_id"]]
    return rows


def _attendance_rows(rng: random.Random) -> list[dict]:
    rows = []
    response = 0
    for c in COMPANIES:
        people = [(c.contact[0], f"{c.contact[1]}@{c.domain}")]
        for (sur, sur_r), (giv, giv_r) in zip(rng.sample(SURNAMES, 2), rng.sample(GIVEN, 2)):
            if sur_r != c.contact[1]:
                people.append((f"{sur} {giv}", f"{giv_r[0]}.{sur_r}@{c.domain}"))
        for event_id, day, mode in (("E01", _d(9, 5), "onsite"), ("E03", _d(12, 9), "online"),
                                    ("E02", _d(2, 24), "hybrid")):
            count = rng.choice((1, 1, 2, 2, 3)) if mode != "online" else rng.choice((1, 1, 2))
            for name, email in people[:count]:
                status = ABSENT if rng.random() < 0.1 else PRESENT
                online = mode == "online" or (mode == "hybrid" and rng.random() < 0.4)
                if online and status == PRESENT:
                    minutes = float(rng.choice((55, 70, 85, 90, 95, 110)))
                    source, rid = SRC_TEAMS, None
                    imported = datetime.combine(day + timedelta(days=1), datetime.min.time()).replace(hour=6)
                elif rng.random() < 0.7:
                    response += 1
                    minutes, source, rid = None, SRC_FORMS, str(response)
                    # The attendance form is answered on the day; the next morning's sync brings it in.
                    imported = datetime.combine(day + timedelta(days=1), datetime.min.time()).replace(hour=6)
                else:
                    minutes, source, rid, imported = None, SRC_MANUAL, None, None
                rows.append({"event_id": event_id, "company_id": c.company_id, "name": name, "email": email,
                             "status": status, "minutes": minutes, "source": source, "response_id": rid,
                             "imported_at": imported})
    # The city's staff came to the two in-person sessions (no company).
    for event_id in ("E01", "E02"):
        rows.append({"event_id": event_id, "company_id": None, "name": "岡山市 担当課職員", "email": None,
                     "status": PRESENT, "minutes": None, "source": SRC_MANUAL, "response_id": None,
                     "imported_at": None})
    rows.sort(key=lambda r: (r["event_id"], r["company_id"] or "~"))
    return rows


CITY = "岡山市 担当課 2名"
US = f"{CONTRACTOR} 山本（業務責任者）、佐藤"
# The minutes the city signs name both sides and the venue (fictional names, as every name in the demo).
CITY_ATTENDEES = "岡山市 産業観光局 中小企業支援課 課長 高田、主査 森"
OUR_ATTENDEES = "山本（業務責任者）、佐藤（コンサルタント）"
VENUES = {"対面": "岡山市役所 本庁舎 第3会議室", "オンライン": "Microsoft Teams"}
MEETINGS = (
    ("M01", _d(9, 2), "対面", "14:00〜15:00", "事業の進め方と年間スケジュールの確認",
     "支援企業20社の一覧と担当コンサルタントの割当て、9月5日の説明会・ワークショップの準備状況を報告した。",
     "初回訪問は9月19日までに全社対面で実施する。定例会議は原則として月1回、第3火曜日に開催する。",
     "連絡先が未確定の企業が3社ある。→ 委託者から各社に確認し、9月4日までに受託者へ連絡する。",
     "2025年9月24日（水）10:00 オンライン"),
    ("M02", _d(9, 24), "オンライン", "10:00〜11:00", "初回訪問の結果報告、サービスラインナップの確認",
     "20社の初回訪問（対面）を完了した。課題の傾向（勤怠・シフト管理、紙の受発注、社内連絡）を報告。"
     "10の業務分類すべてにクラウドサービスを用意したことを報告した。",
     "9月中に準備の整った企業から利用を開始し、10月中に全社で利用を開始する。",
     "従業員数の多い企業ではアカウント数が増え、経費上限を超えるおそれがある。→ 利用範囲を精査し次回報告する。",
     "2025年10月21日（火）14:00 岡山市役所"),
    ("M03", _d(10, 21), "対面", "14:00〜15:30", "利用開始状況、経費の執行状況、経費上限の変更協議",
     "全社で利用を開始したことと、クラウドサービス経費の執行状況を報告した。11月から追加のサービスを試行する企業が"
     "数社ある。",
     "株式会社西大寺ライン運輸（C05）の経費上限を45万円に変更する（ドライバー全員分のアカウントが必要なため）。"
     "その他の企業は40万円を維持する。",
     "利用実績の把握方法。→ 毎月のヒアリングに加え、利用実績報告フォームを11月から一部の企業で試行する。",
     "2025年11月18日（火）10:00 オンライン"),
    ("M04", _d(11, 18), "オンライン", "10:00〜11:00", "利用実績（KPI）の中間集計、活用事例の共有",
     "10月末時点の利用日数を報告した。利用が伸び悩む企業への追加支援の内容を報告した。",
     "12月9日に活用事例勉強会をオンラインで開催する。",
     "有限会社ヘアスタジオ桃華（C10）がSNS予約投稿サービスの利用を11月末で中止する。→ 代わりに顧客カルテの活用を"
     "重点的に支援する。",
     "2025年12月16日（火）14:00 オンライン"),
    ("M05", _d(12, 16), "オンライン", "14:00〜15:00", "経費の執行見込みと上限超過のリスク、改善活動計画の様式",
     "12月初旬時点の執行額と見込額を報告した。株式会社操山フーズ（C11）は経営分析サービスを年額一括で支払ったため、"
     "12月分の計上で上限を超える見込みであることを報告した。",
     "改善活動計画書の様式を確定した。C11 の超過分の扱いは1月の会議で方針を決める。",
     "年額契約のサービスは月額換算ではなく支払時期で管理する。→ 受託者が契約条件を一覧にして次回提出する。",
     "2026年1月20日（火）14:00 岡山市役所"),
    ("M06", _d(1, 20), "対面", "14:00〜15:30", "労働生産性の算定方法、成果共有会の準備",
     "決算書（基準期・実績期）の収集状況を報告した。労働投入量は総就業時間が両期にある企業はそれを、"
     "それ以外は労働者数を用いる。",
     "成果共有会は2月24日（火）にハイブリッドで開催し、4社が事例を発表する。上限を超えた C11 の超過分は受託者の"
     "負担とする。",
     "6月決算の企業は実績期の決算が未到来のため、KPI実績報告書では算定できない理由を記載する。",
     "2026年2月5日（木）10:00 オンライン"),
    ("M07", _d(2, 5), "オンライン", "10:00〜11:00", "成果共有会の運営、改善活動計画の進捗",
     "各社の改善活動計画（案）の作成状況と成果共有会の申込状況を報告した。",
     "当日の進行表と配布資料を確定した。オンライン参加者の出欠はTeamsの出席レポートで把握する。",
     "発表企業の資料作成の負担。→ 担当コンサルタントが作成を支援する。",
     "2026年2月27日（金）14:00 オンライン"),
    ("M08", _d(2, 27), "オンライン", "14:00〜15:00", "成果共有会の結果報告、成果品の構成",
     "成果共有会の参加状況（会場・オンライン）と参加者アンケートの結果を報告した。",
     "成果品（委託業務報告書、予算執行状況報告書、KPI実績報告書ほか）の構成案を確定した。株式会社吉備ミナト精工（C01）の"
     "2月分のクラウドサービス経費のうち上限を超える分は受託者の負担とする。",
     "3月中旬までに成果品（案）を提出する。",
     "2026年3月17日（火）14:00 岡山市役所"),
    ("M09", _d(3, 17), "対面", "14:00〜15:00", "成果品（案）の確認、次年度以降の取組",
     "利用回数と労働生産性の実績、予算執行状況を成果品（案）に沿って報告した。",
     "指摘事項を反映し、3月27日までに成果品を提出する。",
     "支援企業が次年度以降も改善活動を続けられるよう、改善活動計画書の写しを各社に配布済み。",
     "なし（業務完了）"),
)


LATE_MINUTES = 3  # the fourth meeting's minutes came late: `toolkit status` says so (status.md: late_minutes)


def _meeting_rows() -> list[dict]:
    # The minutes are written within two working days of each meeting (the city asks for them promptly), but for
    # one, written ten days after, past the seven days the city allows.
    return [{"meeting_id": m[0], "date": m[1], "style": m[2], "attendees": f"{CITY}、{US}", "agenda": m[4],
             "reports": m[5], "decisions": m[6], "issues": m[7], "next_meeting": m[8], "time": m[3],
             "venue": VENUES.get(m[2]), "client_attendees": CITY_ATTENDEES, "contractor_attendees": OUR_ATTENDEES,
             "written_on": m[1] + timedelta(days=10) if i == LATE_MINUTES else _workday(m[1] + timedelta(days=1 + i % 2))}
            for i, m in enumerate(MEETINGS)]


def _issue_rows() -> list[dict]:
    """The issue register of 5(3)ア: one overdue at mid-December, one open, one done (`toolkit status`)."""
    return [
        {"issue_id": "K01", "raised_on": _d(9, 25), "kind": "課題",
         "content": "3月決算の企業は実績期の決算書が契約期間内に出ない", "impact": "労働生産性を契約期間内に測れない企業が出る",
         "response": "試算表（10月〜2月）による暫定値の算定を委託者に提案する", "owner": "事務局", "due": _d(11, 28),
         "state": "対応中", "reported_on": _d(10, 21)},
        {"issue_id": "K02", "raised_on": _d(10, 21), "kind": "リスク", "content": "上限を超える見込みの企業がある",
         "impact": "超過分の負担先の協議が要る", "response": "月額の見直しと負担区分を会議で決める", "owner": "事務局",
         "due": _d(1, 20), "state": "対応中", "reported_on": _d(10, 21)},
        {"issue_id": "K03", "raised_on": _d(9, 2), "kind": "要件指摘", "content": "成果共有会の日程（2月中旬〜3月上旬）の確定",
         "impact": None, "response": "2月20日で会場を確保", "owner": "事務局", "due": _d(10, 31), "state": "完了",
         "reported_on": _d(9, 16)},
    ]


# ------------------------------------------------------------------------------------------------------ writing
def _write_rows(ws: Worksheet, table: schema.Table, rows: list[dict]) -> None:
    columns = table_columns(table)
    formats = [column_format(table, c) for c in columns]
    for r, row in enumerate(rows, start=2):
        for i, column in enumerate(columns):
            value = row.get(column.key)
            if value is None and formats[i] is None:
                continue
            cell = ws.cell(row=r, column=i + 1, value=value)
            if formats[i] is not None:
                cell.number_format = formats[i]
    resize_table(ws, table, len(rows))


def _write_settings(ws: Worksheet) -> None:
    values = _settings_values()
    for row, setting in enumerate(schema.SETTING_ITEMS, start=2):
        if setting.key in values:
            ws.cell(row=row, column=2, value=values[setting.key])


def demo_tables() -> dict[str, list[dict]]:
    """sheet -> rows (column key -> value) of the whole demo program."""
    rng = random.Random(SEED)
    subs = _subscriptions()
    support, acts = _support_rows(rng, subs)
    return {
        schema.COMPANIES.sheet: _company_rows(),
        schema.SERVICES.sheet: _service_rows(),
        schema.SUBSCRIPTIONS.sheet: _subscription_rows(subs),
        schema.EXPENSES.sheet: _expense_rows(rng, subs, acts),
        schema.SUPPORT_LOG.sheet: support,
        schema.USAGE_DAYS.sheet: _usage_rows(rng, subs),
        schema.FINANCIALS.sheet: _financial_rows(rng),
        schema.PLAN_ITEMS.sheet: _plan_rows(rng, subs),
        schema.EVENTS.sheet: _event_rows(),
        schema.ATTENDANCE.sheet: _attendance_rows(rng),
        schema.MEETINGS.sheet: _meeting_rows(),
        schema.ISSUES.sheet: _issue_rows(),
        schema.AUDIT_LOG.sheet: [{"at": datetime(FISCAL_YEAR, 9, 1, 9, 0), "operation": "作成", "sheet": None,
                                  "key": None, "detail": "toolkit demo でデモ用のマスターブックを作成（架空のデータ）"}],
    }


def build_demo_workbook(path: str | Path) -> None:
    """Write the demo master workbook to ``path`` (a new file; an existing one is replaced)."""
    wb = build_template()
    _write_settings(wb[schema.SETTINGS.sheet])
    tables = demo_tables()
    for sheet, rows in tables.items():
        _write_rows(wb[sheet], schema.TABLES_BY_SHEET[sheet], rows)
    wb.save(Path(path))
    write_materials(Path(path).parent, tables[schema.SUPPORT_LOG.sheet])
