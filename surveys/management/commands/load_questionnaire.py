"""manage.py load_questionnaire FILE: validate and store a questionnaire (spec §2)."""

from surveys.management.commands._loading import DefinitionCommand
from surveys.services import load_questionnaire


class Command(DefinitionCommand):
    help = "Validate a questionnaire YAML file and store it; a bad file is rejected whole."
    loader, label = staticmethod(load_questionnaire), "questionnaire"
