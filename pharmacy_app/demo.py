"""Built-in sample data (示例数据): `pharmacy-app demo` and the window's first start.

A new pharmacist, the screenshots and the sample PDF reports all see this data
set, so it has to look like a real township health centre's year and make
every indicator show something worth explaining:

* ED-1: a grassroots catalogue whose essential 品规 share is just above 85%.
* AV-1…AV-12: agreed volumes ahead of and behind 序时进度, one under 50%
  (unqualified), one already over 100%, one whose procurement year has ended,
  one 通用名 with non-selected purchases above 30%, backup and substitutable
  products, a cheaper 过评 non-selected product that AV-8 excludes, a selected
  specification never purchased (AV-12 未进院), VBP products with no agreement
  (AV-10 未报量).
* SUP-1…SUP-5: one distributor that answers slowly or never, one that
  delivers late in every quarter, the rest good; recent orders still pending.
* PAY-0…PAY-4: whole-order and per-line payments, late and split payments,
  unpaid orders, about 3% of the amount bought offline.
* SH-3: two products whose recent orders were confirmed but never delivered.

Everything comes from a seeded `random.Random` and tables written out below,
so two builds with the same `today` and seed are identical (row UUIDs aside).
The catalogue tables are the single source; the purchase generator derives
its volumes from the agreement plans so the indicator outcomes above hold for
any `today` inside the 2026 procurement years.

Nothing here imports Qt: the command line and the window share it.
"""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path

from db import DatabaseTooNew, NotOurDatabase, open_db, transaction
from pharmacy_app.catalogue import Product, save_products
from pharmacy_app.demo_marker import holds_demo
from pharmacy_app.institutions import LEVEL_NAMES, init_institution
from pharmacy_app.parsing import (
    conversion_from_package,
    decimal_text,
    format_datetime,
    yuan_to_fen,
)
from pharmacy_app.store import open_store

DEFAULT_SEED = 20261123
INSTITUTION_CODE = "H46010001"
INSTITUTION_NAME = "海口市琼山区三门坡镇卫生院"
INSTITUTION_LEVEL = "grassroots"

# Purchases start here: one month before the earliest 2026 procurement year,
# so the first months of every agreement have history before them.
DATA_START = dt.date(2025, 12, 1)
# Products deactivated in the catalogue were last bought before this day
# (the switch to VBP products on 1 March).
DEACTIVATED_ON = dt.date(2026, 3, 1)

# Tables a forced rebuild empties, children first (agreement_products refers
# to agreements). Reference data (essential lists, name mappings) and
# settings are kept: they are not demo data.
DATA_TABLES = (
    "agreement_emergencies",
    "agreement_exemptions",
    "payments",
    "purchase_lines",
    "agreement_products",
    "agreements",
    "products",
    "import_batches",
    "institutions",
)


class DemoExists(Exception):
    """The database already holds data and the caller did not ask to replace it."""


# ---------------------------------------------------------------------------
# Manufacturers. Short keys keep the catalogue table readable; the stored
# name is the registered company name, as platform exports print it.
# ---------------------------------------------------------------------------
MAKERS: dict[str, str] = {
    "石药欧意": "石药集团欧意药业有限公司",
    "石药中诺": "石药集团中诺药业（石家庄）有限公司",
    "华北制药": "华北制药股份有限公司",
    "联邦制药": "珠海联邦制药股份有限公司",
    "齐鲁制药": "齐鲁制药有限公司",
    "扬子江": "扬子江药业集团有限公司",
    "华海": "浙江华海药业股份有限公司",
    "京新": "浙江京新药业股份有限公司",
    "嘉林": "北京嘉林药业股份有限公司",
    "乐普": "乐普药业股份有限公司",
    "信立泰": "深圳信立泰药业股份有限公司",
    "海正": "浙江海正药业股份有限公司",
    "新华": "山东新华制药股份有限公司",
    "双鹤": "华润双鹤药业股份有限公司",
    "信谊": "上海信谊药厂有限公司",
    "力生": "天津力生制药股份有限公司",
    "罗欣": "山东罗欣药业集团股份有限公司",
    "常州四药": "常州四药制药有限公司",
    "恒瑞": "江苏恒瑞医药股份有限公司",
    "正大天晴": "正大天晴药业集团股份有限公司",
    "豪森": "江苏豪森药业集团有限公司",
    "科伦": "四川科伦药业股份有限公司",
    "石家庄四药": "石家庄四药有限公司",
    "辰欣": "辰欣药业股份有限公司",
    "鲁抗": "山东鲁抗医药股份有限公司",
    "白云山": "广州白云山医药集团股份有限公司白云山制药总厂",
    "国药致君": "国药集团致君（深圳）制药有限公司",
    "苏州二叶": "苏州二叶制药有限公司",
    "华东": "杭州中美华东制药有限公司",
    "东阳光": "宜昌东阳光长江药业股份有限公司",
    "海南普利": "海南普利制药股份有限公司",
    "海南双成": "海南双成药业股份有限公司",
    "先声": "海南先声药业有限公司",
    "康恩贝": "浙江康恩贝制药股份有限公司",
    "施慧达": "施慧达药业集团（吉林）有限公司",
    "鲁南贝特": "鲁南贝特制药有限公司",
    "东北制药": "东北制药集团沈阳第一制药有限公司",
    "版纳": "西双版纳版纳药业有限责任公司",
    "益民": "北京益民药业有限公司",
    "旭东海普": "上海旭东海普药业有限公司",
    "金陵": "金陵药业股份有限公司南京金陵制药厂",
    "斯利安": "北京斯利安药业有限公司",
    "甘李": "甘李药业股份有限公司",
    "京卫": "山东京卫制药有限公司",
    "丽珠": "丽珠集团丽珠制药厂",
    "泰德": "北京泰德制药股份有限公司",
    "江中": "江中药业股份有限公司",
    "韩美": "北京韩美药品有限公司",
    "达因": "山东达因海洋生物制药股份有限公司",
    "中美史克": "中美天津史克制药有限公司",
    "强生": "上海强生制药有限公司",
    # Originators (原研).
    "晖致": "晖致制药（大连）有限公司",
    "辉瑞": "辉瑞制药有限公司",
    "阿斯利康": "阿斯利康制药有限公司",
    "拜耳": "拜耳医药保健有限公司",
    "赛诺菲": "赛诺菲（杭州）制药有限公司",
    "施贵宝": "中美上海施贵宝制药有限公司",
    "诺华": "北京诺华制药有限公司",
    "第一三共": "第一三共制药（北京）有限公司",
    "勃林格": "上海勃林格殷格翰药业有限公司",
    "诺和诺德": "诺和诺德（中国）制药有限公司",
    "默沙东": "杭州默沙东制药有限公司",
    "卫材": "卫材（中国）药业有限公司",
    "施维雅": "施维雅（天津）制药有限公司",
    "默克": "默克制药（江苏）有限公司",
    "杨森": "西安杨森制药有限公司",
    "安斯泰来": "安斯泰来制药（中国）有限公司",
    "参天": "参天制药（中国）有限公司",
    "益普生": "博福-益普生（天津）制药有限公司",
    # Chinese patent medicines (中成药).
    "天士力": "天士力医药集团股份有限公司",
    "以岭": "石家庄以岭药业股份有限公司",
    "同仁堂": "北京同仁堂科技发展股份有限公司制药厂",
    "九芝堂": "九芝堂股份有限公司",
    "华润三九": "华润三九医药股份有限公司",
    "白云山和黄": "广州白云山和记黄埔中药有限公司",
    "白云山光华": "广州白云山光华制药股份有限公司",
    "步长": "陕西步长制药有限公司",
    "山东步长": "山东步长制药股份有限公司",
    "云南白药": "云南白药集团股份有限公司",
    "太极": "太极集团重庆涪陵制药厂有限公司",
    "上海和黄": "上海和黄药业有限公司",
    "康缘": "江苏康缘药业股份有限公司",
    "仲景": "仲景宛西制药股份有限公司",
    "济川": "济川药业集团有限公司",
    "香雪": "广州市香雪制药股份有限公司",
    "中新六厂": "天津中新药业集团股份有限公司第六中药厂",
    "昆药": "昆药集团股份有限公司",
    "济民可信": "江西济民可信金水宝制药有限公司",
    "众生": "广东众生药业股份有限公司",
    "颈复康": "颈复康药业集团有限公司",
    "千金": "株洲千金药业股份有限公司",
    "京万红": "天津达仁堂京万红药业有限公司",
    "奇正": "西藏奇正藏药股份有限公司",
    "神威": "神威药业集团有限公司",
    "三精": "哈药集团三精制药有限公司",
    "星群": "广州白云山星群（药业）股份有限公司",
    "天施康": "江西天施康中药股份有限公司",
    # Consumables.
    "威高": "山东威高集团医用高分子制品股份有限公司",
    "洪达": "江西洪达医疗器械集团有限公司",
    "康德莱": "上海康德莱企业发展集团股份有限公司",
    "驼人": "河南驼人医疗器械集团有限公司",
    "三鑫": "江西三鑫医疗科技股份有限公司",
    "稳健": "稳健医疗用品股份有限公司",
    "振德": "振德医疗用品股份有限公司",
    "蓝帆": "蓝帆医疗股份有限公司",
}
MAKER_INDEX = {key: i for i, key in enumerate(MAKERS, 1)}

ORIGINATOR_MAKERS = frozenset(
    {
        "晖致", "辉瑞", "阿斯利康", "拜耳", "赛诺菲", "施贵宝", "诺华", "第一三共", "勃林格",
        "诺和诺德", "默沙东", "卫材", "施维雅", "默克", "杨森", "安斯泰来", "参天", "益普生",
    }
)
# Generic makers whose chemical products here passed consistency evaluation (过评).
EVALUATED_MAKERS = frozenset(
    {
        "石药欧意", "石药中诺", "联邦制药", "齐鲁制药", "扬子江", "华海", "京新", "嘉林", "乐普",
        "信立泰", "海正", "新华", "双鹤", "罗欣", "常州四药", "恒瑞", "正大天晴", "豪森", "科伦",
        "国药致君", "苏州二叶", "华东", "东阳光", "海南普利", "海南双成", "先声", "鲁南贝特",
    }
)
# Forms for which this demo claims no consistency evaluation.
NOT_EVALUATED_FORMS = frozenset(
    {"乳膏剂", "软膏剂", "眼膏剂", "滴眼剂", "洗剂", "灌肠剂", "吸入气雾剂", "混悬液", "口服溶液剂", "散剂"}
)

