from django import forms
from django.contrib.auth import forms as auth_forms

from accounts.models import User


class UserCreationForm(auth_forms.UserCreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name")

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("A user with this e-mail address already exists.")
        return email


class UserChangeForm(auth_forms.UserChangeForm):
    class Meta:
        model = User
        fields = ("email", "full_name")


class SignInForm(auth_forms.AuthenticationForm):
    """Django's sign-in form, labelled for e-mail and with browser autofill hints."""

    username = auth_forms.UsernameField(
        label="E-mail address",
        # autocomplete="username" is what password managers look for beside a password.
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
