"""Native Excel charts on an owned sheet: DrawingML chart parts, the drawing that places them, their relationships.

Why hand-written: openpyxl's chart classes write this XML well, but importing them costs about 0.4 s, more than
the whole ``toolkit summary`` budget allows (quality.md), and the book must not be re-saved through a library.
The charts here are plain bar and column charts, so the XML is small and fixed in shape.

The toolkit's charts are recognised by their name (``toolkit: …``, shown in Excel's selection pane): a rewrite
replaces them and their chart parts, and leaves any other drawing on the sheet (a staff shape, a picture) as it is.
"""
from __future__ import annotations

from typing import Callable, Sequence

from lxml import etree

from toolkit.workbook.layout import Chart
from toolkit.workbook.xlsx._cells import absolute_range, attr, clean_text, escape, number_text
from toolkit.workbook.xlsx._opc import CT_CHART, CT_DRAWING, NS_REL, REL_CHART, REL_DRAWING, XML_DECLARATION
from toolkit.workbook.xlsx._plan import Plan

NS_XDR = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
NS_A = "http://schemas.openxmlformats.org/drawingml/2006/main"
NS_C = "http://schemas.openxmlformats.org/drawingml/2006/chart"
NAME_PREFIX = "toolkit: "
PALETTE = ("4472C4", "ED7D31", "A5A5A5", "FFC000", "5B9BD5", "70AD47")

CellValue = Callable[[int, int], object]  # (row, col), 1-based -> the value the layout puts there


def _text_props(font: str, size: int, bold: bool = False, color: str = "404040") -> str:
    return (f'<a:defRPr sz="{size * 100}" b="{int(bold)}"><a:solidFill><a:srgbClr val="{color}"/></a:solidFill>'
            f'<a:latin typeface="{attr(font)}"/><a:ea typeface="{attr(font)}"/></a:defRPr>')


def _str_cache(values: Sequence[object]) -> str:
    points = "".join(f'<c:pt idx="{i}"><c:v>{escape(clean_text(str(v)))}</c:v></c:pt>' for i, v in enumerate(values)
                     if v is not None)
    return f'<c:strCache><c:ptCount val="{len(values)}"/>{points}</c:strCache>'


def _num_cache(values: Sequence[object], number_format: str) -> str:
    points = "".join(f'<c:pt idx="{i}"><c:v>{number_text(float(v))}</c:v></c:pt>' for i, v in enumerate(values)
                     if isinstance(v, (int, float)) and not isinstance(v, bool))
    return (f'<c:numCache><c:formatCode>{escape(number_format)}</c:formatCode><c:ptCount val="{len(values)}"/>'
            f'{points}</c:numCache>')