# ---------------------------------------------------------------------------
# The drug catalogue. One line per 通用名 + 剂型:
#
#   通用名 | 剂型 | 编码类别 | 标志 | 规格 包装 单价 企业,企业 ; 规格 包装 单价 企业 …
#
# 编码类别 is the code's prefix (X = 西药/化学药, Z = 中成药) and a 5-character
# class. 标志: 基 essential, 谈 national negotiated (国谈), 常 high-use,
# 稀 rarely used (emergency drugs), - none. Each `;` group is one
# specification and package (per-package price in yuan, for the first
# maker); a maker written `key@9.60` has its own price, `key!` is inactive
# (停用). Generic names carry no dosage form (FORMATS.md), so an agreement's
# 通用名 is the name plus the form (阿莫西林 + 胶囊).
# ---------------------------------------------------------------------------
DRUG_TABLE = """
阿莫西林|胶囊|XJ01CA|基常|0.25g 0.25g*24粒/盒 3.36 石药欧意,华北制药@5.80,联邦制药@6.50; 0.5g 0.5g*24粒/盒 9.60 联邦制药
阿莫西林|颗粒剂|XJ01CA|基|0.125g 0.125g*12袋/盒 7.80 联邦制药
阿莫西林克拉维酸钾|片剂|XJ01CR|基|0.2285g 0.2285g*12片/盒 12.60 华北制药,联邦制药
头孢拉定|胶囊|XJ01DB|基|0.25g 0.25g*24粒/盒 5.60 华北制药,石药中诺!
头孢氨苄|胶囊|XJ01DB|基|0.25g 0.25g*24粒/盒 4.30 华北制药,鲁抗!
头孢呋辛酯|片剂|XJ01DC|基|0.25g 0.25g*12片/盒 9.36 国药致君,白云山@10.56
头孢克洛|胶囊|XJ01DC|-|0.25g 0.25g*6粒/盒 4.98 苏州二叶,联邦制药@5.40
头孢克洛|颗粒剂|XJ01DC|-|0.125g 0.125g*6袋/盒 8.50 苏州二叶
头孢丙烯|分散片|XJ01DC|-|0.25g 0.25g*6片/盒 9.80 石药欧意
头孢克肟|片剂|XJ01DD|基|0.1g 0.1g*6片/盒 6.80 齐鲁制药,白云山
头孢地尼|胶囊|XJ01DD|-|0.1g 0.1g*6粒/盒 12.60 联邦制药
头孢曲松钠|注射用无菌粉末|XJ01DD|基常|1.0g 1.0g/瓶 3.20 齐鲁制药,石药中诺!; 0.5g 0.5g/瓶 2.10 齐鲁制药
头孢唑林钠|注射用无菌粉末|XJ01DB|基|0.5g 0.5g/瓶 2.60 石药中诺
头孢他啶|注射用无菌粉末|XJ01DD|基|1.0g 1.0g/瓶 6.50 海南双成
阿奇霉素|片剂|XJ01FA|基|0.25g 0.25g*6片/盒 4.56 石药欧意,辉瑞@28.80
阿奇霉素|注射用无菌粉末|XJ01FA|基|0.5g 0.5g/瓶 9.80 海南普利
阿奇霉素|干混悬剂|XJ01FA|基|0.1g 0.1g*6袋/盒 9.80 联邦制药
克拉霉素|片剂|XJ01FA|基|0.25g 0.25g*6片/盒 6.20 扬子江
罗红霉素|胶囊|XJ01FA|-|0.15g 0.15g*12粒/盒 3.80 石药欧意!
盐酸克林霉素|胶囊|XJ01FF|基|0.15g 0.15g*12粒/盒 4.20 华北制药
克林霉素磷酸酯|注射液|XJ01FF|基|2ml:0.3g 2ml:0.3g*5支/盒 8.50 海南双成
硫酸庆大霉素|注射液|XJ01GB|基|2ml:8万单位 2ml:8万单位*10支/盒 6.80 新华
硫酸阿米卡星|注射液|XJ01GB|基|2ml:0.2g 2ml:0.2g*10支/盒 12.00 石药中诺
左氧氟沙星|片剂|XJ01MA|基|0.5g 0.5g*4片/盒 3.96 扬子江,第一三共@28.00,齐鲁制药@6.40; 0.1g 0.1g*12片/盒 4.20 扬子江
左氧氟沙星氯化钠|注射液|XJ01MA|基|100ml:0.5g 100ml:0.5g/瓶 6.80 科伦
盐酸莫西沙星|片剂|XJ01MA|基|0.4g 0.4g*3片/盒 12.60 齐鲁制药,拜耳@36.50
盐酸环丙沙星|片剂|XJ01MA|基|0.25g 0.25g*12片/盒 2.80 新华
诺氟沙星|胶囊|XJ01MA|基|0.1g 0.1g*24粒/盒 2.50 华北制药
奥硝唑|片剂|XP01AB|-|0.25g 0.25g*12片/盒 6.80 豪森
甲硝唑|片剂|XP01AB|基常|0.2g 0.2g*100片/瓶 6.00 新华,石药欧意@9.50
甲硝唑氯化钠|注射液|XP01AB|基|100ml:0.5g 100ml:0.5g/瓶 2.80 科伦,石家庄四药!
替硝唑|片剂|XP01AB|基|0.5g 0.5g*8片/盒 3.20 扬子江
氟康唑|胶囊|XJ02AC|基|50mg 50mg*6粒/盒 4.80 扬子江
阿昔洛韦|片剂|XJ05AB|基|0.1g 0.1g*24片/盒 3.50 新华
阿昔洛韦|乳膏剂|XD06BB|基|3% 10g:0.3g/支 3.80 新华
磷酸奥司他韦|胶囊|XJ05AH|基|75mg 75mg*10粒/盒 28.60 东阳光
盐酸小檗碱|片剂|XA07AA|基|0.1g 0.1g*100片/瓶 5.50 东北制药
布洛芬|缓释胶囊|XM01AE|基常|0.3g 0.3g*20粒/盒 2.40 新华,中美史克@22.80
布洛芬|片剂|XM01AE|基|0.2g 0.2g*24片/盒 3.20 新华
布洛芬|混悬液|XM01AE|基|100ml:2g 100ml:2g/瓶 12.80 强生
对乙酰氨基酚|片剂|XN02BE|基|0.5g 0.5g*100片/瓶 4.50 新华
阿司匹林|肠溶片|XB01AC|基常|100mg 100mg*36片/盒 4.20 石药欧意; 100mg 100mg*30片/盒 15.80 拜耳
双氯芬酸钠|缓释片|XM01AB|基|75mg 75mg*10片/盒 3.80 力生,诺华@19.60
塞来昔布|胶囊|XM01AH|-|0.2g 0.2g*6粒/盒 4.38 正大天晴,辉瑞@24.30
洛索洛芬钠|片剂|XM01AE|基|60mg 60mg*20片/盒 5.20 康恩贝
别嘌醇|片剂|XM04AA|基|0.1g 0.1g*100片/瓶 9.80 信谊
秋水仙碱|片剂|XM04AC|基|0.5mg 0.5mg*20片/盒 8.60 版纳
非布司他|片剂|XM04AA|基|40mg 40mg*16片/盒 9.60 恒瑞
硝苯地平|缓释片|XC08CA|基常|20mg 20mg*30片/盒 3.00 齐鲁制药,信谊@6.90
硝苯地平|控释片|XC08CA|-|30mg 30mg*7片/盒 21.50 拜耳
硝苯地平|片剂|XC08CA|基|10mg 10mg*100片/瓶 3.50 信谊
苯磺酸氨氯地平|片剂|XC08CA|基常|5mg 5mg*28片/盒 1.54 京新,石药欧意@2.24; 5mg 5mg*7片/盒 19.80 晖致
苯磺酸左氨氯地平|片剂|XC08CA|基|2.5mg 2.5mg*14片/盒 11.20 施慧达
非洛地平|缓释片|XC08CA|基|5mg 5mg*10片/盒 4.60 京新,阿斯利康@26.80
尼群地平|片剂|XC08CA|基|10mg 10mg*100片/瓶 3.20 力生
尼莫地平|片剂|XC08CA|基|30mg 30mg*50片/盒 12.60 辰欣,拜耳@49.60
厄贝沙坦|片剂|XC09CA|基常|0.15g 0.15g*7片/盒 1.92 华海,赛诺菲@18.90
缬沙坦|胶囊|XC09CA|基|80mg 80mg*7粒/盒 3.50 华海,诺华@22.80
厄贝沙坦氢氯噻嗪|片剂|XC09DA|-|0.15g:12.5mg 0.15g:12.5mg*7片/盒 6.30 华海,赛诺菲@32.60
复方利血平氨苯蝶啶|片剂|XC02LA|-|复方 10片/盒 5.60 双鹤
氯沙坦钾|片剂|XC09CA|-|50mg 50mg*7片/盒 4.20 扬子江
替米沙坦|片剂|XC09CA|基|40mg 40mg*14片/盒 4.90 乐普
马来酸依那普利|片剂|XC09AA|基|10mg 10mg*16片/盒 6.40 扬子江
卡托普利|片剂|XC09AA|基|25mg 25mg*100片/瓶 3.20 信谊
培哚普利叔丁胺|片剂|XC09AA|基|4mg 4mg*10片/盒 32.40 施维雅
沙库巴曲缬沙坦钠|片剂|XC09DX|谈|100mg 100mg*14片/盒 46.20 诺华
酒石酸美托洛尔|片剂|XC07AB|基常|25mg 25mg*20片/盒 1.80 信谊,阿斯利康@5.60
琥珀酸美托洛尔|缓释片|XC07AB|基|47.5mg 47.5mg*7片/盒 17.80 阿斯利康
富马酸比索洛尔|片剂|XC07AB|基|5mg 5mg*10片/盒 4.80 常州四药,默克@18.60
盐酸普萘洛尔|片剂|XC07AA|基|10mg 10mg*100片/瓶 4.20 信谊
吲达帕胺|片剂|XC03BA|基|2.5mg 2.5mg*30片/盒 3.60 力生
氢氯噻嗪|片剂|XC03AA|基|25mg 25mg*100片/瓶 3.80 常州四药
呋塞米|片剂|XC03CA|基|20mg 20mg*100片/瓶 4.60 力生
呋塞米|注射液|XC03CA|基|2ml:20mg 2ml:20mg*10支/盒 5.20 辰欣
螺内酯|片剂|XC03DA|基|20mg 20mg*100片/瓶 6.80 信谊
硝酸甘油|片剂|XC01DA|基|0.5mg 0.5mg*100片/瓶 12.50 益民
单硝酸异山梨酯|缓释片|XC01DA|基|40mg 40mg*24片/盒 12.80 鲁南贝特
硝酸异山梨酯|片剂|XC01DA|基|5mg 5mg*100片/瓶 4.80 信谊
地高辛|片剂|XC01AA|基|0.25mg 0.25mg*100片/瓶 8.50 信谊
盐酸曲美他嗪|片剂|XC01EB|基|20mg 20mg*30片/盒 7.20 常州四药,施维雅@42.60
盐酸胺碘酮|片剂|XC01BD|基稀|0.2g 0.2g*10片/盒 22.50 赛诺菲
去乙酰毛花苷|注射液|XC01AA|基稀|2ml:0.4mg 2ml:0.4mg*10支/盒 28.00 旭东海普
盐酸肾上腺素|注射液|XC01CA|基稀|1ml:1mg 1ml:1mg*10支/盒 9.60 旭东海普
重酒石酸去甲肾上腺素|注射液|XC01CA|基稀|1ml:2mg 1ml:2mg*10支/盒 11.80 旭东海普
盐酸多巴胺|注射液|XC01CA|基稀|2ml:20mg 2ml:20mg*10支/盒 6.90 辰欣
前列地尔|注射液|XC01EA|-|2ml:10μg 2ml:10μg*1支/盒 58.00 泰德
阿托伐他汀钙|片剂|XC10AA|基常|20mg 20mg*14片/盒 2.52 嘉林,乐普@6.72; 10mg 10mg*14片/盒 1.40 嘉林; 20mg 20mg*7片/盒 24.00 晖致
瑞舒伐他汀钙|片剂|XC10AA|基|10mg 10mg*28片/盒 4.48 海正; 10mg 10mg*7片/盒 28.40 阿斯利康
辛伐他汀|片剂|XC10AA|基|20mg 20mg*14片/盒 3.20 华海
非诺贝特|胶囊|XC10AB|基|0.2g 0.2g*10粒/盒 6.80 鲁南贝特
羟苯磺酸钙|胶囊|XC05BX|-|0.5g 0.5g*20粒/盒 9.60 恒瑞
硫酸氢氯吡格雷|片剂|XB01AC|基常|75mg 75mg*7片/盒 8.26 信立泰,乐普@8.75,赛诺菲@47.20
替格瑞洛|片剂|XB01AC|基稀|90mg 90mg*14片/盒 45.00 阿斯利康
华法林钠|片剂|XB01AA|基|2.5mg 2.5mg*60片/瓶 18.00 信谊
利伐沙班|片剂|XB01AF|基|10mg 10mg*5片/盒 11.40 正大天晴,拜耳@52.00
肝素钠|注射液|XB01AB|基稀|2ml:12500单位 2ml:12500单位*10支/盒 48.00 常州四药
盐酸二甲双胍|片剂|XA10BA|基常|0.5g 0.5g*60片/瓶 2.70 双鹤,力生@3.00; 0.5g 0.5g*20片/盒 8.96 施贵宝; 0.25g 0.25g*48片/盒 3.60 力生
盐酸二甲双胍|缓释片|XA10BA|基|0.5g 0.5g*30片/盒 4.80 石药欧意
格列美脲|片剂|XA10BB|基|2mg 2mg*30片/盒 3.60 扬子江; 2mg 2mg*15片/盒 36.20 赛诺菲
格列齐特|缓释片|XA10BB|基|30mg 30mg*30片/盒 6.30 华海,施维雅@39.00
格列吡嗪|片剂|XA10BB|基|5mg 5mg*30片/盒 3.20 扬子江
阿卡波糖|片剂|XA10BF|基常|50mg 50mg*30片/盒 5.40 华东,拜耳@39.00
达格列净|片剂|XA10BK|基谈|10mg 10mg*14片/盒 59.92 阿斯利康
恩格列净|片剂|XA10BK|基谈|10mg 10mg*10片/盒 43.50 勃林格
磷酸西格列汀|片剂|XA10BH|基|100mg 100mg*7片/盒 21.80 默沙东
依帕司他|片剂|XA10XA|-|50mg 50mg*10片/盒 12.80 扬子江
利拉鲁肽|注射液|XA10BJ|基谈稀|3ml:18mg 3ml:18mg*1支/盒 299.00 诺和诺德
精蛋白生物合成人胰岛素（预混30R）|注射液|XA10AD|基|3ml:300单位 3ml:300单位*1支/盒 56.80 诺和诺德
甘精胰岛素|注射液|XA10AE|基|3ml:300单位 3ml:300单位*1支/盒 72.00 甘李,赛诺菲@115.00
盐酸氨溴索|片剂|XR05CB|基|30mg 30mg*20片/盒 3.80 先声,勃林格@21.00
盐酸氨溴索|注射液|XR05CB|基|2ml:15mg 2ml:15mg*10支/盒 6.00 海南普利
盐酸溴己新|片剂|XR05CB|基|8mg 8mg*100片/瓶 4.20 新华
氨溴特罗|口服溶液剂|XR05CB|-|60ml 60ml/瓶 28.50 韩美
羧甲司坦|口服溶液剂|XR05CB|基|10ml:0.5g 10ml:0.5g*10支/盒 9.80 康恩贝
氢溴酸右美沙芬|片剂|XR05DA|基|15mg 15mg*12片/盒 3.60 扬子江
硫酸沙丁胺醇|吸入气雾剂|XR03AC|基|100μg*200揿 1支/盒 24.50 京卫
布地奈德|吸入用混悬液|XR03BA|基|2ml:1mg 2ml:1mg*5支/盒 19.80 正大天晴,阿斯利康@38.50
孟鲁司特钠|片剂|XR03DC|基|10mg 10mg*5片/盒 8.80 鲁南贝特,默沙东@36.00
氨茶碱|片剂|XR03DA|基|0.1g 0.1g*100片/瓶 3.60 信谊
氯雷他定|片剂|XR06AX|基|10mg 10mg*6片/盒 3.90 扬子江,拜耳@18.50
盐酸西替利嗪|片剂|XR06AE|基|10mg 10mg*12片/盒 4.50 鲁南贝特
盐酸左西替利嗪|片剂|XR06AE|-|5mg 5mg*6片/盒 6.20 京新
马来酸氯苯那敏|片剂|XR06AB|基|4mg 4mg*100片/瓶 2.50 新华
盐酸异丙嗪|注射液|XR06AD|基稀|2ml:50mg 2ml:50mg*10支/盒 5.80 辰欣
奥美拉唑|肠溶胶囊|XA02BC|基常|20mg 20mg*14粒/盒 1.68 罗欣,常州四药@3.92
奥美拉唑钠|注射用无菌粉末|XA02BC|基|40mg 40mg/瓶 4.50 罗欣
雷贝拉唑钠|肠溶片|XA02BC|基|10mg 10mg*14片/盒 9.80 豪森,卫材@38.60
泮托拉唑钠|肠溶片|XA02BC|-|40mg 40mg*7片/盒 6.30 华东
瑞巴派特|片剂|XA02BX|-|0.1g 0.1g*12片/盒 9.80 京新
法莫替丁|片剂|XA02BA|基|20mg 20mg*24片/盒 2.60 辰欣
西咪替丁|片剂|XA02BA|-|0.2g 0.2g*100片/瓶 4.80 辰欣
替普瑞酮|胶囊|XA02BX|-|50mg 50mg*20粒/盒 32.80 卫材
铝碳酸镁|咀嚼片|XA02AD|基|0.5g 0.5g*20片/盒 18.90 拜耳
枸橼酸铋钾|胶囊|XA02BX|基|0.3g 0.3g*40粒/盒 12.60 丽珠
多潘立酮|片剂|XA03FA|基|10mg 10mg*30片/盒 4.20 辰欣,杨森@14.80
枸橼酸莫沙必利|片剂|XA03FA|基|5mg 5mg*24片/盒 9.60 鲁南贝特
蒙脱石|散剂|XA07BC|基常|3g 3g*10袋/盒 6.50 先声,益普生@15.80
消旋山莨菪碱|片剂|XA03BA|基|5mg 5mg*100片/瓶 4.60 新华
消旋山莨菪碱|注射液|XA03BA|基稀|1ml:10mg 1ml:10mg*10支/盒 6.20 辰欣
硫酸阿托品|注射液|XA03BA|基稀|1ml:0.5mg 1ml:0.5mg*10支/盒 5.40 辰欣
盐酸甲氧氯普胺|注射液|XA03FA|基稀|1ml:10mg 1ml:10mg*10支/盒 4.80 辰欣
开塞露|灌肠剂|XA06AG|基|20ml 20ml*20支/盒 10.00 力生
双歧杆菌三联活菌|胶囊|XA07FA|基|210mg 210mg*36粒/盒 19.80 信谊
地衣芽孢杆菌活菌|胶囊|XA07FA|基|0.25g 0.25g*12粒/盒 12.90 东北制药
乳酸菌素|片剂|XA07FA|-|0.4g 0.4g*32片/盒 8.60 江中
口服补液盐（Ⅲ）|散剂|XA07CA|基|5.125g 5.125g*6袋/盒 4.80 先声
维生素B1|片剂|XA11DA|基|10mg 10mg*100片/瓶 2.50 信谊
维生素B6|片剂|XA11HA|基|10mg 10mg*100片/瓶 2.50 力生
维生素C|片剂|XA11GA|基|0.1g 0.1g*100片/瓶 3.20 东北制药
维生素C|注射液|XA11GA|基|2ml:0.5g 2ml:0.5g*10支/盒 5.60 辰欣
维生素E|软胶囊|XA11HA|-|0.1g 0.1g*30粒/瓶 5.80 东北制药
维生素AD|软胶囊|XA11CB|-|1500单位:500单位 1500单位:500单位*30粒/盒 36.50 达因
复合维生素B|片剂|XA11EA|-|复方 100片/瓶 3.20 力生
葡萄糖酸钙|口服溶液剂|XA12AA|-|10ml:1g 10ml:1g*12支/盒 18.60 三精
维生素K1|注射液|XB02BA|基稀|1ml:10mg 1ml:10mg*10支/盒 9.80 辰欣
甲钴胺|片剂|XB03BA|基|0.5mg 0.5mg*20片/盒 7.20 扬子江,卫材@26.40
叶酸|片剂|XB03BB|基|0.4mg 0.4mg*31片/盒 6.50 斯利安
琥珀酸亚铁|片剂|XB03AA|基|0.1g 0.1g*24片/盒 11.80 金陵
碳酸钙D3|片剂|XA12AX|基|600mg 600mg*60片/瓶 28.00 康恩贝
肌苷|片剂|XA16AX|-|0.2g 0.2g*100片/瓶 4.60 信谊!
氯化钾|缓释片|XA12BA|基|0.5g 0.5g*24片/盒 4.20 新华
氯化钾|注射液|XB05XA|基|10ml:1.5g 10ml:1.5g*5支/盒 4.50 辰欣
碳酸氢钠|片剂|XA02AH|基|0.5g 0.5g*100片/瓶 3.50 力生
碳酸氢钠|注射液|XB05XA|基稀|10ml:0.5g 10ml:0.5g*5支/盒 3.90 辰欣
氯化钠|注射液|XB05XA|基常|100ml:0.9g 100ml:0.9g/瓶 2.60 科伦,石家庄四药@2.75; 250ml:2.25g 250ml:2.25g/瓶 3.10 科伦,双鹤@3.30!; 500ml:4.5g 500ml:4.5g/瓶 3.60 科伦
葡萄糖|注射液|XB05BA|基常|250ml:12.5g 250ml:12.5g/瓶 3.00 科伦,石家庄四药@3.20; 500ml:25g 500ml:25g/瓶 3.80 科伦; 20ml:10g 20ml:10g*5支/盒 4.50 辰欣
葡萄糖氯化钠|注射液|XB05BB|基|500ml 500ml/瓶 3.90 科伦
乳酸钠林格|注射液|XB05BB|基|500ml 500ml/瓶 6.80 双鹤
甘露醇|注射液|XB05BC|基稀|250ml:50g 250ml:50g/瓶 6.50 科伦
酚磺乙胺|注射液|XB02BX|-|2ml:0.5g 2ml:0.5g*10支/盒 5.80 辰欣!
氨甲环酸|注射液|XB02AA|基稀|5ml:0.5g 5ml:0.5g*5支/盒 9.60 辰欣
地塞米松磷酸钠|注射液|XH02AB|基常|1ml:5mg 1ml:5mg*10支/盒 3.80 辰欣
醋酸泼尼松|片剂|XH02AB|基|5mg 5mg*100片/瓶 6.90 信谊
甲泼尼龙|片剂|XH02AB|基|4mg 4mg*30片/盒 22.60 辉瑞
甲泼尼龙琥珀酸钠|注射用无菌粉末|XH02AB|基稀|40mg 40mg/瓶 18.50 辉瑞
左甲状腺素钠|片剂|XH03AA|基|50μg 50μg*100片/瓶 29.80 默克
甲巯咪唑|片剂|XH03BB|基|10mg 10mg*50片/盒 24.60 默克
缩宫素|注射液|XH01BB|基稀|1ml:10单位 1ml:10单位*10支/盒 12.50 辰欣
地西泮|片剂|XN05BA|基|2.5mg 2.5mg*100片/瓶 4.20 信谊
地西泮|注射液|XN05BA|基稀|2ml:10mg 2ml:10mg*10支/盒 5.60 旭东海普
艾司唑仑|片剂|XN05CD|基|1mg 1mg*20片/盒 3.20 常州四药
卡马西平|片剂|XN03AF|基|0.1g 0.1g*100片/瓶 12.80 力生
丙戊酸钠|缓释片|XN03AG|基|0.5g 0.5g*30片/盒 62.00 赛诺菲
盐酸氟桂利嗪|胶囊|XN07CA|基|5mg 5mg*20粒/盒 3.60 鲁南贝特,杨森@17.20
甲磺酸倍他司汀|片剂|XN07CA|基|6mg 6mg*30片/盒 4.50 康恩贝,卫材@27.60
盐酸多奈哌齐|片剂|XN06DA|基|5mg 5mg*7片/盒 4.20 豪森,卫材@26.80
草酸艾司西酞普兰|片剂|XN06AB|基|10mg 10mg*7片/盒 6.80 京新
谷维素|片剂|XN07XX|-|10mg 10mg*100片/瓶 3.50 信谊
吡拉西坦|片剂|XN06BX|-|0.4g 0.4g*100片/瓶 6.50 东北制药
天麻素|片剂|XN07XX|-|25mg 25mg*24片/盒 9.80 昆药
尼麦角林|片剂|XC04AE|-|10mg 10mg*30片/盒 26.80 辉瑞
盐酸利多卡因|注射液|XN01BB|基|5ml:0.1g 5ml:0.1g*5支/盒 3.60 辰欣
盐酸纳洛酮|注射液|XV03AB|基稀|1ml:0.4mg 1ml:0.4mg*10支/盒 25.00 辰欣
尼可刹米|注射液|XR07AB|基稀|1.5ml:0.375g 1.5ml:0.375g*10支/盒 8.20 旭东海普
盐酸洛贝林|注射液|XR07AB|基稀|1ml:3mg 1ml:3mg*10支/盒 12.60 辰欣
硫酸镁|注射液|XB05XA|基稀|10ml:2.5g 10ml:2.5g*5支/盒 4.60 辰欣
盐酸坦索罗辛|缓释胶囊|XG04CA|基|0.2mg 0.2mg*10粒/盒 6.80 海正,安斯泰来@29.50
非那雄胺|片剂|XG04CB|基|5mg 5mg*10片/盒 12.80 海正,默沙东@52.60
盐酸特拉唑嗪|片剂|XG04CA|基|2mg 2mg*14片/盒 5.60 恒瑞
莫匹罗星|软膏剂|XD06AX|基|2% 5g:0.1g/支 12.80 中美史克
红霉素|眼膏剂|XS01AA|基|0.5% 2g/支 1.50 辰欣
红霉素|软膏剂|XD06AX|基|1% 10g/支 2.20 辰欣
氯霉素|滴眼剂|XS01AA|基|8ml:20mg 8ml:20mg/支 1.80 辰欣
左氧氟沙星|滴眼剂|XS01AE|基|5ml:24.4mg 5ml:24.4mg/支 19.80 参天
炉甘石|洗剂|XD04AX|基|100ml 100ml/瓶 4.50 信谊
糠酸莫米松|乳膏剂|XD07AC|基|0.1% 5g:5mg/支 19.80 华润三九
硝酸咪康唑|乳膏剂|XD01AC|基|2% 20g:0.4g/支 12.60 杨森
曲安奈德益康唑|乳膏剂|XD01AC|基|15g 15g/支 16.80 杨森
复方丹参|滴丸剂|ZA12AA|基常|27mg 27mg*180丸/瓶 27.50 天士力
复方丹参|片剂|ZA12AA|基|0.32g 0.32g*60片/瓶 6.80 白云山和黄
速效救心丸|滴丸剂|ZA12BA|基|40mg 40mg*60粒*3瓶/盒 42.80 中新六厂
麝香保心|丸剂|ZA12BA|基|22.5mg 22.5mg*42丸/瓶 39.80 上海和黄
连花清瘟|胶囊|ZA01BA|基常|0.35g 0.35g*24粒/盒 14.80 以岭
连花清瘟|颗粒剂|ZA01BA|基|6g 6g*10袋/盒 19.80 以岭
通心络|胶囊|ZA12CA|基|0.26g 0.26g*30粒/盒 28.60 以岭
参松养心|胶囊|ZA12CA|基|0.4g 0.4g*36粒/盒 33.80 以岭
脑心通|胶囊|ZA12CA|基|0.4g 0.4g*48粒/盒 36.20 步长
稳心|颗粒剂|ZA12CB|基|9g 9g*9袋/盒 28.50 山东步长
板蓝根|颗粒剂|ZA01CA|基常|10g 10g*20袋/包 10.50 白云山和黄
感冒清热|颗粒剂|ZA01AA|基|12g 12g*10袋/盒 13.80 同仁堂
小柴胡|颗粒剂|ZA01AB|基|10g 10g*10袋/盒 15.60 白云山光华
感冒灵|颗粒剂|ZA01CB|-|10g 10g*9袋/盒 14.50 华润三九
夏桑菊|颗粒剂|ZA01CB|-|10g 10g*20袋/包 12.80 星群
穿心莲|片剂|ZA01CB|-|0.3g 0.3g*100片/瓶 6.80 太极
清开灵|颗粒剂|ZA01CA|基|3g 3g*10袋/盒 16.80 神威
双黄连|口服液|ZA01CA|基|10ml 10ml*10支/盒 22.80 三精
藿香正气|口服液|ZA01EA|基|10ml 10ml*10支/盒 19.80 太极
蒲地蓝消炎|口服液|ZA01CB|-|10ml 10ml*10支/盒 42.00 济川
抗病毒|口服液|ZA01CB|-|10ml 10ml*10支/盒 28.00 香雪
蓝芩|口服液|ZA01CB|-|10ml 10ml*6支/盒 26.80 扬子江
健胃消食|片剂|ZA05BC|-|0.8g 0.8g*32片/盒 12.80 江中
肠炎宁|片剂|ZA07BA|-|0.42g 0.42g*24片/盒 16.80 天施康
云南白药|胶囊|ZA12DA|基|0.25g 0.25g*16粒/盒 26.80 云南白药
六味地黄|丸剂|ZA09FA|基|浓缩丸 200丸/瓶 16.80 仲景,九芝堂@18.50!
逍遥|丸剂|ZA05AA|基|浓缩丸 200丸/瓶 15.60 仲景
补中益气|丸剂|ZA09AA|基|6g 6g*10袋/盒 14.20 同仁堂
香砂养胃|丸剂|ZA05BA|基|浓缩丸 200丸/瓶 14.80 九芝堂
银翘解毒|片剂|ZA01BB|基|0.5g 0.5g*24片/盒 6.80 同仁堂
牛黄解毒|片剂|ZA01GA|基|0.27g 0.27g*24片/盒 4.50 同仁堂
黄连上清|片剂|ZA01GA|基|0.31g 0.31g*24片/盒 8.90 九芝堂
元胡止痛|片剂|ZA05CA|基|0.25g 0.25g*36片/盒 9.80 太极
血塞通|软胶囊|ZA12CA|基|0.33g 0.33g*12粒*2板/盒 24.60 昆药
血塞通|注射用无菌粉末|ZA12CA|基稀|200mg 200mg/支 26.50 昆药
炎琥宁|注射用无菌粉末|ZA01CB|-|80mg 80mg/支 8.60 辰欣!
急支|糖浆剂|ZA06AA|基|100ml 100ml/瓶 15.80 太极
安宫牛黄|丸剂|ZA07AA|基稀|3g 3g*1丸/盒 860.00 同仁堂
金水宝|胶囊|ZA09FB|基|0.33g 0.33g*72粒/盒 48.60 济民可信
百令|胶囊|ZA09FB|基|0.5g 0.5g*42粒/盒 56.80 华东
养血清脑|颗粒剂|ZA12EA|基|4g 4g*15袋/盒 38.60 天士力
复方血栓通|胶囊|ZA12CA|基|0.5g 0.5g*30粒/盒 29.80 众生
三九胃泰|颗粒剂|ZA05BB|基|20g 20g*6袋/盒 14.80 华润三九
颈复康|颗粒剂|ZA12FA|基|5g 5g*10袋/盒 32.00 颈复康
腰痹通|胶囊|ZA12FA|基|0.42g 0.42g*60粒/盒 45.60 康缘
桂枝茯苓|胶囊|ZA12GA|基|0.31g 0.31g*60粒/盒 38.80 康缘
妇科千金|片剂|ZA13AA|基|0.32g 0.32g*72片/盒 28.60 千金
乌鸡白凤|丸剂|ZA13BA|基|9g 9g*10丸/盒 32.50 同仁堂
京万红|软膏剂|ZC04AA|基|20g 20g/支 18.60 京万红
消痛|贴膏剂|ZC08AA|基|1.2g+2.5ml 1.2g+2.5ml*5贴/盒 42.00 奇正
小儿豉翘清热|颗粒剂|ZB01AA|基|2g 2g*6袋/盒 28.80 济川
小儿消积止咳|口服液|ZB01BA|基|10ml 10ml*10支/盒 32.60 济川
"""

