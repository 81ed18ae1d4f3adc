"""The printable certificate: an A4 landscape PDF with a QR code that opens the verify page."""

from __future__ import annotations

import io

import qrcode
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from app.certification.models import Certificate
from app.certification.rules import SignoffRules
from app.clock import as_utc

INK = HexColor("#1d2433")
MUTED = HexColor("#5b6475")
ACCENT = HexColor("#1f6feb")


def qr_matrix(url: str) -> list[list[bool]]:
    """Return the QR code modules (True = dark) that encode url, without a quiet zone."""
    code = qrcode.QRCode(border=0, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(url)
    code.make(fit=True)
    return [list(row) for row in code.get_matrix()]


def _draw_qr(canvas: Canvas, url: str, x: float, y: float, size: float) -> None:
    # Drawn as vector squares so the code stays sharp at any print size.
    matrix = qr_matrix(url)
    cell = size / len(matrix)
    canvas.setFillColor(INK)
    for row_number, row in enumerate(matrix):
        for column, dark in enumerate(row):
            if dark:
                top = y + size - (row_number + 1) * cell
                canvas.rect(x + column * cell, top, cell, cell, stroke=0, fill=1)


def render_certificate(certificate: Certificate, rules: SignoffRules, verify_url: str) -> bytes:
    """Render the certificate as PDF bytes."""
    buffer = io.BytesIO()
    width, height = landscape(A4)
    canvas = Canvas(buffer, pagesize=(width, height), invariant=True)
    canvas.setTitle(f"Certificate {certificate.code}")
    canvas.setAuthor(rules.issuer.name)
    canvas.setSubject(verify_url)
    canvas.setKeywords([certificate.code, verify_url])

    canvas.setStrokeColor(ACCENT)
    canvas.setLineWidth(3)
    canvas.rect(12 * mm, 12 * mm, width - 24 * mm, height - 24 * mm)
    canvas.setLineWidth(0.8)
    canvas.rect(15 * mm, 15 * mm, width - 30 * mm, height - 30 * mm)

    middle = width / 2
    canvas.setFillColor(MUTED)
    canvas.setFont("Helvetica", 13)
    canvas.drawCentredString(middle, height - 40 * mm, rules.issuer.name.upper())
    canvas.setFillColor(INK)
    canvas.setFont("Helvetica-Bold", 30)
    canvas.drawCentredString(middle, height - 58 * mm, "Certificate of Completion")
    canvas.setFont("Helvetica", 13)
    canvas.setFillColor(MUTED)
    canvas.drawCentredString(middle, height - 74 * mm, "This certifies that")
    canvas.setFillColor(INK)
    canvas.setFont("Helvetica-Bold", 26)
    canvas.drawCentredString(middle, height - 90 * mm, certificate.recipient_name)
    canvas.setFont("Helvetica", 13)
    canvas.setFillColor(MUTED)
    canvas.drawCentredString(
        middle, height - 104 * mm, "has completed the programme and was signed off as"
    )
    canvas.setFillColor(ACCENT)
    canvas.setFont("Helvetica-Bold", 18)
    canvas.drawCentredString(middle, height - 116 * mm, rules.badge.name)
    canvas.setFillColor(INK)
    canvas.setFont("Helvetica", 12)
    canvas.drawCentredString(middle, height - 127 * mm, certificate.programme_title)

    issued = as_utc(certificate.issued_at)
    expires = as_utc(certificate.expires_at)
    left = 30 * mm
    canvas.setFont("Helvetica", 11)
    canvas.setFillColor(INK)
    lines = [
        f"Certificate code: {certificate.code}",
        f"Issued: {issued:%d %B %Y}",
        f"Valid until: {expires:%d %B %Y}",
        f"Signed off by: {certificate.signed_off_by}",
        f"Certification cycle: {certificate.cycle}",
    ]
    for number, line in enumerate(lines):
        canvas.drawString(left, 58 * mm - number * 6 * mm, line)

    qr_size = 42 * mm
    qr_x = width - 30 * mm - qr_size
    _draw_qr(canvas, verify_url, qr_x, 40 * mm, qr_size)
    canvas.setFont("Helvetica", 8)
    canvas.setFillColor(MUTED)
    canvas.drawCentredString(qr_x + qr_size / 2, 34 * mm, "Scan to verify:")
    canvas.drawCentredString(qr_x + qr_size / 2, 30 * mm, verify_url)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
