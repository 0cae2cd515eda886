"""Invoice wording in the languages guests read: English, Spanish, Simplified Chinese."""

from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "invoice": "Invoice", "credit_note": "Credit note", "number": "Number",
        "date": "Date", "bill_to": "Bill to", "tax_id": "Tax id",
        "corrects": "Corrects invoice", "description": "Description", "qty": "Qty",
        "unit": "Unit price", "net": "Net", "tax": "Tax", "total": "Total",
        "taxes": "Taxes", "subtotal": "Subtotal", "night": "night of",
        "room_night": "Room night", "minibar": "Minibar", "restaurant": "Restaurant",
        "laundry": "Laundry", "spa": "Spa", "transport": "Transport",
        "late_checkout": "Late checkout", "discount": "Discount",
        "cancellation": "Cancellation fee", "no_show": "No-show fee",
        "rent": "Rent", "utilities": "Utilities", "services": "Services",
        "deduction": "Kept from the deposit",
    },
    "es": {
        "invoice": "Factura", "credit_note": "Nota de crédito", "number": "Número",
        "date": "Fecha", "bill_to": "Facturar a", "tax_id": "RFC/NIF",
        "corrects": "Rectifica la factura", "description": "Concepto", "qty": "Cant.",
        "unit": "Precio unit.", "net": "Base", "tax": "Impuesto", "total": "Total",
        "taxes": "Impuestos", "subtotal": "Subtotal", "night": "noche del",
        "room_night": "Noche de habitación", "minibar": "Minibar",
        "restaurant": "Restaurante", "laundry": "Lavandería", "spa": "Spa",
        "transport": "Transporte", "late_checkout": "Salida tardía", "discount": "Descuento",
        "cancellation": "Gastos de cancelación", "no_show": "Cargo por no presentación",
        "rent": "Alquiler", "utilities": "Suministros", "services": "Servicios",
        "deduction": "Retenido del depósito",
    },
    "zh": {
        "invoice": "发票", "credit_note": "红字发票", "number": "编号",
        "date": "日期", "bill_to": "抬头", "tax_id": "税号",
        "corrects": "冲销发票", "description": "项目", "qty": "数量",
        "unit": "单价", "net": "不含税金额", "tax": "税额", "total": "合计",
        "taxes": "税费", "subtotal": "小计", "night": "入住日",
        "room_night": "房费", "minibar": "迷你吧", "restaurant": "餐厅",
        "laundry": "洗衣", "spa": "水疗", "transport": "交通",
        "late_checkout": "延迟退房", "discount": "折扣",
        "cancellation": "取消费", "no_show": "未入住费",
        "rent": "租金", "utilities": "水电费", "services": "服务费", "deduction": "押金扣款",
    },
}


def labels(language: str) -> dict[str, str]:
    return LABELS.get(language, LABELS["en"])