# Consumables (CON-1): 名称 | 6-digit class of the 27-character code | 标志 | groups as above.
CONSUMABLE_TABLE = """
一次性使用输液器|020101|常|带针0.55mm 1套/袋 1.20 威高,洪达@1.05
一次性使用避光输液器|020102|-|带针0.55mm 1套/袋 3.80 威高
一次性使用无菌注射器|020201|常|5ml带针 1支/袋 0.38 康德莱,威高@0.42; 1ml带针 1支/袋 0.30 康德莱; 10ml带针 1支/袋 0.52 康德莱
一次性使用静脉留置针|020301|-|22G 1支/袋 8.50 三鑫,威高@9.20
一次性使用静脉输液针|020302|常|0.55mm 1支/袋 0.25 洪达
一次性使用无菌导尿管|030101|稀|双腔16Fr 1根/袋 4.80 驼人
一次性使用吸痰管|030201|-|F12 1根/袋 1.20 驼人
一次性使用鼻氧管|030301|-|双腔成人 1根/袋 2.10 驼人
一次性使用真空采血管|040101|-|5ml促凝 100支/盒 62.00 威高
医用脱脂纱布块|050101|-|7.5cm×7.5cm-8层 10块/包 1.80 稳健
医用外科口罩|050201|常|17.5cm×9.5cm 50只/盒 12.50 振德,稳健@13.80
一次性使用医用橡胶检查手套|050301|-|M 100只/盒 28.00 蓝帆
"""


