"""Django's own texts whose Vietnamese is wrong, missing or odd where staff see them.

The project's catalogue (LOCALE_PATHS) is read before Django's, so a text listed here
and translated in locale/vi.tsv replaces Django's Vietnamese: "Enter a whole number."
reads "Nhập một số nguyên." instead of Django's "Nhập một số tổng thể.", the admin's
"History" reads "Lịch sử" instead of "Bản ghi nhớ" (a memo). Nothing imports this module:
`makemessages` reads it. Each text is Django's exact English (curly quotes included), or
it would translate nothing.
"""

from django.utils.translation import gettext_noop, ngettext_lazy

# Validation messages of forms and model fields.
FORM_MESSAGES = [
    gettext_noop("Enter a whole number."),
    gettext_noop("Enter a valid time."),
    gettext_noop("Enter a valid date/time."),
    gettext_noop("Enter a valid duration."),
    gettext_noop("Enter a valid email address."),
    gettext_noop("Enter a valid JSON."),
    gettext_noop("Enter a complete value."),
    gettext_noop("Enter a valid UUID."),
    gettext_noop("Select a valid choice. %(value)s is not one of the available choices."),
    gettext_noop("Select a valid choice. That choice is not one of the available choices."),
    gettext_noop("“%(pk)s” is not a valid value."),
    gettext_noop("Ensure this value is less than or equal to %(limit_value)s."),
    gettext_noop("Ensure this value is greater than or equal to %(limit_value)s."),
    gettext_noop("Ensure this value is %(limit_value)s (it is %(show_value)s)."),
    ngettext_lazy("Ensure this value has at most %(limit_value)d character (it has "
                  "%(show_value)d).",
                  "Ensure this value has at most %(limit_value)d characters (it has "
                  "%(show_value)d).", 1),
    ngettext_lazy("Ensure this value has at least %(limit_value)d character (it has "
                  "%(show_value)d).",
                  "Ensure this value has at least %(limit_value)d characters (it has "
                  "%(show_value)d).", 1),
    ngettext_lazy("Ensure that there are no more than %(max)s digit in total.",
                  "Ensure that there are no more than %(max)s digits in total.", 1),
    ngettext_lazy("Ensure that there are no more than %(max)s decimal place.",
                  "Ensure that there are no more than %(max)s decimal places.", 1),
    ngettext_lazy("Ensure that there are no more than %(max)s digit before the decimal point.",
                  "Ensure that there are no more than %(max)s digits before the decimal point.", 1),
    gettext_noop("%(datetime)s couldn’t be interpreted in time zone %(current_timezone)s; it "
                 "may be ambiguous or it may not exist."),
    gettext_noop("Constraint “%(name)s” is violated."),
    gettext_noop("This field cannot be null."),
    gettext_noop("%(model_name)s with this %(field_labels)s already exists."),
    gettext_noop("%(model_name)s with this %(field_label)s already exists."),
    gettext_noop("Please correct the duplicate data for %(field)s."),
    gettext_noop("Please correct the duplicate data for %(field)s, which must be unique."),
    ngettext_lazy("Please submit at most %(num)d form.",
                  "Please submit at most %(num)d forms.", 1),
    ngettext_lazy("Please submit at least %(num)d form.",
                  "Please submit at least %(num)d forms.", 1),
    gettext_noop("The inline value did not match the parent instance."),
]

