"""One reply of every type, for the tests that render them through each adapter."""

from __future__ import annotations

from bot.core.replies import Button, Card, Cards, Choice, Choices, Document, Link, Reply, Text

EVERY_REPLY: list[Reply] = [
    Text(text="สวัสดีครับ ยินดีต้อนรับ"),
    Choices(
        text="ยินยอมให้เก็บข้อมูลหรือไม่",
        options=(
            Choice(label="ยินยอม", payload="consent:yes"),
            Choice(label="ไม่", payload="consent:no"),
        ),
    ),
    Cards(
        text="เอกสารจากเวิร์กช็อป",
        cards=(
            Card(
                title="ชุดเครื่องมือแพลตฟอร์มข้อมูลเมือง",
                subtitle="Urban Innovation Vienna, 20 ธ.ค. 2561",
                link="https://materials.test/toolkit",
                image_url="https://materials.test/toolkit.png",
                buttons=(
                    Button(label="เปิดเอกสาร", url="https://materials.test/toolkit"),
                    Button(label="ด้านการเดินทาง", payload="mat:d:mobility"),
                ),
            ),
        ),
    ),
    Link(text="แบบฟอร์มรายงาน", label="เปิดแบบฟอร์ม", url="https://forms.test/report"),
    Document(
        title="แผนพัฒนาเมืองอัจฉริยะ",
        url="https://materials.test/plan.pdf",
        caption="ฉบับร่าง",
        file_name="plan.pdf",
    ),
]