@dataclass
class Item:
    """One catalogue product plus what the purchase generator needs to know."""

    product: Product
    maker_key: str
    flags: str
    first_maker: bool
    interval: float = 4.0  # working days between purchases
    line_qty: float = 1.0  # typical packages per purchase line
    suppliers: list[str] = field(default_factory=list)
    never_bought: bool = False

    @property
    def key(self) -> tuple[str, str, str, str]:
        p = self.product
        return (p.generic_name, p.dosage_form, p.specification, self.maker_key)

    @property
    def unit_price(self) -> Decimal:
        """Price per smallest unit (AV-1 中选价, AV-8 comparisons)."""
        return (self.product.price or Decimal(0)) / (self.product.conversion or 1)


def _parse_groups(text: str) -> list[tuple[str, str, Decimal, list[tuple[str, Decimal | None, bool]]]]:
    """`规格 包装 单价 企业,企业; …` → (spec, package, price, [(maker, own price, inactive)])."""
    groups = []
    for chunk in text.split(";"):
        spec, package, price, makers = chunk.split()
        parsed = []
        for token in makers.split(","):
            inactive = token.endswith("!")
            token = token.rstrip("!")
            key, _, own = token.partition("@")
            if key not in MAKERS:
                raise KeyError(f"demo catalogue names an unknown maker {key!r}")
            parsed.append((key, Decimal(own) if own else None, inactive))
        groups.append((spec, package, Decimal(price), parsed))
    return groups


