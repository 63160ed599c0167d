"""Drafts hold columns (the conversation type) and belong to a browser; runs are records.

Existing drafts keep their conversation as one column. They were found
through the session, which no longer names a draft, so each gets a browser
key no cookie carries: kept, not shown.
"""

import secrets

import django.db.models.deletion
from django.db import migrations, models


def to_columns(apps, schema_editor):
    Draft = apps.get_model("chat", "Draft")
    for draft in Draft.objects.all():
        messages = [{"id": secrets.token_hex(6), "status": "done", **m} for m in draft.messages]
        for m in messages:
            if m["status"] == "streaming":
                m["status"] = "interrupted"
        draft.columns = [
            {
                "model_id": draft.model_id,
                "system_prompt": draft.system_prompt,
                "parameters": draft.parameters,
                "messages": messages,
            }
        ]
        draft.browser = f"legacy-{draft.pk.hex}"
        draft.save(update_fields=["columns", "browser"])


class Migration(migrations.Migration):
    dependencies = [("chat", "0001_initial")]

    operations = [
        migrations.AddField("draft", "browser", models.CharField(max_length=64, null=True)),
        migrations.AddField("draft", "columns", models.JSONField(default=list)),
        migrations.AddField("draft", "revision", models.PositiveIntegerField(default=0)),
        migrations.RunPython(to_columns, migrations.RunPython.noop),
        migrations.RemoveField("draft", "model_id"),
        migrations.RemoveField("draft", "system_prompt"),
        migrations.RemoveField("draft", "parameters"),
        migrations.RemoveField("draft", "messages"),
        migrations.AlterField("draft", "browser", models.CharField(max_length=64, unique=True)),
        migrations.CreateModel(
            name="Run",
            fields=[
                ("id", models.CharField(max_length=32, primary_key=True, serialize=False)),
                ("column", models.PositiveSmallIntegerField(default=0)),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("streaming", "Streaming"),
                            ("done", "Done"),
                            ("stopped", "Stopped"),
                            ("interrupted", "Interrupted"),
                            ("error", "Error"),
                        ],
                        default="streaming",
                        max_length=12,
                    ),
                ),
                ("body", models.JSONField()),
                ("text", models.TextField(blank=True, default="")),
                ("error", models.TextField(blank=True, default="")),
                ("figures", models.JSONField(default=dict)),
                ("channel", models.CharField(blank=True, default="", max_length=200)),
                ("started_at", models.DateTimeField(auto_now_add=True)),
                ("finished_at", models.DateTimeField(blank=True, null=True)),
                ("lease_until", models.DateTimeField(blank=True, null=True)),
                (
                    "draft",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="runs",
                        to="chat.draft",
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(fields=["draft", "status"], name="chat_run_draft_i_ae4a9f_idx")
                ]
            },
        ),
    ]