def chart_xml(chart: Chart, sheet: str, value: CellValue, number_format: str, font: str) -> bytes:
    """The chart part: a clustered (or stacked) bar or column chart of the layout's ranges, with cached values
    so a viewer that does not recalculate still shows it."""
    cat = chart.categories
    rows = range(cat.first_row, cat.last_row + 1)
    categories = [value(r, cat.first_col) for r in rows]
    single = len(chart.series) == 1
    series = []
    for i, s in enumerate(chart.series):
        v = s.values
        values = [value(r, v.first_col) for r in range(v.first_row, v.last_row + 1)]
        labels = (f'<c:dLbls><c:numFmt formatCode="{attr(number_format)}" sourceLinked="0"/><c:spPr><a:noFill/>'
                  f'<a:ln><a:noFill/></a:ln></c:spPr><c:txPr><a:bodyPr/><a:lstStyle/><a:p><a:pPr>'
                  f'{_text_props(font, 9)}</a:pPr><a:endParaRPr lang="ja-JP"/></a:p></c:txPr>'
                  '<c:showLegendKey val="0"/><c:showVal val="1"/><c:showCatName val="0"/><c:showSerName val="0"/>'
                  '<c:showPercent val="0"/><c:showBubbleSize val="0"/></c:dLbls>') if single else ""
        series.append(
            f'<c:ser><c:idx val="{i}"/><c:order val="{i}"/><c:tx><c:v>{escape(clean_text(s.name))}</c:v></c:tx>'
            f'<c:spPr><a:solidFill><a:srgbClr val="{PALETTE[i % len(PALETTE)]}"/></a:solidFill></c:spPr>'
            f'<c:invertIfNegative val="0"/>{labels}'
            f'<c:cat><c:strRef><c:f>{escape(absolute_range(sheet, cat.first_col, cat.first_row, cat.last_col, cat.last_row))}'
            f'</c:f>{_str_cache(categories)}</c:strRef></c:cat>'
            f'<c:val><c:numRef><c:f>{escape(absolute_range(sheet, v.first_col, v.first_row, v.last_col, v.last_row))}'
            f'</c:f>{_num_cache(values, number_format)}</c:numRef></c:val></c:ser>')
    horizontal = chart.kind == "bar"
    axis_format = "0%" if "%" in number_format else number_format  # 0%, 20%, … on the axis; labels keep decimals
    # Horizontal bars list the categories top to bottom, in the table's order: the category axis runs from its
    # maximum, and the value axis crosses it at its maximum category, which is then at the bottom.
    cat_axis = (f'<c:catAx><c:axId val="500000001"/><c:scaling><c:orientation val="{"maxMin" if horizontal else "minMax"}"/>'
                f'</c:scaling><c:delete val="0"/><c:axPos val="{"l" if horizontal else "b"}"/>'
                '<c:numFmt formatCode="General" sourceLinked="0"/><c:majorTickMark val="none"/>'
                '<c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/>'
                '<c:spPr><a:ln w="9525"><a:solidFill><a:srgbClr val="BFBFBF"/></a:solidFill></a:ln></c:spPr>'
                f'<c:txPr><a:bodyPr/><a:lstStyle/><a:p><a:pPr>{_text_props(font, 9)}</a:pPr>'
                '<a:endParaRPr lang="ja-JP"/></a:p></c:txPr>'
                '<c:crossAx val="500000002"/><c:crosses val="autoZero"/>'
                '<c:auto val="1"/><c:lblAlgn val="ctr"/><c:lblOffset val="100"/><c:noMultiLvlLbl val="0"/></c:catAx>')
    val_axis = ('<c:valAx><c:axId val="500000002"/><c:scaling><c:orientation val="minMax"/><c:min val="0"/></c:scaling>'
                f'<c:delete val="0"/><c:axPos val="{"b" if horizontal else "l"}"/>'
                '<c:majorGridlines><c:spPr><a:ln w="9525"><a:solidFill><a:srgbClr val="E0E0E0"/></a:solidFill>'
                '</a:ln></c:spPr></c:majorGridlines>'
                f'<c:numFmt formatCode="{attr(axis_format)}" sourceLinked="0"/><c:majorTickMark val="none"/>'
                '<c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/><c:spPr><a:ln><a:noFill/></a:ln></c:spPr>'
                f'<c:txPr><a:bodyPr/><a:lstStyle/><a:p><a:pPr>{_text_props(font, 9)}</a:pPr>'
                '<a:endParaRPr lang="ja-JP"/></a:p></c:txPr>'
                f'<c:crossAx val="500000001"/><c:crosses val="{"max" if horizontal else "autoZero"}"/>'
                '<c:crossBetween val="between"/></c:valAx>')
    legend = ('<c:legend><c:legendPos val="t"/><c:overlay val="0"/><c:txPr><a:bodyPr/><a:lstStyle/><a:p><a:pPr>'
              f'{_text_props(font, 9)}</a:pPr><a:endParaRPr lang="ja-JP"/></a:p></c:txPr></c:legend>'
              ) if not single else ""
    grouping = "stacked" if chart.stacked else "clustered"
    overlap = '<c:overlap val="100"/>' if chart.stacked else '<c:overlap val="-10"/>'
    xml = (f'<c:chartSpace xmlns:c="{NS_C}" xmlns:a="{NS_A}" xmlns:r="{NS_REL}"><c:lang val="ja-JP"/>'
           '<c:roundedCorners val="0"/><c:chart>'
           f'<c:title><c:tx><c:rich><a:bodyPr/><a:lstStyle/><a:p><a:pPr>{_text_props(font, 12, True, "1F3864")}'
           f'</a:pPr><a:r><a:rPr lang="ja-JP" sz="1200" b="1"/><a:t>{escape(clean_text(chart.title))}</a:t></a:r></a:p>'
           '</c:rich></c:tx><c:overlay val="0"/></c:title><c:autoTitleDeleted val="0"/>'
           f'<c:plotArea><c:layout/><c:barChart><c:barDir val="{"bar" if horizontal else "col"}"/>'
           f'<c:grouping val="{grouping}"/><c:varyColors val="0"/>{"".join(series)}'
           f'<c:gapWidth val="60"/>{overlap}<c:axId val="500000001"/><c:axId val="500000002"/></c:barChart>'
           f'{cat_axis}{val_axis}<c:spPr><a:noFill/></c:spPr></c:plotArea>{legend}'
           '<c:plotVisOnly val="1"/><c:dispBlanksAs val="gap"/></c:chart>'
           '<c:spPr><a:solidFill><a:srgbClr val="FFFFFF"/></a:solidFill><a:ln w="9525"><a:solidFill>'
           '<a:srgbClr val="D9D9D9"/></a:solidFill></a:ln></c:spPr>'
           f'<c:txPr><a:bodyPr/><a:lstStyle/><a:p><a:pPr>{_text_props(font, 9)}</a:pPr>'
           '<a:endParaRPr lang="ja-JP"/></a:p></c:txPr></c:chartSpace>')
    return XML_DECLARATION + xml.encode("utf-8")


