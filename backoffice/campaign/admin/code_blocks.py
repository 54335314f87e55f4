"""Withdrawing leaked access codes in the admin, and restoring them: one form, and their history.

The form takes one code, a batch by its number, or a pasted or uploaded list; the work is in
services/code_blocks.py. It needs permission to change access codes (and so the second factor).
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from backoffice.campaign.models import UNFINISHED_RUN, AccessCode, AccessCodeBatch, AccessCodeBlock
from backoffice.campaign.one_line import validate_one_line
from backoffice.campaign.services.code_blocks import (
    MAX_LIST,
    access_codes_block,
    code_block_summary,
    code_list_check,
    code_list_parse,
)

# A list of MAX_LIST codes, one a line with room for a CSV's other columns.
MAX_FILE_BYTES = MAX_LIST * 80


class BlockCodesForm(forms.Form):
    action = forms.ChoiceField(
        label="What to do",
        choices=[("block", "Withdraw the codes"), ("unblock", "Restore withdrawn codes")],
        initial="block",
        widget=forms.RadioSelect,
    )
    batch = forms.IntegerField(
        label="Batch number",
        required=False,
        min_value=1,
        help_text="Every code of this batch (see Access code batches).",
    )
    codes = forms.CharField(
        label="Codes",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "cols": 40, "spellcheck": "false", "autocomplete": "off"}),
        help_text="One code a line, as found or typed: lower case, spaces, missing dashes, O for 0 and I for 1 "
        "are all read right.",
    )
    file = forms.FileField(
        label="Or a file of codes",
        required=False,
        help_text=f"Text or CSV, one code a line (a batch's CSV download will do); up to {MAX_LIST:,} codes.",
    )
    reason = forms.CharField(
        label="Reason",
        max_length=200,
        required=False,
        # Copied onto each code (AccessCode.blocked_reason) and into refusals: one line.
        validators=[validate_one_line],
        help_text="Needed to withdraw. Staff see it when a booking with one of the codes is refused.",
    )

    def clean(self):
        data = super().clean()
        given = [name for name in ("batch", "codes", "file") if data.get(name)]
        if len(given) != 1:
            raise ValidationError("Give one of: a batch number, a list of codes, or a file of codes.")
        if data.get("action") == "block" and not data.get("reason", "").strip():
            self.add_error("reason", "Say why the codes are withdrawn; a refused booking shows it.")
        if data.get("batch"):
            data["batch_obj"] = AccessCodeBatch.objects.filter(pk=data["batch"]).first()
            if data["batch_obj"] is None:
                self.add_error("batch", f"There is no batch {data['batch']}.")
            elif data["batch_obj"].status in UNFINISHED_RUN:
                # Codes it made after the withdrawal would be left in use.
                self.add_error(
                    "batch", f"Batch {data['batch']} is still making codes. Wait for its run to end, then withdraw."
                )
            return data
        field = given[0]
        try:
            values = code_list_parse(data["codes"] if field == "codes" else self._file_text(data["file"]))
            code_list_check(values)
        except ValidationError as error:
            self.add_error(field, error)
            return data
        data["values"] = values
        return data

    @staticmethod
    def _file_text(upload) -> str:
        if upload.size > MAX_FILE_BYTES:
            raise ValidationError(f"The file is larger than {MAX_FILE_BYTES // 1_000_000} MB; split it.")
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError("The file is not text: save it as plain text or CSV (UTF-8).") from None


def block_view(model_admin: admin.ModelAdmin, request: HttpRequest) -> TemplateResponse | HttpResponseRedirect:
    """The form; on success, back to the codes (done) or to the run's page (a big batch or list)."""
    if not model_admin.has_change_permission(request):
        raise PermissionDenied
    initial = {"batch": request.GET.get("batch"), "action": request.GET.get("action", "block")}
    form = BlockCodesForm(request.POST if request.method == "POST" else None, request.FILES or None, initial=initial)
    if form.is_valid():
        data = form.cleaned_data
        values = data.get("values")
        target = {"batch": data["batch_obj"]} if values is None else {"values": values}
        if values is not None and len(values) == 1:
            target = {"code": AccessCode.objects.get(value=values[0])}
        with transaction.atomic():
            record = access_codes_block(
                block=data["action"] == "block", reason=data["reason"], created_by=request.user, **target
            )
        if record.run is not None:
            model_admin.message_user(
                request,
                f"{record.get_action_display()} in the background: {record.requested:,} codes. "
                "This page follows the run; you may leave it.",
                messages.SUCCESS,
            )
            return HttpResponseRedirect(reverse("admin:campaign_datarun_change", args=[record.run.pk]))
        model_admin.message_user(request, code_block_summary(record), messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:campaign_accesscodeblock_changelist"))
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Withdraw or restore access codes",
        "opts": model_admin.opts,
        "form": form,
        "submit_label": "Save",
    }
    return TemplateResponse(request, "admin/campaign/accesscode/block.html", context)


@admin.register(AccessCodeBlock)
class AccessCodeBlockAdmin(admin.ModelAdmin):
    """The history of withdrawals: who, when, why, which codes, how many. Written only by the form."""

    list_display = ["created_at", "action", "scope", "what", "requested", "count", "reason", "created_by"]
    list_filter = ["action", "scope"]
    list_select_related = ["created_by", "code", "batch", "run"]
    fields = [*list_display, "run"]
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_view_permission(self, request, obj=None) -> bool:
        # Whoever may see the codes may see what was done to them.
        return super().has_view_permission(request, obj) or request.user.has_perm("campaign.view_accesscode")

    @admin.display(description="codes")
    def what(self, record: AccessCodeBlock) -> str:
        if record.scope == AccessCodeBlock.Scope.BATCH:
            return f"Batch {record.batch_id}" if record.batch_id else "A batch since deleted"
        if record.scope == AccessCodeBlock.Scope.CODE:
            return str(record.code) if record.code_id else "A code since deleted"
        return f"A list of {record.requested:,}"
