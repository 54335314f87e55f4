"""An access code typed in full, for staff who book for customers but may not browse the codes."""

from django import forms

from backoffice.campaign.codes import access_code_normalise
from backoffice.campaign.models import AccessCode


class TypedAccessCodeField(forms.ModelChoiceField):
    """The code the customer reads out, as typed (see ``access_code_normalise``); the list of codes is never offered."""

    widget = forms.TextInput(attrs={"placeholder": "XXXX-XXXX-XXXX-XXXX", "autocomplete": "off"})

    def __init__(self, **kwargs) -> None:
        kwargs.pop("widget", None)
        super().__init__(queryset=AccessCode.objects.all(), to_field_name="value", **kwargs)
        self.error_messages["invalid_choice"] = (
            "There is no such access code. Check the code the customer read out, e.g. 7KPB-3XQ9-M2DT-8ZVR."
        )

    def prepare_value(self, value):
        # The form's initial value is the reservation's code as a primary key: show the code itself.
        if isinstance(value, int):
            return AccessCode.objects.filter(pk=value).values_list("value", flat=True).first()
        return super().prepare_value(value)

    def to_python(self, value):
        return super().to_python(access_code_normalise(value) if isinstance(value, str) else value)
