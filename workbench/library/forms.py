from django import forms

from workbench.text import find_invalid


class RenameForm(forms.Form):
    title = forms.CharField(label="Title", max_length=200, strip=True)

    def clean_title(self) -> str:
        title = " ".join(self.cleaned_data["title"].split())
        if not title:
            raise forms.ValidationError("Give the session a title.")
        if problem := find_invalid(title):
            raise forms.ValidationError(problem)
        return title