def _anchor(chart: Chart, shape_id: int, rel_id: str) -> etree._Element:
    row, col = chart.anchor
    cols, rows = chart.size
    x = (f'<xdr:twoCellAnchor xmlns:xdr="{NS_XDR}" xmlns:a="{NS_A}">'
         f'<xdr:from><xdr:col>{col - 1}</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>{row - 1}</xdr:row>'
         '<xdr:rowOff>0</xdr:rowOff></xdr:from>'
         f'<xdr:to><xdr:col>{col - 1 + cols}</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>{row - 1 + rows}</xdr:row>'
         '<xdr:rowOff>0</xdr:rowOff></xdr:to>'
         f'<xdr:graphicFrame macro=""><xdr:nvGraphicFramePr><xdr:cNvPr id="{shape_id}" '
         f'name="{attr(NAME_PREFIX + chart.title)}"/><xdr:cNvGraphicFramePr/></xdr:nvGraphicFramePr>'
         '<xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/></xdr:xfrm><a:graphic>'
         f'<a:graphicData uri="{NS_C}"><c:chart xmlns:c="{NS_C}" xmlns:r="{NS_REL}" r:id="{rel_id}"/>'
         '</a:graphicData></a:graphic></xdr:graphicFrame><xdr:clientData/></xdr:twoCellAnchor>')
    return etree.fromstring(x)


_ANCHORS = ("twoCellAnchor", "oneCellAnchor", "absoluteAnchor")


def _is_ours(anchor: etree._Element) -> str | None:
    """The chart relationship id of one of the toolkit's chart anchors, else None."""
    nv = anchor.find(f"{{{NS_XDR}}}graphicFrame/{{{NS_XDR}}}nvGraphicFramePr/{{{NS_XDR}}}cNvPr")
    ref = anchor.find(f".//{{{NS_C}}}chart")
    if nv is None or ref is None or not nv.get("name", "").startswith(NAME_PREFIX):
        return None
    return ref.get(f"{{{NS_REL}}}id")


def place_charts(plan: Plan, sheet_part: str, sheet: str, drawing_rel: str | None, charts: Sequence[Chart],
                 value: CellValue, number_format: Callable[[int, int], str], font: str) -> str | None:
    """Replace the toolkit's charts on the sheet with ``charts``; returns the sheet's drawing relationship id to
    keep (None: the sheet no longer needs a drawing)."""
    drawing = plan.rel_target(sheet_part, drawing_rel) if drawing_rel else None
    if drawing is None and not charts:
        return None  # (a drawing reference that led nowhere goes too)
    if drawing is None:
        drawing = plan.new_part_name("xl/drawings/drawing{}.xml")
        root = plan.edit(drawing, etree.Element(f"{{{NS_XDR}}}wsDr", nsmap={"xdr": NS_XDR, "a": NS_A}))
        plan.set_override(drawing, CT_DRAWING)
        drawing_rel = plan.add_rel(sheet_part, REL_DRAWING, drawing)
    else:
        root = plan.edit(drawing)
    old = [(a, rid) for a in root if isinstance(a.tag, str) and etree.QName(a).localname in _ANCHORS
           for rid in [_is_ours(a)] if rid is not None]
    for anchor, rid in old:
        root.remove(anchor)
        target = plan.rel_target(drawing, rid)
        if target is not None:
            plan.drop_tree(target)
    plan.remove_rels(drawing, {rid for _, rid in old})
    ids = [int(el.get("id", "0")) for el in root.iter(f"{{{NS_XDR}}}cNvPr") if el.get("id", "").isdigit()]
    next_id = max(ids, default=1) + 1
    for chart in charts:
        part = plan.new_part_name("xl/charts/chart{}.xml")
        v = chart.series[0].values
        plan.put(part, chart_xml(chart, sheet, value, number_format(v.first_row, v.first_col), font))
        plan.set_override(part, CT_CHART)
        root.append(_anchor(chart, next_id, plan.add_rel(drawing, REL_CHART, part)))
        next_id += 1
    if not any(isinstance(a.tag, str) and etree.QName(a).localname in _ANCHORS for a in root):
        plan.remove_rels(sheet_part, {drawing_rel})
        plan.drop_tree(drawing)
        return None
    return drawing_rel

