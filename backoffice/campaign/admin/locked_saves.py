"""Show rules checked while saving, under row locks, as ordinary form errors."""

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError


class LockedSaveMixin:
    """For a ModelAdmin whose ``save_model`` checks rules that only hold under row locks.

    Seats left or code usages can only be decided while the rows are locked, so after the form
    has been validated. When ``save_model`` raises ValidationError, the admin's own transaction
    (``changeform_view`` runs in one) rolls back everything written so far, and the view runs
    again with the error attached to the form: staff see the form, their input and the message
    on the field it names, never a server error or a half-saved row.
    """

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as error:
            if request.method != "POST" or hasattr(request, "refused_save"):
                raise
            request.refused_save = error
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        error = getattr(request, "refused_save", None)
        if error is None:
            return form
        return type(form)(form.__name__, (RefusedSaveForm, form), {"refusal": error})


class RefusedSaveForm:
    """Mixed into the admin's form on the second run: the refusal becomes a validation error."""

    refusal: ValidationError

    def clean(self):
        cleaned_data = super().clean()
        errors = self.refusal.error_dict if hasattr(self.refusal, "error_dict") else {None: self.refusal.error_list}
        for field, messages in errors.items():
            self.add_error(field if field in self.fields or field == NON_FIELD_ERRORS else None, messages)
        return cleaned_data
