"""manage.py load_index FILE: validate and store an index definition (spec §1)."""

from scoring.services.definitions import load_index
from surveys.management.commands._loading import DefinitionCommand


class Command(DefinitionCommand):
    help = "Validate an index definition YAML file and store it; a bad file is rejected whole."
    loader, label = staticmethod(load_index), "index"