def _check_digit(digits: str) -> str:
    """GS1 check digit, so the demo UDI-DIs are well-formed GTIN-14s."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return str((10 - total % 10) % 10)


def build_catalogue() -> list[Item]:
    """Every demo product, with national codes derived from the table position.

    Drug codes imitate the 23-character national code (X/Z, a 5-character
    class, a 4-character name code, a 4-character form code, a 3-digit
    specification and a 6-digit maker/package part), so they are unique by
    construction and stable across builds.
    """
    items: list[Item] = []
    name_codes: dict[str, int] = {}
    form_codes: dict[str, int] = {}
    for line in DRUG_TABLE.strip().splitlines():
        name, form, cls, flags, groups = (part.strip() for part in line.split("|"))
        name_no = name_codes.setdefault(name, len(name_codes) + 1)
        form_no = form_codes.setdefault(form, len(form_codes) + 1)
        tcm = cls.startswith("Z")
        for spec_no, (spec, package, price, makers) in enumerate(_parse_groups(groups), 1):
            conversion = conversion_from_package(package) or 1
            for position, (maker, own_price, inactive) in enumerate(makers):
                originator = maker in ORIGINATOR_MAKERS
                code = (
                    f"{cls}{chr(ord('A') + name_no // 1000)}{name_no % 1000:03d}"
                    f"A{form_no:03d}{spec_no:02d}0{MAKER_INDEX[maker]:04d}01"
                )
                product = Product(
                    code=code,
                    generic_name=name,
                    dosage_form=form,
                    specification=spec,
                    package=package,
                    conversion=conversion,
                    manufacturer=MAKERS[maker],
                    is_essential="基" in flags,
                    consistency=(
                        not tcm
                        and not originator
                        and maker in EVALUATED_MAKERS
                        and form not in NOT_EVALUATED_FORMS
                    ),
                    originator=originator,
                    negotiated="谈" in flags,
                    price=own_price if own_price is not None else price,
                    active=not inactive,
                )
                items.append(Item(product, maker, flags, first_maker=position == 0))
    for variety, line in enumerate(CONSUMABLE_TABLE.strip().splitlines(), 1):
        name, cls, flags, groups = (part.strip() for part in line.split("|"))
        for spec_no, (spec, package, price, makers) in enumerate(_parse_groups(groups), 1):
            for position, (maker, own_price, inactive) in enumerate(makers):
                code = f"C{cls}{variety:05d}{MAKER_INDEX[maker]:05d}{spec_no:05d}00001"
                gtin = f"0690{variety:03d}{MAKER_INDEX[maker]:03d}{spec_no:03d}"
                product = Product(
                    code=code,
                    kind="consumable",
                    generic_name=name,
                    specification=spec,
                    package=package,
                    conversion=conversion_from_package(package) or 1,
                    manufacturer=MAKERS[maker],
                    price=own_price if own_price is not None else price,
                    active=not inactive,
                    # Only the major makers print a UDI on these items.
                    udi=f"(01){gtin}{_check_digit(gtin)}" if maker in ("威高", "康德莱") else None,
                )
                items.append(Item(product, maker, flags, first_maker=position == 0))
    codes = [i.product.code for i in items]
    if len(set(codes)) != len(codes):
        raise AssertionError("demo catalogue produced duplicate codes")
    return items


# ---------------------------------------------------------------------------
# Agreements (约定采购量). Products are named by (通用名, 剂型, 规格, maker key).
# `pace` is progress ÷ 序时进度 at the as-of date (AV-2): below 1 is behind
# schedule. `final` is the progress reached by an agreement whose year has
# ended. `non_selected` is the AV-5 share of counted non-selected purchases;
# `backup_share` is backup purchases as a fraction of selected ones.
# ---------------------------------------------------------------------------
Key = tuple[str, str, str, str]
YEAR_MARCH = (dt.date(2026, 3, 1), dt.date(2027, 2, 28))
YEAR_CALENDAR = (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
YEAR_ENDED = (dt.date(2025, 11, 1), dt.date(2026, 10, 31))


@dataclass(frozen=True)
class AgreementPlan:
    batch: str
    generic: str
    selected: tuple[Key, ...]
    year: tuple[dt.date, dt.date]
    last_year_qty: int
    ratio: float  # agreed ÷ last year's use (AV-1: typically 0.5–0.8)
    pace: float = 1.0
    final: float | None = None
    non_selected: float = 0.0
    backup: tuple[Key, ...] = ()
    backup_share: float = 0.0
    substitutes: tuple[Key, ...] = ()
    unbought: tuple[Key, ...] = ()  # selected specifications never purchased (AV-12)

    @property
    def agreed_qty(self) -> int:
        return int(round(self.last_year_qty * self.ratio, -2))


AGREEMENTS: tuple[AgreementPlan, ...] = (
    AgreementPlan(
        "第二批", "阿莫西林胶囊", (("阿莫西林", "胶囊", "0.25g", "石药欧意"),), YEAR_MARCH,
        42000, 0.70, pace=0.93, non_selected=0.38,
    ),
    AgreementPlan(
        "第二批", "盐酸二甲双胍片", (("盐酸二甲双胍", "片剂", "0.5g", "双鹤"),), YEAR_MARCH,
        96000, 0.60, pace=1.12, non_selected=0.08,
        backup=(("盐酸二甲双胍", "片剂", "0.5g", "力生"),), backup_share=0.04,
    ),
    AgreementPlan(
        "第一批", "苯磺酸氨氯地平片", (("苯磺酸氨氯地平", "片剂", "5mg", "京新"),), YEAR_CALENDAR,
        64000, 0.75, pace=1.20, non_selected=0.05,
        backup=(("苯磺酸氨氯地平", "片剂", "5mg", "石药欧意"),), backup_share=0.06,
    ),
    AgreementPlan(
        "第一批", "阿托伐他汀钙片",
        (("阿托伐他汀钙", "片剂", "20mg", "嘉林"), ("阿托伐他汀钙", "片剂", "10mg", "嘉林")),
        YEAR_CALENDAR, 30000, 0.70, pace=1.04, non_selected=0.06,
        substitutes=(("辛伐他汀", "片剂", "20mg", "华海"),),
        unbought=(("阿托伐他汀钙", "片剂", "10mg", "嘉林"),),
    ),
    AgreementPlan(
        "第一批", "硫酸氢氯吡格雷片", (("硫酸氢氯吡格雷", "片剂", "75mg", "信立泰"),), YEAR_CALENDAR,
        18000, 0.65, pace=0.86, non_selected=0.12,
        backup=(("硫酸氢氯吡格雷", "片剂", "75mg", "乐普"),), backup_share=0.10,
    ),
    AgreementPlan(
        "第二批", "阿卡波糖片", (("阿卡波糖", "片剂", "50mg", "华东"),), YEAR_MARCH,
        52000, 0.60, pace=0.60, non_selected=0.27,
    ),
    AgreementPlan(
        "第三批", "头孢呋辛酯片", (("头孢呋辛酯", "片剂", "0.25g", "国药致君"),), YEAR_MARCH,
        9000, 0.60, pace=1.05,
        backup=(("头孢呋辛酯", "片剂", "0.25g", "白云山"),), backup_share=0.12,
    ),
    AgreementPlan(
        "第三批", "左氧氟沙星片", (("左氧氟沙星", "片剂", "0.5g", "扬子江"),), YEAR_MARCH,
        8000, 0.65, pace=0.90, non_selected=0.15,
    ),
    AgreementPlan(
        "第三批", "奥美拉唑肠溶胶囊", (("奥美拉唑", "肠溶胶囊", "20mg", "罗欣"),), YEAR_MARCH,
        26000, 0.70, pace=1.10, non_selected=0.05,
        substitutes=(("雷贝拉唑钠", "肠溶片", "10mg", "豪森"), ("泮托拉唑钠", "肠溶片", "40mg", "华东")),
    ),
    AgreementPlan(
        "第五批", "硝苯地平缓释片", (("硝苯地平", "缓释片", "20mg", "齐鲁制药"),), YEAR_MARCH,
        36000, 0.70, pace=0.95, non_selected=0.10,
        substitutes=(("硝苯地平", "控释片", "30mg", "拜耳"),),
    ),
    AgreementPlan(
        "第七批", "布洛芬缓释胶囊", (("布洛芬", "缓释胶囊", "0.3g", "新华"),), YEAR_MARCH,
        15000, 0.60, pace=1.08, non_selected=0.20,
    ),
    AgreementPlan(
        "第七批", "头孢克洛胶囊", (("头孢克洛", "胶囊", "0.25g", "苏州二叶"),), YEAR_MARCH,
        7000, 0.55, pace=0.95,
        backup=(("头孢克洛", "胶囊", "0.25g", "联邦制药"),), backup_share=0.05,
    ),
    AgreementPlan(
        "第二批", "甲硝唑片", (("甲硝唑", "片剂", "0.2g", "新华"),), YEAR_ENDED,
        30000, 0.60, final=1.03, non_selected=0.05,
    ),
    AgreementPlan(
        "第二批", "格列美脲片", (("格列美脲", "片剂", "2mg", "扬子江"),), YEAR_MARCH,
        12000, 0.70, pace=0.96, non_selected=0.12,
    ),
    AgreementPlan(
        "第九批", "盐酸氨溴索注射液", (("盐酸氨溴索", "注射液", "2ml:15mg", "海南普利"),), YEAR_MARCH,
        6000, 0.60, pace=1.15,
    ),
    AgreementPlan(
        "第一批", "瑞舒伐他汀钙片", (("瑞舒伐他汀钙", "片剂", "10mg", "海正"),), YEAR_CALENDAR,
        16000, 0.70, pace=0.91, non_selected=0.09,
    ),
    AgreementPlan(
        "第二批", "塞来昔布胶囊", (("塞来昔布", "胶囊", "0.2g", "正大天晴"),), YEAR_MARCH,
        4000, 0.60, pace=0.82, non_selected=0.22,
    ),
)

# VBP products the institution holds without an agreed volume (AV-10: not reported).
UNREPORTED_VBP: tuple[tuple[Key, str], ...] = (
    (("克拉霉素", "片剂", "0.25g", "扬子江"), "第二批"),
    (("厄贝沙坦", "片剂", "0.15g", "华海"), "第一批"),
    (("非布司他", "片剂", "40mg", "恒瑞"), "第二批"),
)

# ---------------------------------------------------------------------------
# Delivery companies. The two underperformers carry made-up regional names so
# that screenshots never show a real distributor failing the SUP thresholds.
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Supplier:
    name: str
    weight: int
    slow: float  # share of lines answered after 30–60 h
    never: float  # share of lines never answered (out of stock, ignored)
    late: float  # share of orders delivered after 50–100 h


SUPPLIERS: tuple[Supplier, ...] = (
    Supplier("国药控股海南有限公司", 28, 0.002, 0.0, 0.03),
    Supplier("华润海南医药有限公司", 20, 0.003, 0.0, 0.035),
    Supplier("上药控股海南有限公司", 14, 0.006, 0.001, 0.04),
    Supplier("海南九州通医药有限公司", 12, 0.008, 0.002, 0.035),
    Supplier("海南广药晨菲医药有限公司", 10, 0.01, 0.003, 0.04),
    # SUP-1 / SUP-3: answers late or never on about one line in sixteen.
    Supplier("海南康信医药有限公司", 9, 0.05, 0.02, 0.01),
    # SUP-2 / SUP-5: about one order in six arrives after 48 h, every quarter.
    Supplier("海南琼岛医药物流有限公司", 7, 0.01, 0.002, 0.17),
)
SLOW_RESPONDER = SUPPLIERS[5].name
LATE_DELIVERER = SUPPLIERS[6].name

# SH-3: recent orders of these were confirmed but never arrived (days before today).
SHORTAGES: dict[tuple[str, str], int] = {
    ("硝酸甘油", "片剂"): 40,
    ("去乙酰毛花苷", "注射液"): 20,
}

OFFLINE_AMOUNT_SHARE = 0.03
PAYMENT_RUN_DAYS = (5, 20)


@lru_cache(maxsize=4096)
def _is_workday(day: dt.date) -> bool:
    """The official calendar where chinese_calendar knows the year, else Monday–Friday."""
    try:
        import chinese_calendar

        return bool(chinese_calendar.is_workday(day))
    except (ImportError, NotImplementedError):
        return day.weekday() < 5


def _workdays(start: dt.date, end: dt.date) -> list[dt.date]:
    days = []
    day = start
    while day <= end:
        if _is_workday(day):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


# ---------------------------------------------------------------------------
# Purchases
# ---------------------------------------------------------------------------


@dataclass
class Line:
    order_key: tuple[dt.date, str]
    item: Item
    packages: int = 0
    price: Decimal = Decimal(0)


@dataclass
class Order:
    order_id: str
    supplier: str
    ordered_at: dt.datetime
    channel: str
    lines: list[tuple[str, Item, int, Decimal, dt.datetime | None, dt.datetime | None]]


def _lookup(items: Sequence[Item]) -> dict[Key, Item]:
    return {i.key: i for i in items}


def _apply_flags(items: Sequence[Item]) -> None:
    """Mark the VBP products (selected and backup of each agreement, AV-1)."""
    by_key = _lookup(items)
    for plan in AGREEMENTS:
        for key in (*plan.selected, *plan.backup):
            item = by_key[key]
            item.product = replace(item.product, is_vbp=True, vbp_batch=plan.batch)
    for key, batch in UNREPORTED_VBP:
        item = by_key[key]
        item.product = replace(item.product, is_vbp=True, vbp_batch=batch)


def _ref_date(plan: AgreementPlan, today: dt.date) -> dt.date:
    return min(today, plan.year[1])


def target_progress(plan: AgreementPlan, today: dt.date) -> float:
    """Progress the data set is built to show for `plan` on `today` (AV-2)."""
    start, end = plan.year
    if today < start:
        return 0.0
    if today >= end and plan.final is not None:
        return plan.final
    ref = _ref_date(plan, today)
    elapsed = (ref - start).days + 1
    return plan.pace * elapsed / ((end - start).days + 1)


def _schedule(
    item: Item, workdays: Sequence[dt.date], rng: random.Random, until: dt.date | None = None
) -> list[dt.date]:
    """Purchase days of one product: every `interval` working days, jittered."""
    days: list[dt.date] = []
    pos = rng.uniform(0, item.interval)
    last = -1
    while pos < len(workdays):
        index = max(int(pos), last + 1)
        if index >= len(workdays):
            break
        day = workdays[index]
        if until is not None and day >= until:
            break
        days.append(day)
        last = index
        pos += item.interval * rng.uniform(0.7, 1.3)
    return days


def _allocate(total: int, count: int, rng: random.Random) -> list[int]:
    """Split `total` packages over `count` lines, unevenly but exactly."""
    weights = [rng.uniform(0.6, 1.4) for _ in range(count)]
    scale = total / sum(weights)
    raw = [w * scale for w in weights]
    parts = [int(x) for x in raw]
    rest = total - sum(parts)
    for i in sorted(range(count), key=lambda i: raw[i] - parts[i], reverse=True)[:rest]:
        parts[i] += 1
    return parts


def _usage_profile(item: Item, rng: random.Random) -> None:
    """How often and how much a background product is bought."""
    flags = item.flags
    if "常" in flags:
        interval, amount = 1.6, 220.0
    elif "稀" in flags:
        interval, amount = 14.0, 60.0
    else:
        interval, amount = 3.5, 130.0
    if item.product.kind == "consumable":
        interval = interval * 0.8
    if not item.first_maker or item.product.originator:
        interval *= 2.2
        amount *= 0.6
    item.interval = interval * rng.uniform(0.85, 1.25)
    price = float(item.product.price or 1)
    item.line_qty = max(1.0, min(400.0, amount / price))


def _assign_suppliers(item: Item, rng: random.Random, *, controlled: bool) -> None:
    """One delivery company per product, a second one for about a fifth (SUP-6: ≤5)."""
    pool = [s for s in SUPPLIERS if not (controlled and s.name == SLOW_RESPONDER)]
    if (item.product.generic_name, item.product.dosage_form) in SHORTAGES:
        pool = pool[:2]
    weights = [s.weight for s in pool]
    first = rng.choices(pool, weights)[0]
    item.suppliers = [first.name]
    if rng.random() < 0.2:
        others = [s for s in pool if s is not first]
        item.suppliers.append(rng.choices(others, [s.weight for s in others])[0].name)


def _plan_lines(
    items: Sequence[Item], today: dt.date, rng: random.Random
) -> list[Line]:
    """Every purchase line, with quantities that make the agreement outcomes hold."""
    workdays = _workdays(DATA_START, today)
    by_key = _lookup(items)
    lines: list[Line] = []

    # Products whose volume an agreement dictates, with their target units
    # inside the agreement's window.
    controlled: dict[str, tuple[int, dt.date, dt.date]] = {}
    for plan in AGREEMENTS:
        start, end = plan.year
        window_start, window_end = max(start, DATA_START), _ref_date(plan, today)
        selected_units = target_progress(plan, today) * plan.agreed_qty
        selected = [by_key[k] for k in plan.selected if k not in plan.unbought]
        for k in plan.unbought:
            by_key[k].never_bought = True
        targets: list[tuple[Item, float]] = [
            (i, selected_units / len(selected)) for i in selected
        ]
        targets += [(by_key[k], selected_units * plan.backup_share / len(plan.backup)) for k in plan.backup]
        named = {*plan.selected, *plan.backup}
        generic = plan.selected[0][:2]
        same_generic = [
            i
            for i in items
            if i.key not in named and (i.product.generic_name, i.product.dosage_form) == generic
        ]
        selected_price = by_key[plan.selected[0]].unit_price
        excluded = [
            i
            for i in same_generic
            if i.unit_price < selected_price and (i.product.consistency or i.product.originator)
        ]
        counted = [i for i in same_generic if i not in excluded]
        if counted:
            total = selected_units * plan.non_selected / (1 - plan.non_selected)
            weights = [2.0 if n == 0 else 1.0 for n in range(len(counted))]
            targets += [(i, total * w / sum(weights)) for i, w in zip(counted, weights, strict=True)]
        # AV-8: cheaper evaluated products are bought a little and excluded from assessment.
        targets += [(i, selected_units * 0.05) for i in excluded]
        for item, units in targets:
            controlled[item.product.code] = (
                round(units / (item.product.conversion or 1)), window_start, window_end
            )

    for item in items:
        code = item.product.code
        is_controlled = code in controlled
        _assign_suppliers(item, rng, controlled=is_controlled)
        _usage_profile(item, rng)
        if item.never_bought:
            continue
        until = None if item.product.active else DEACTIVATED_ON
        if is_controlled:
            packages, window_start, window_end = controlled[code]
            in_window = [d for d in workdays if window_start <= d <= window_end]
            per_line = max(2.0, min(20.0, item.line_qty))
            wanted = max(3, min(len(in_window), round(packages / per_line)))
            item.interval = max(1.0, len(in_window) / wanted) if in_window else item.interval
            days = _schedule(item, workdays, rng, until)
            window_days = [d for d in days if window_start <= d <= window_end]
            parts = _allocate(packages, len(window_days), rng) if window_days else []
            mean = packages / len(window_days) if window_days else per_line
            quantities = iter(parts)
            for day in days:
                if window_start <= day <= window_end:
                    qty = next(quantities)
                else:
                    qty = max(1, round(mean * rng.uniform(0.6, 1.4)))
                if qty > 0:
                    lines.append(Line((day, _pick_supplier(item, rng)), item, qty))
        else:
            for day in _schedule(item, workdays, rng, until):
                qty = max(1, round(item.line_qty * rng.uniform(0.5, 1.6)))
                lines.append(Line((day, _pick_supplier(item, rng)), item, qty))

    # A few background products changed price on 1 March (provincial price
    # linkage), so ED-5 price trends have something to show.
    controlled_codes = set(controlled)
    repriced = {
        i.product.code
        for i in items
        if i.product.code not in controlled_codes and i.product.kind == "drug" and rng.random() < 0.06
    }
    for line in lines:
        price = line.item.product.price or Decimal(0)
        if line.item.product.code in repriced and line.order_key[0] < DEACTIVATED_ON:
            price = (price * Decimal("1.08")).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        line.price = price
    return lines


def _pick_supplier(item: Item, rng: random.Random) -> str:
    if len(item.suppliers) > 1 and rng.random() < 0.25:
        return item.suppliers[1]
    return item.suppliers[0]


def _order_time(day: dt.date, rng: random.Random) -> dt.datetime:
    """A moment in Hainan pharmacy working hours (08:00–11:45, 14:30–17:30)."""
    if rng.random() < 0.6:
        minutes = rng.randint(8 * 60, 11 * 60 + 44)
    else:
        minutes = rng.randint(14 * 60 + 30, 17 * 60 + 29)
    return dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60, rng.randint(0, 59)))


def _hours(rng: random.Random, low: float, high: float) -> dt.timedelta:
    return dt.timedelta(seconds=round(rng.uniform(low, high) * 3600))


def _build_orders(lines: Sequence[Line], today: dt.date, rng: random.Random) -> list[Order]:
    """Group lines into orders (one per day and delivery company) and stamp times.

    Response and delivery are decided per order (a distributor confirms and
    ships an order at once), with per-line exceptions: lines confirmed days
    late and stock-outs never answered. Anything that would happen after the
    end of `today`'s working day has not happened yet, so those lines are
    pending.
    """
    now = dt.datetime.combine(today, dt.time(17, 30))
    suppliers = {s.name: s for s in SUPPLIERS}
    grouped: dict[tuple[dt.date, str], list[Line]] = {}
    for line in lines:
        grouped.setdefault(line.order_key, []).append(line)
    orders: list[Order] = []
    by_day: dict[dt.date, list[tuple[dt.datetime, str, list[Line]]]] = {}
    for (day, supplier), group in sorted(grouped.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        by_day.setdefault(day, []).append((_order_time(day, rng), supplier, group))
    for day in sorted(by_day):
        for seq, (ordered_at, supplier_name, group) in enumerate(sorted(by_day[day], key=lambda o: o[0]), 1):
            profile = suppliers[supplier_name]
            order_id = f"PO{day:%Y%m%d}-{seq:04d}"
            if rng.random() < 0.12:
                responded = ordered_at + _hours(rng, 4, 20)
            else:
                responded = ordered_at + _hours(rng, 0.1, 4)
            if rng.random() < profile.late:
                delivered = ordered_at + _hours(rng, 50, 100)
            elif rng.random() < 0.25:
                delivered = ordered_at + _hours(rng, 2.5, 9)
            else:
                delivered = ordered_at + _hours(rng, 16, 40)
            delivered = max(delivered, responded + _hours(rng, 1, 16))
            stamped = []
            group.sort(key=lambda ln: ln.item.product.code)
            for line_no, line in enumerate(group, 1):
                line_responded: dt.datetime | None = responded
                line_delivered: dt.datetime | None = delivered
                roll = rng.random()
                if roll < profile.never:
                    line_responded = line_delivered = None
                elif roll < profile.never + profile.slow:
                    # Confirmed line by line, days late (SUP-1, SUP-3).
                    line_responded = ordered_at + _hours(rng, 30, 60)
                    line_delivered = max(delivered, line_responded + _hours(rng, 1, 16))
                shortage = SHORTAGES.get((line.item.product.generic_name, line.item.product.dosage_form))
                if shortage is not None and day >= today - dt.timedelta(days=shortage):
                    line_delivered = None  # confirmed, never arrived (SH-3)
                if line_responded is not None and line_responded > now:
                    line_responded = None
                if line_delivered is not None and line_delivered > now:
                    line_delivered = None
                stamped.append(
                    (str(line_no), line.item, line.packages, line.price, line_responded, line_delivered)
                )
            orders.append(Order(order_id, supplier_name, ordered_at, "online", stamped))
    _mark_offline(orders, rng)
    return orders


def _mark_offline(orders: Sequence[Order], rng: random.Random) -> None:
    """PAY-4: whole orders bought outside the platform, about 3% of the amount.

    Picked by amount rather than by chance per order, so the share stays
    clearly under the 5% line whatever `today` is.
    """
    amounts = [sum(line_amount_fen(ln[2], ln[3]) for ln in o.lines) for o in orders]
    budget = sum(amounts) * OFFLINE_AMOUNT_SHARE
    for index in rng.sample(range(len(orders)), len(orders)):
        if amounts[index] <= budget:
            orders[index].channel = "offline"
            budget -= amounts[index]


# ---------------------------------------------------------------------------
# Payments
# ---------------------------------------------------------------------------


def _next_run(day: dt.date) -> dt.date:
    """The first payment run (5th or 20th, moved to a working day) on or after `day`."""
    candidates = []
    for months_ahead in range(3):
        year = day.year + (day.month - 1 + months_ahead) // 12
        month = (day.month - 1 + months_ahead) % 12 + 1
        for run_day in PAYMENT_RUN_DAYS:
            run = dt.date(year, month, run_day)
            while not _is_workday(run):
                run += dt.timedelta(days=1)
            candidates.append(run)
    return min(c for c in candidates if c >= day)


def line_amount_fen(packages: int, price: Decimal) -> int:
    """Line amount in fen from packages × per-package price, rounded half up once."""
    return yuan_to_fen(Decimal(packages) * price)


def _plan_payments(
    orders: Sequence[Order], today: dt.date, rng: random.Random
) -> list[tuple[str, str, int, str]]:
    """Payments to the delivery companies (PAY-0, PAY-2, PAY-3).

    Most orders are paid whole on the next semi-monthly run after delivery
    (within 30 days, before the 10th of the next month); some are paid line by
    line (always when part of the order never arrived), some late, some in two
    instalments, and a few not at all.
    """
    rows: list[tuple[str, str, int, str]] = []
    for order in orders:
        delivered = [ln for ln in order.lines if ln[5] is not None]
        if not delivered:
            continue
        last = max(ln[5] for ln in delivered if ln[5] is not None).date()
        amounts = [(ln[0], line_amount_fen(ln[2], ln[3])) for ln in delivered]
        total = sum(a for _, a in amounts)
        if rng.random() < 0.012:
            continue  # disputed, never paid
        paid_on = _next_run(last + dt.timedelta(days=3))
        if rng.random() < 0.09:
            # Late: after the 10th of the next month and after 30 days (PAY-2, PAY-3).
            paid_on = last + dt.timedelta(days=rng.randint(36, 75))
        if paid_on > today:
            continue
        mode = rng.random()
        if mode < 0.22 or len(delivered) < len(order.lines):
            rows.extend(
                (order.order_id, line_no, fen, paid_on.isoformat()) for line_no, fen in amounts
            )
        elif mode < 0.26:
            first = total * 6 // 10
            rows.append((order.order_id, "", first, paid_on.isoformat()))
            second = _next_run(paid_on + dt.timedelta(days=20))
            if second <= today:
                rows.append((order.order_id, "", total - first, second.isoformat()))
        else:
            rows.append((order.order_id, "", total, paid_on.isoformat()))
    return rows


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------


@dataclass
class DemoData:
    """The whole data set in memory, before it is written."""

    items: list[Item]
    orders: list[Order]
    payments: list[tuple[str, str, int, str]]
    today: dt.date


def _check_today(today: dt.date) -> None:
    if today < DATA_START:
        raise ValueError(f"示例数据的截止日期不能早于 {DATA_START.isoformat()}：{today.isoformat()}")


def generate(today: dt.date, seed: int = DEFAULT_SEED) -> DemoData:
    """Build the demo data set in memory (no database), deterministically."""
    _check_today(today)
    rng = random.Random(seed)
    items = build_catalogue()
    _apply_flags(items)
    lines = _plan_lines(items, today, rng)
    orders = _build_orders(lines, today, rng)
    payments = _plan_payments(orders, today, rng)
    return DemoData(items, orders, payments, today)


def _count(conn: sqlite3.Connection, table: str) -> int:
    return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def _wipe(conn: sqlite3.Connection) -> None:
    from pharmacy_app import demo_extras

    existing = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    extra_tables = [t for module in demo_extras.modules() for t in module.TABLES]
    for table in (*extra_tables, *DATA_TABLES):
        if table in existing:
            conn.execute(f"DELETE FROM {table}")


def _write(conn: sqlite3.Connection, data: DemoData) -> None:
    init_institution(conn, INSTITUTION_CODE, INSTITUTION_NAME, INSTITUTION_LEVEL)
    save_products(conn, (i.product for i in data.items))
    by_key = _lookup(data.items)
    for plan in AGREEMENTS:
        selected = by_key[plan.selected[0]]
        cur = conn.execute(
            """INSERT INTO agreements (institution_code, batch, generic, selected_price,
                   agreed_qty, last_year_qty, start_date, end_date)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
            (
                INSTITUTION_CODE,
                plan.batch,
                plan.generic,
                decimal_text(selected.unit_price),
                plan.agreed_qty,
                plan.last_year_qty,
                plan.year[0].isoformat(),
                plan.year[1].isoformat(),
            ),
        )
        roles = [(k, "selected") for k in plan.selected]
        roles += [(k, "backup") for k in plan.backup]
        roles += [(k, "substitute") for k in plan.substitutes]
        conn.executemany(
            "INSERT INTO agreement_products (agreement_id, code, role) VALUES (?, ?, ?)",
            [(cur.lastrowid, by_key[k].product.code, role) for k, role in roles],
        )
    conn.executemany(
        """INSERT INTO purchase_lines (order_id, line_no, institution_code, code, qty, price,
               amount_fen, ordered_at, responded_at, delivered_at, supplier, channel)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            (
                order.order_id,
                line_no,
                INSTITUTION_CODE,
                item.product.code,
                packages,
                decimal_text(price),
                line_amount_fen(packages, price),
                format_datetime(order.ordered_at),
                format_datetime(responded) if responded else None,
                format_datetime(delivered) if delivered else None,
                order.supplier,
                order.channel,
            )
            for order in data.orders
            for line_no, item, packages, price, responded, delivered in order.lines
        ),
    )
    conn.executemany(
        "INSERT INTO payments (order_id, line_no, amount_fen, paid_on) VALUES (?, ?, ?, ?)",
        data.payments,
    )
    # The window opens a fresh demo "as of" the day it was built for.
    conn.execute(
        "INSERT INTO app_settings (key, value) VALUES ('demo_as_of', ?) "
        "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
        (data.today.isoformat(),),
    )


def summary(data: DemoData) -> str:
    """The short Chinese report printed by `pharmacy-app demo`."""
    drugs = sum(1 for i in data.items if i.product.kind == "drug")
    consumables = len(data.items) - drugs
    inactive = sum(1 for i in data.items if not i.product.active)
    lines = sum(len(o.lines) for o in data.orders)
    return (
        f"已生成示例数据：{INSTITUTION_NAME}（{INSTITUTION_CODE}，{LEVEL_NAMES[INSTITUTION_LEVEL]}）\n"
        f"采购目录 {len(data.items)} 个产品（药品 {drugs}、耗材 {consumables}，其中停用 {inactive}）；"
        f"集采约定采购量 {len(AGREEMENTS)} 个；\n"
        f"采购明细 {lines:,} 行（{len(data.orders):,} 张订单，"
        f"{DATA_START.isoformat()} 至 {data.today.isoformat()}）；回款 {len(data.payments):,} 笔。"
    )


def build_demo(
    path: Path, *, force: bool = False, today: dt.date | None = None, seed: int = DEFAULT_SEED
) -> str:
    """Create (or, with `force`, replace) the demo data set in the database at `path`.

    Refuses a database that already holds products or purchases unless
    `force` is set, so `pharmacy-app demo` can never overwrite real data by
    accident. Everything is written in one transaction: an interrupted build
    leaves the database as it was.
    """
    today = today or dt.date.today()
    _check_today(today)
    conn = open_store(path)
    try:
        products, purchases = _count(conn, "products"), _count(conn, "purchase_lines")
        if (products or purchases) and not force:
            raise DemoExists(
                f"数据库 {path} 中已有数据（{products} 个产品、{purchases} 条采购明细），"
                "未生成示例数据。如要用示例数据覆盖现有数据，请加 --force；"
                "或用 --db 指定另一个数据库文件。"
            )
        data = generate(today, seed)
        with transaction(conn):
            if force:
                _wipe(conn)
            _write(conn, data)
            from pharmacy_app import demo_extras

            for module in demo_extras.modules():
                module.write(conn, today, seed)
    finally:
        conn.close()
    return summary(data)


def demo_is_needed(path: Path) -> bool:
    """True when there is no database at `path`, or one with neither an institution nor products.

    The window asks this at first start to offer the demo. A database the user
    has `init`-ed (an institution, no data yet) is theirs: never filled with
    the demo. A file it cannot read (or one from a newer build) is never
    offered for replacement.
    """
    path = Path(path)
    if not path.exists():
        return True
    try:
        conn = open_db(path, migrate=False)
    except (DatabaseTooNew, NotOurDatabase, sqlite3.DatabaseError):
        return False
    try:
        for table in ("institutions", "products"):
            has_table = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (table,)
            ).fetchone()
            if has_table and conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone():
                return False
        return True
    except sqlite3.DatabaseError:
        return False
    finally:
        conn.close()


def set_demo_aside(path: Path) -> Path:
    """Rename the demo database beside itself ('pharmacy-示例数据.db', numbered if taken).

    Every connection to it must be closed first (on Windows a file in use
    cannot be renamed). The demo stays there to look at with --db.
    """
    path = Path(path)
    conn = sqlite3.connect(path)
    try:  # the WAL's pages into the file, so the renamed file is whole on its own
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    target = path.with_name(f"{path.stem}-示例数据{path.suffix}")
    n = 2
    while target.exists():
        target = path.with_name(f"{path.stem}-示例数据-{n}{path.suffix}")
        n += 1
    path.rename(target)
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return target


def start_own_institution(
    path: Path, code: str, name: str, level: str, *, remote: bool = False
) -> Path | None:
    """Leave the demo for the user's own institution in a new, empty database at `path`.

    The demo database is set aside (its new path is returned; None when
    `path` held no demo) so none of its products, purchases or its as-of day
    carry over into the user's figures. InstitutionError (nothing moved) for
    a bad code, name or level.
    """
    from pharmacy_app.institutions import check_institution

    check_institution(code, name, level)  # before anything is moved
    aside = None
    if Path(path).exists():
        conn = open_db(path, migrate=False)
        try:
            demo = holds_demo(conn)
        finally:
            conn.close()
        if demo:
            aside = set_demo_aside(path)
    conn = open_store(path)
    try:
        init_institution(conn, code, name, level, remote=remote)
    finally:
        conn.close()
    return aside
