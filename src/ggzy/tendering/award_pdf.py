"""The award notice as a PDF: the signed facts, a QR code to the public verification page, and
the SM3 digest and SM2 signature printed so the paper copy can be checked by hand too.

Uses reportlab's built-in Adobe CID font STSong-Light, so no font file has to be shipped.
"""

from __future__ import annotations

import io
import textwrap
from datetime import datetime
from decimal import Decimal

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from ggzy.common.clock import format_local
from ggzy.common.money import format_yuan

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def _wrap(c: canvas.Canvas, text: str, x: float, y: float, width_chars: int, size: int, leading: float) -> float:
    c.setFont(FONT, size)
    for para in text.split("\n"):
        for line in textwrap.wrap(para, width_chars) or [""]:
            c.drawString(x, y, line)
            y -= leading
    return y


def render(facts: dict[str, object], *, digest: str, signature: str, public_key: str, verify_url: str) -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=True)  # the same facts give the same bytes
    width, height = A4
    c.setTitle(f"中标（成交）通知书 {facts['verify_code']}")
    c.setFont(FONT, 22)
    c.drawCentredString(width / 2, height - 30 * mm, "中标（成交）通知书")
    c.setFont(FONT, 10)
    c.drawRightString(width - 20 * mm, height - 40 * mm, f"验证码：{facts['verify_code']}")
    issued = datetime.fromisoformat(str(facts["issued_at"]))
    body = (
        f"{facts['winner']}（统一社会信用代码 {facts['winner_code']}）：\n"
        f"你单位参加的{facts['tender_name']}（招标项目编号 {facts['tender_code']}）"
        f"{facts['section_name']}（标段编号 {facts['section_code']}）的投标（响应），经评标委员会评审并经公示，"
        f"确定你单位为中标（成交）人，中标（成交）价为 {format_yuan(Decimal(str(facts['price'])))}。\n"
        f"请你单位自本通知书发出之日起三十日内，按照招标（采购）文件和你单位的投标（响应）文件与招标人订立书面合同。"
    )
    y = _wrap(c, body, 25 * mm, height - 55 * mm, 38, 13, 8 * mm)
    c.setFont(FONT, 12)
    c.drawString(110 * mm, y - 10 * mm, f"招标人（采购人）：{facts['tenderer']}")
    c.drawString(110 * mm, y - 18 * mm, f"发出时间：{format_local(issued, '%Y年%m月%d日 %H:%M')}")
    qr = QrCodeWidget(verify_url)
    x0, y0, x1, y1 = qr.getBounds()
    size = 32 * mm
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(qr)
    renderPDF.draw(drawing, c, 25 * mm, 45 * mm)
    c.setFont(FONT, 8)
    c.drawString(25 * mm, 40 * mm, f"扫码或访问 {verify_url} 核验真伪")
    lines = [
        f"SM3 摘要：{digest}",
        "平台 SM2 签名：",
        *textwrap.wrap(signature, 96),
        f"平台公钥：{public_key[:64]}",
        f"          {public_key[64:]}",
    ]
    y = 32 * mm
    for line in lines:
        c.drawString(25 * mm, y, line)
        y -= 4 * mm
    c.showPage()
    c.save()
    return buf.getvalue()
