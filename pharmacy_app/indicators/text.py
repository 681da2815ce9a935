"""Plain-text rendering of the indicators object for the terminal."""

from __future__ import annotations

from typing import Any

LEVELS = {"grassroots": "基层", "secondary": "二级", "tertiary": "三级", "specialty": "专科"}


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def format_indicators(result: dict[str, Any]) -> str:
    inst = result["institution"]
    lines = [
        f"{inst.get('name', inst['code'])}（{inst['code']}，{LEVELS.get(inst['level'], inst['level'])}）"
        f"  截至 {result['as_of']}  政策参数 {result['profile']}",
    ]
    ess = result.get("essential")
    if ess:
        basis = "本机构采购目录品规" if ess["target_basis"] == "catalogue" else "国家基药目录品规"
        lines.append("")
        lines.append("基本药物")
        lines.append(
            f"  目录品规 {ess['catalogue_specs']}，其中基药 {ess['essential_specs']}，占比 {pct(ess['spec_share'])}"
        )
        if ess["list"]["name"]:
            lines.append(
                f"  {ess['list']['name']}：{ess['list_entries']} 个品规，已配备 "
                f"{ess['list_entries_matched']}，配备率 {pct(ess['list_share'])}"
            )
        else:
            lines.append("  截至日无有效的国家基药目录（2026-09-01 前请导入 2018 年版目录）")
        verdict = "达标" if ess["meets_target"] else "未达标"
        lines.append(f"  目标（{basis}）{pct(ess['target'])}：{verdict}")
        gap = ess.get("gap") or {}
        if gap.get("add_essential") or gap.get("retire_non_essential"):
            lines.append(
                f"  差距：增加 {gap['add_essential']} 个基药品规，或停用 {gap['retire_non_essential']} 个非基药品规"
            )
        if gap.get("equip_entries"):
            lines.append(f"  差距：再配备 {gap['equip_entries']} 个基药目录品规")
        lines.append(f"  基药采购金额占比 {pct(ess['amount_share'])}")
    bands = {"complete": "完成", "incomplete": "未完成", "unqualified": "不合格"}
    if result.get("agreements"):
        lines.append("")
        lines.append("集采约定采购量（进度 / 序时进度 / 非中选占比 / 结果）")
        for a in result["agreements"]:
            flags = []
            if a["behind_schedule"]:
                flags.append("落后序时")
            if a["non_selected_alert"]:
                flags.append("非中选超标")
            if a["exempt"]:
                flags.append("免考核")
            lines.append(
                f"  {a['batch']} {a['generic']}：{pct(a['progress'])} / {pct(a['time_progress'])} / "
                f"{pct(a['non_selected_share'])} / {bands.get(a['band'], a['band'])}"
                + (f"  [{'，'.join(flags)}]" if flags else "")
            )
    if result.get("suppliers"):
        lines.append("")
        lines.append("配送企业（订单明细 / 响应率 / 配送及时率 / 超 48 小时未响应）")
        for sup in result["suppliers"]:
            lines.append(
                f"  {sup['supplier']}：{sup['orders']} / {pct(sup['response_rate'])} / "
                f"{pct(sup['timeliness'])} / {sup['unresponded_48h']}"
            )
    if result.get("payments"):
        pay = result["payments"]
        lines.append("")
        lines.append(
            f"回款：30 天回款率 {pct(pay['thirty_day_rate'])}，线下采购占比 {pct(pay['offline_share'])}"
        )
    return "\n".join(lines)
