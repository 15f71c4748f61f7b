"""CheckCellMetadata, with nbgrader's metadata schema checked once per process, not per cell.

nbgrader's sanitize step validates every graded cell's metadata with `jsonschema.validate`,
which first checks the schema itself: 53 schema checks per lab notebook, most of the
~0.1 s the step takes. This is the same validation (nbgrader's MetadataValidator, the same
errors) with the validator built once. In nbgrader_config.py:

    c.Autograde.sanitize_preprocessors = [..., "mlpkit.preprocessors.check_cell_metadata.CheckCellMetadata"]
"""
import traceback

import jsonschema
from jsonschema.exceptions import best_match
from nbgrader.nbgraderformat import MetadataValidator, ValidationError
from nbgrader.nbgraderformat.common import BaseMetadataValidator
from nbgrader.preprocessors import CheckCellMetadata as NbgraderCheckCellMetadata


class _SchemaCheckedOnce(BaseMetadataValidator):
    _validators = {}

    def validate_cell(self, cell):
        meta = cell.metadata.get("nbgrader")
        if meta is None:
            return
        if meta.get("schema_version", 0) != self.schema_version:
            return super().validate_cell(cell)   # nbgrader's version errors
        key = self.schema_version
        if key not in self._validators:
            cls = jsonschema.validators.validator_for(self.schema)
            cls.check_schema(self.schema)
            self._validators[key] = cls(self.schema)
        error = best_match(self._validators[key].iter_errors(meta))   # what jsonschema.validate raises
        if error is not None:
            raise error


class FastMetadataValidator(MetadataValidator, _SchemaCheckedOnce):
    """nbgrader's MetadataValidator; its base class's schema validation uses the cached validator."""


class CheckCellMetadata(NbgraderCheckCellMetadata):
    def preprocess(self, nb, resources):
        # nbgrader's preprocess, with FastMetadataValidator in place of MetadataValidator.
        try:
            FastMetadataValidator().validate_nb(nb)
        except ValidationError:
            self.log.error(traceback.format_exc())
            message = "Notebook failed to validate; the nbgrader metadata may be corrupted."
            self.log.error(message)
            raise ValidationError(message)
        return nb, resources