# The admin site's own texts.
ADMIN_TEXTS = [
    gettext_noop("Site administration"),
    gettext_noop("Add"),
    gettext_noop("Add %(name)s"),
    gettext_noop("Add another %(verbose_name)s"),
    gettext_noop("Action:"),
    gettext_noop("Go"),
    gettext_noop("Run the selected action"),
    gettext_noop("0 of %(cnt)s selected"),
    ngettext_lazy("%(total_count)s selected",
                  "All %(total_count)s selected", 1),
    gettext_noop("Delete selected %(verbose_name_plural)s"),
    gettext_noop("Successfully deleted %(count)d %(items)s."),
    ngettext_lazy("%(count)s %(name)s was changed successfully.",
                  "%(count)s %(name)s were changed successfully.", 1),
    gettext_noop("Items must be selected in order to perform actions on them. No items have "
                 "been changed."),
    gettext_noop("No action selected."),
    gettext_noop("Click here to select the objects across all pages"),
    gettext_noop("Select all %(total_count)s %(module_name)s"),
    gettext_noop("Select all objects on this page for an action"),
    gettext_noop("Select this object for an action - {}"),
    gettext_noop("History"),
    gettext_noop("Log out"),
    gettext_noop("Welcome,"),
    gettext_noop("None available"),
    gettext_noop(" By %(filter_title)s "),
    ngettext_lazy("Please correct the error below.",
                  "Please correct the errors below.", 1),
    gettext_noop("Skip to main content"),
    gettext_noop("Toggle theme (current theme: auto)"),
    gettext_noop("Toggle theme (current theme: light)"),
    gettext_noop("Toggle theme (current theme: dark)"),
    gettext_noop("Toggle navigation"),
    gettext_noop("Sidebar"),
    gettext_noop("Breadcrumbs"),
    gettext_noop("Filter navigation items"),
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
    gettext_noop("Models in the %(name)s application"),
    gettext_noop("Show counts"),
    gettext_noop("Hide counts"),
    gettext_noop("View selected %(model)s"),
    gettext_noop("Error:"),
    gettext_noop("Added:"),
    gettext_noop("Changed:"),
    gettext_noop("Deleted:"),
    gettext_noop("Sorting priority: %(priority_number)s"),
    gettext_noop("Delete?"),
    gettext_noop("log entry"),
    gettext_noop("log entries"),
    gettext_noop("action time"),
    gettext_noop("object repr"),
    gettext_noop("action flag"),
    gettext_noop("change message"),
    gettext_noop("object id"),
]

# Accounts, groups and permissions (django.contrib.auth).
ACCOUNT_TEXTS = [
    gettext_noop("Authentication and Authorization"),
    gettext_noop("permission"),
    gettext_noop("permissions"),
    gettext_noop("group"),
    gettext_noop("groups"),
    gettext_noop("user"),
    gettext_noop("users"),
    gettext_noop("user permissions"),
    gettext_noop("staff status"),
    gettext_noop("Designates whether the user can log into this admin site."),
    gettext_noop("superuser status"),
    gettext_noop("Designates that this user has all permissions without explicitly assigning "
                 "them."),
    gettext_noop("Designates whether this user should be treated as active. Unselect this "
                 "instead of deleting accounts."),
    gettext_noop("Required. 150 characters or fewer. Letters, digits and @/./+/-/_ only."),
    gettext_noop("active"),
    gettext_noop("Password-based authentication"),
    gettext_noop("Enabled"),
    gettext_noop("Disabled"),
    gettext_noop("Reset password"),
    gettext_noop("Set password"),
    gettext_noop("Raw passwords are not stored, so there is no way to see the user’s password."),
    gettext_noop("Whether the user will be able to authenticate using a password or not. If "
                 "disabled, they may still be able to authenticate using other backends, such "
                 "as Single Sign-On or LDAP."),
    gettext_noop("Enable password-based authentication for this user by setting a password."),
    gettext_noop("Password-based authentication was disabled."),
    gettext_noop("Conflicting form data submitted. Please try again."),
    ngettext_lazy("This password is too short. It must contain at least %d character.",
                  "This password is too short. It must contain at least %d characters.", 1),
    gettext_noop("Enter a valid username. This value may contain only unaccented lowercase "
                 "a-z and uppercase A-Z letters, numbers, and @/./+/-/_ characters."),
    gettext_noop("Password reset unsuccessful"),
    gettext_noop("Logged out"),
    gettext_noop("After you’ve created a user, you’ll be able to edit more user options."),
    gettext_noop("This action will <strong>enable</strong> password-based authentication for "
                 "this user."),
    gettext_noop("Disable password-based authentication"),
    gettext_noop("Enable password-based authentication"),
]
