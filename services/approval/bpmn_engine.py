"""Run the hall's BPMN processes with SpiffWorkflow: parse, start, store, list and complete tasks.

A plain domain module (no broker, no database) so the approval service and its tests share one
small API. Diagrams are Camunda-flavoured BPMN as process designers save them from Camunda
Modeler; a user task's role comes from its lane (`clerk`, `reviewer`, `chief`, `cashier`) or
from `camunda:candidateGroups`. Two task properties (`camunda:property`, or spiff-arena's
`spiffworkflow:property`) are the hall's: `separate_from` (审批分离: not the person who completed
the named tasks of the case) and `on_the_spot` (首席代表制: the role of the item's department
that may also claim the task when the case's item is decided on the spot).

Instance state is stored *lean*: the serializer's JSON without the process definition. The
definition is deployed once and cached as a `ParsedDiagram`; embedding it in every case would
multiply the stored size and put dotted keys (task spec names) into the document.
"""

import ast
import json
import re
from dataclasses import dataclass, field
from datetime import timedelta
from uuid import UUID

from lxml import etree
from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator, full_tag
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.helpers.encoder import create_encoder
from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent, ThrowingEvent
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask as AnyUserTask
from SpiffWorkflow.camunda.parser import CamundaParser
from SpiffWorkflow.camunda.parser.event_parsers import CamundaStartEventParser
from SpiffWorkflow.camunda.parser.task_spec import SubWorkflowParser, UserTaskParser
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.camunda.specs.event_definitions import (
    MessageEventDefinition as CamundaMessageEventDefinition,
)
from SpiffWorkflow.camunda.specs.user_task import (
    EnumFormField,
    Form,
    FormField,
    FormFieldValidation,
)
from SpiffWorkflow.spiff.parser.event_parsers import SpiffStartEventParser
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.parser.task_spec import SPIFFWORKFLOW_NSMAP
from SpiffWorkflow.spiff.parser.task_spec import SubWorkflowParser as SpiffSubWorkflowParser
from SpiffWorkflow.spiff.parser.task_spec import UserTaskParser as SpiffUserTaskParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

from services.approval import bpmn_events, feel, hall_flow, juel, spiff_adapter, workday_functions
from services.approval.forms import describe_field
from services.approval.sandbox import SandboxScriptEngine
from services.common.time import utcnow

_SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(CAMUNDA_CONFIG))
# spiff-arena's diagrams parse into SpiffWorkflow's `spiff` task specs, stored by their own rules.
_SPIFF_SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
_ENCODER = create_encoder(_SERIALIZER.registry)  # the serializer's own rules for datetimes, sets…
_VALIDATOR = BpmnValidator()  # loads the BPMN 2.0 XSD; built once, reused for every diagram
# Diagrams are uploaded over HTTP: never expand entities or fetch anything while parsing.
_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)
# The part of the serialized workflow that is the definition, not the instance.
_DEFINITION_KEYS = ("spec", "subprocess_specs")
# A case's stored state, well under the store's 16 MB documents (the outbox sits beside it).
MAX_STATE_BYTES = 8 * 1024 * 1024


# Every expression from a diagram runs in the sandbox; there is no unsandboxed path.
SANDBOX = SandboxScriptEngine(workday_functions.FUNCTIONS)


spiff_adapter.timers_follow_platform_clock()


class InvalidDiagram(ValueError):
    """The diagram cannot be deployed; `element_id` (None when the whole file is at fault)
    points the process designer at the offending element."""

    def __init__(self, element_id, message):
        super().__init__(f"{element_id}: {message}" if element_id else message)
        self.element_id = element_id
        self.message = message


class StateTooLarge(ValueError):
    """The state a step reached is larger than MAX_STATE_BYTES: it cannot be stored."""


class TaskNotReady(LookupError):
    """The task is not an open user task: unknown, or already completed (perhaps by someone else)."""

    def __init__(self, task_id):
        super().__init__(f"task {task_id} is not an open user task")
        self.task_id = task_id


@dataclass(frozen=True)
class ParsedDiagram:
    """A deployable process: its key (the BPMN process id), its name and the parsed specs;
    ``partners`` are the other executable processes of its collaboration that start with a
    message (by process id), which a message it throws may start."""

    process_id: str
    name: str
    spec: object
    subprocess_specs: dict
    partners: dict = field(default_factory=dict, compare=False)


class _UserTaskParser(UserTaskParser):
    """Keeps the assignment attributes CamundaParser drops, under their Camunda names, in the
    task spec's `extensions`: the hall routes work by candidate group, and time limits will
    need `dueDate`."""

    def parse_extensions(self, node=None):
        extensions = super().parse_extensions(node)
        groups = self.attribute("candidateGroups", "camunda") or ""
        extensions["candidateGroups"] = [group.strip() for group in groups.split(",") if group.strip()]
        users = self.attribute("candidateUsers", "camunda") or ""
        extensions["candidateUsers"] = [user.strip() for user in users.split(",") if user.strip()]
        assignee, due_date = self.attribute("assignee", "camunda"), self.attribute("dueDate", "camunda")
        if assignee:
            extensions["assignee"] = assignee.strip()
        if due_date:
            extensions["dueDate"] = camunda_expression(due_date.strip())
        return extensions

    def create_task(self):
        task_spec = super().create_task()
        try:
            linked = self._linked_form()
            if linked is not None:
                task_spec.form = _camunda_form(linked)
            for form_field in task_spec.form.fields:
                _form_field(form_field)
        except (TypeError, ValueError) as error:
            raise ValidationException(str(error), node=self.node, file_name=self.filename) from None
        return task_spec

    def _linked_form(self):
        """The Camunda Forms JSON the task links (`camunda:formRef` by the form's id, or
        `camunda:formKey="camunda-forms:deployment:FILE"`), uploaded with the diagram; None
        for a generated form (`camunda:formData`) or none."""
        forms = self.process_parser.parser.forms
        reference, key = self.attribute("formRef", "camunda"), self.attribute("formKey", "camunda") or ""
        if reference:
            found = [form for form in forms.values() if isinstance(form, dict) and form.get("id") == reference]
            if not found:
                raise ValueError(f"the form {reference!r} (camunda:formRef) was not uploaded with the diagram")
            return found[0]
        if key.startswith(CAMUNDA_DEPLOYED_FORM):
            filename = key[len(CAMUNDA_DEPLOYED_FORM) :]
            if filename not in forms:
                raise ValueError(f"the form {filename!r} (camunda:formKey) was not uploaded with the diagram")
            return forms[filename]
        if key:
            raise ValueError(
                f"camunda:formKey {key!r} names a form this hall cannot show: draw the form in "
                "Camunda Modeler (generated form fields or a Camunda Form uploaded with the diagram)"
            )
        return None


_JUEL_VARIABLE = re.compile(r"^\$\{\s*([A-Za-z_]\w*)\s*\}$")


def camunda_expression(text):
    """Camunda Modeler writes JUEL (`${...}`) or a literal; expressions here are Python.
    JUEL is translated (``juel.to_python``), an ISO date becomes a string literal, anything
    else stays."""
    return timer_expression(python_expression(text))


class _ProcessParser(spiff_adapter.ElementsFirstProcessParser):
    """Event subprocesses wait from their process's start (``bpmn_events``)."""

    def add_tasks(self):
        super().add_tasks()
        bpmn_events.start_with_the_process(self.spec)


class _SubprocessParser(bpmn_events.EventSubprocessParsing, SubWorkflowParser):
    pass


class _StartEventParser(bpmn_events.EventSubprocessStartParsing, CamundaStartEventParser):
    pass


class _SpiffSubprocessParser(bpmn_events.EventSubprocessParsing, SpiffSubWorkflowParser):
    pass


class _SpiffStartEventParser(bpmn_events.EventSubprocessStartParsing, SpiffStartEventParser):
    pass


class _HallParser(CamundaParser):
    PROCESS_PARSER_CLASS = _ProcessParser
    OVERRIDE_PARSER_CLASSES = {
        **CamundaParser.OVERRIDE_PARSER_CLASSES,
        full_tag("userTask"): (_UserTaskParser, CamundaParser.OVERRIDE_PARSER_CLASSES[full_tag("userTask")][1]),
        full_tag("subProcess"): (_SubprocessParser, CamundaParser.OVERRIDE_PARSER_CLASSES[full_tag("subProcess")][1]),
        full_tag("startEvent"): (_StartEventParser, CamundaParser.OVERRIDE_PARSER_CLASSES[full_tag("startEvent")][1]),
    }

    def __init__(self, forms, **kwargs):
        super().__init__(**kwargs)
        self.forms = forms


CAMUNDA_DEPLOYED_FORM = "camunda-forms:deployment:"
# Camunda Forms components: the ones that hold a value, as form field types; the ones that
# only show something (text, images, layout) carry no field.
_CAMUNDA_FORM_TYPES = {
    "textfield": "string",
    "textarea": "string",
    "number": "long",
    "checkbox": "boolean",
    "radio": "enum",
    "select": "enum",
    "datetime": "date",
}
_CAMUNDA_FORM_DISPLAY = {"text", "html", "image", "spacer", "separator", "button", "group", "iframe", "table"}
_CAMUNDA_FORM_RULES = {
    "required": "required",
    "minLength": "minlength",
    "maxLength": "maxlength",
    "min": "min",
    "max": "max",
}


def _camunda_form(schema):
    """A form from Camunda Forms JSON (Camunda Modeler's form editor). Refused (ValueError,
    naming the field): multi-value fields, decimal numbers, times, dynamic options, patterns
    and validation the service cannot check."""
    if not isinstance(schema, dict) or not isinstance(schema.get("components"), list):
        raise TypeError("a Camunda form is an object with `components`")
    form = Form()
    for component in _value_components(schema["components"]):
        key, kind = component.get("key"), component.get("type")
        if kind not in _CAMUNDA_FORM_TYPES:
            raise ValueError(
                f"form field {key!r}: the Camunda Forms type {kind!r} is not supported "
                f"({', '.join(sorted(_CAMUNDA_FORM_TYPES))})"
            )
        if not isinstance(key, str) or not key.isidentifier():
            raise ValueError(f"form field {key!r}: a key is one name (no dots: nested data is not supported)")
        if kind == "number" and component.get("decimalDigits"):
            raise ValueError(f"form field {key!r}: numbers with decimal digits are not supported (whole numbers)")
        if kind == "datetime" and component.get("subtype", "date") != "date":
            raise ValueError(f"form field {key!r}: only dates are supported (subtype date)")
        if kind in ("radio", "select") and not isinstance(component.get("values"), list):
            raise ValueError(f"form field {key!r}: options must be listed in the form (`values`)")
        validate = component.get("validate") or {}
        if not isinstance(validate, dict):
            raise ValueError(f"form field {key!r}: `validate` must be an object")
        unknown = sorted(
            name
            for name, value in validate.items()  # an empty validationType checks nothing
            if name not in _CAMUNDA_FORM_RULES and (name != "validationType" or value)
        )
        if unknown:
            raise ValueError(
                f"form field {key!r}: the validation {unknown} is not supported ({', '.join(_CAMUNDA_FORM_RULES)})"
            )
        field = EnumFormField() if kind in ("radio", "select") else FormField(_CAMUNDA_FORM_TYPES[kind])
        for option in component.get("values", ()) if kind in ("radio", "select") else ():
            field.add_option(str(option.get("value")), str(option.get("label", option.get("value"))))
        field.id, field.label = key, component.get("label") or key
        if "defaultValue" in component:
            field.default_value = _schema_default(component["defaultValue"])
        rules = [
            (_CAMUNDA_FORM_RULES[name], value)
            for name, value in validate.items()
            if name != "required" or value is True
        ]
        rules += [("readonly", None)] if component.get("readonly") is True or component.get("disabled") is True else []
        for name, config in rules:
            field.validation.append(FormFieldValidation(name, None if name == "required" else config))
        form.add_field(field)
    return form


def _value_components(components):
    """The components that hold a value, also inside groups; display-only ones left out."""
    for component in components:
        if not isinstance(component, dict):
            raise TypeError("a Camunda form's components are objects")
        if component.get("type") == "group":
            yield from _value_components(component.get("components") or [])
        elif component.get("type") not in _CAMUNDA_FORM_DISPLAY:
            yield component


class _SpiffUserTaskParser(SpiffUserTaskParser):
    """spiff-arena's user tasks: the role is the lane (spiff-arena assigns work by lane); the
    form is the JSON schema file named by the property `formJsonSchemaFilename`, uploaded with
    the diagram, turned into the same form fields a Camunda task has."""

    def create_task(self):
        task_spec = super().create_task()
        filename = self.parse_extensions().get("properties", {}).get("formJsonSchemaFilename")
        forms = self.process_parser.parser.forms
        try:
            if filename and filename not in forms:
                raise ValueError(f"the form {filename!r} was not uploaded with the diagram")
            task_spec.form = _json_schema_form(forms[filename]) if filename else Form()
            for form_field in task_spec.form.fields:
                _form_field(form_field)
        except (TypeError, ValueError) as error:
            raise ValidationException(str(error), node=self.node, file_name=self.filename) from None
        return task_spec

    def parse_extensions(self, node=None):
        return {**super().parse_extensions(node), "candidateGroups": [], "candidateUsers": []}


class _SpiffHallParser(SpiffBpmnParser):
    PROCESS_PARSER_CLASS = _ProcessParser
    OVERRIDE_PARSER_CLASSES = {
        **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
        full_tag("userTask"): (_SpiffUserTaskParser, SpiffBpmnParser.OVERRIDE_PARSER_CLASSES[full_tag("userTask")][1]),
        full_tag("subProcess"): (
            _SpiffSubprocessParser,
            SpiffBpmnParser.OVERRIDE_PARSER_CLASSES[full_tag("subProcess")][1],
        ),
        full_tag("startEvent"): (
            _SpiffStartEventParser,
            SpiffBpmnParser.OVERRIDE_PARSER_CLASSES[full_tag("startEvent")][1],
        ),
    }

    def __init__(self, forms, **kwargs):
        super().__init__(**kwargs)
        self.forms = forms


# JSON schema types spiff-arena's form builder writes, and the form field types they become;
# and the schema keywords that become the fields' constraints.
_SCHEMA_TYPES = {"string": "string", "integer": "long", "boolean": "boolean"}
_SCHEMA_RULES = {"minLength": "minlength", "maxLength": "maxlength", "minimum": "min", "maximum": "max"}


def _json_schema_form(schema):
    """A form from a spiff-arena JSON schema (flat object): `title` is the label, `required`
    lists required fields, `enum` or `oneOf` of `{const, title}` gives the options, `format:
    date` makes a date, `default`, `readOnly`, `minLength`, `maxLength`, `minimum` and
    `maximum` carry over. Nested objects, arrays and numbers with fractions are refused
    (ValueError, TypeError)."""
    if not isinstance(schema, dict) or not isinstance(schema.get("properties"), dict):
        raise TypeError("the form's JSON schema must be an object with `properties`")
    required = set(schema.get("required", ()))
    form = Form()
    for field_id, field_schema in schema["properties"].items():
        options = _schema_options(field_schema)
        if options is not None:
            field = EnumFormField()
            for option_id, name in options:
                field.add_option(option_id, name)
        elif field_schema.get("type") in _SCHEMA_TYPES:
            date = field_schema.get("type") == "string" and field_schema.get("format") == "date"
            field = FormField("date" if date else _SCHEMA_TYPES[field_schema["type"]])
        else:
            raise ValueError(
                f"form field {field_id!r}: type {field_schema.get('type')!r} is not supported "
                "(string, integer, boolean or a choice)"
            )
        field.id, field.label = field_id, field_schema.get("title", field_id)
        if "default" in field_schema:
            field.default_value = _schema_default(field_schema["default"])
        rules = [("required", None)] if field_id in required else []
        rules += [("readonly", None)] if field_schema.get("readOnly") else []
        rules += [(rule, field_schema[keyword]) for keyword, rule in _SCHEMA_RULES.items() if keyword in field_schema]
        for name, config in rules:
            field.validation.append(FormFieldValidation(name, config))
        form.add_field(field)
    return form


def _schema_default(value):
    """A JSON default as the text a Camunda default is written in."""
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _schema_options(field_schema):
    if "enum" in field_schema:
        return [(str(value), str(value)) for value in field_schema["enum"]]
    if "oneOf" in field_schema:
        return [(str(choice["const"]), str(choice.get("title", choice["const"]))) for choice in field_schema["oneOf"]]
    return None


# An ISO 8601 duration, date-time or repetition written bare, as Camunda Modeler saves it
# (`PT5S`); SpiffWorkflow evaluates timer text as an expression, so it is quoted for it.
_ISO_TIMER = re.compile(
    r"^(R\d*/)?(P(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?"
    r"|\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?)(/\S+)?$"
)
_TIMER_TAGS = tuple(full_tag(name) for name in ("timeDuration", "timeDate", "timeCycle"))


def parse_diagram(
    xml: bytes,
    filename="diagram.bpmn",
    dmn: tuple = (),
    forms: dict | None = None,
    called: tuple = (),
    process_id: str | None = None,
) -> ParsedDiagram:
    """Parse and check a diagram once, at deployment, so that a case never starts on a
    process that cannot run or whose tasks nobody would see in a work list. `dmn` holds the
    XML of the decision tables its business-rule tasks use; `forms` the JSON schemas
    (by file name) a spiff-arena diagram's user tasks name; `called` the XML of the other
    diagrams holding the processes its call activities call (the caller resolves which).

    The flavour follows the file: a diagram that declares spiff-arena's `spiffworkflow`
    namespace is read with SpiffWorkflow's spiff parser, every other one as Camunda's.

    A collaboration holds several executable processes: the one a case starts with (or
    ``process_id``), and partners that start with a message (see ``ParsedDiagram``)."""
    root = _xml(xml, filename)
    spiff = is_spiff_diagram(root)
    roots = [root, *(_xml(text, f"called diagram {number}") for number, text in enumerate(called, 1))]
    for other in roots:
        _refuse_what_cannot_run(other)
        _translate_juel(other)
        _prepare_timers(other)
    parser = (_SpiffHallParser if spiff else _HallParser)(forms or {}, validator=_VALIDATOR)
    try:
        for number, table in enumerate(dmn, 1):
            parser.add_dmn_xml(dmn_as_python(table, f"decision table {number}"), f"decision_{number}.dmn")
        parser.add_bpmn_xml(root, filename)
        for number, other in enumerate(roots[1:], 1):
            _check_same_flavour(other, spiff)
            parser.add_bpmn_xml(other, f"called_{number}.bpmn")
        for other in roots:
            _check_call_activities(other, parser)
        process_id, partner_ids = _top_level_processes(parser, process_id)
        parsed = {pid: (parser.get_spec(pid), parser.get_subprocess_specs(pid)) for pid in (process_id, *partner_ids)}
    except ValidationException as error:
        where = f" (line {error.line_number})" if error.line_number else ""
        raise InvalidDiagram(error.id or None, f"{error}{where}") from error
    labels = _outcome_labels(root)
    for spec, subprocess_specs in parsed.values():
        _check_process(spec, subprocess_specs, labels, spiff)
    spec, subprocess_specs = parsed.pop(process_id)
    partners = {
        pid: ParsedDiagram(pid, partner.description, partner, specs) for pid, (partner, specs) in parsed.items()
    }
    return ParsedDiagram(process_id, spec.description, spec, subprocess_specs, partners)


def _check_process(spec, subprocess_specs, labels, spiff):
    for process_spec in (spec, *subprocess_specs.values()):
        for gateway in bpmn_events.gateways_waiting_for_several_timers(process_spec):
            raise InvalidDiagram(
                gateway, "an event-based gateway waits for one timer at most: join the deadlines into one timer"
            )
        _check_roles(process_spec)
        _label_outcomes(process_spec, labels)
        _check_separations(process_spec)
        _pass_through_manual_tasks(process_spec)
        _throw_process_data(process_spec)
        process_spec.hall_serializer = _SPIFF_SERIALIZER if spiff else _SERIALIZER
    try:
        hall_flow.check_convention(spec)
    except hall_flow.ConventionBroken as broken:
        raise InvalidDiagram(broken.element_id, broken.message) from None


def is_spiff_diagram(root):
    return SPIFFWORKFLOW_NSMAP["spiffworkflow"] in root.nsmap.values()


def _xml(text, what):
    try:
        return etree.fromstring(text.encode("utf-8") if isinstance(text, str) else text, _XML_PARSER)
    except etree.XMLSyntaxError as error:
        raise InvalidDiagram(None, f"{what} is not well-formed XML: {error}") from error


def dmn_as_python(table, what="a decision table"):
    """A DMN table's XML with its FEEL cells rewritten as Python (``feel``), or refused."""
    root = _xml(table, what)
    try:
        feel.translate_tables(root)
    except feel.UnsupportedExpression as error:
        raise InvalidDiagram(error.element_id, error.message) from None
    return root


# Elements whose text is an expression, which Camunda Modeler saves in JUEL.
CAMUNDA_NAMESPACE = "http://camunda.org/schema/1.0/bpmn"
_EXPRESSION_TAGS = (
    *(full_tag(name) for name in ("conditionExpression", "loopCardinality", "completionCondition")),
    *(full_tag(name) for name in ("timeDuration", "timeDate", "timeCycle")),
)


def _translate_juel(root):
    """Rewrite every JUEL expression text as the sandbox's Python, once, at deploy; refuse
    what the translation does not cover, and expressions in another script language."""
    for node in root.iter(*_EXPRESSION_TAGS):
        language = (node.get("language") or "python").lower()
        if language not in ("python", "juel"):
            raise InvalidDiagram(
                owner(node).get("id"),
                f"expressions in {node.get('language')!r} are not supported "
                "(Python, or Camunda's ${...} expressions)",
            )
        if juel.is_juel(node.text):
            node.text = _translated(node, node.text.strip())
    collection = f"{{{CAMUNDA_NAMESPACE}}}collection"
    for node in root.iter(full_tag("multiInstanceLoopCharacteristics")):
        if juel.is_juel(node.get(collection)):
            node.set(collection, _translated(node, node.get(collection).strip()))


# What a modeler can attach that names code outside the diagram (Java classes, beans, external
# workers, connectors, Groovy): the hall runs none of it, so a diagram that relies on it is
# refused at deploy rather than leaving a case stuck where that code should have run.
_SCRIPT_FORMATS = ("", "python")
_SERVICE_ATTRIBUTES = ("class", "delegateExpression", "expression", "type", "topic")


def _refuse_what_cannot_run(root):
    camunda = f"{{{CAMUNDA_NAMESPACE}}}"
    for node in root.iter(full_tag("serviceTask"), full_tag("sendTask")):
        if node.tag == full_tag("serviceTask") or any(node.get(camunda + name) for name in _SERVICE_ATTRIBUTES):
            raise InvalidDiagram(
                node.get("id"),
                "a service task runs code outside the diagram (a Java class, "
                "bean, external worker or connector), which this hall does not "
                "run: draw a script task, or a message a department sends",
            )
    for node in root.iter(full_tag("businessRuleTask")):
        if any(node.get(camunda + name) for name in _SERVICE_ATTRIBUTES):
            raise InvalidDiagram(
                node.get("id"),
                "a business rule task runs a decision table (camunda:decisionRef), not Java code or an expression",
            )
    for node in root.iter(full_tag("scriptTask")):
        language = (node.get("scriptFormat") or "").strip().lower()
        if language not in _SCRIPT_FORMATS:
            raise InvalidDiagram(
                node.get("id"), f"scripts in {node.get('scriptFormat')!r} do not run here: write the script in Python"
            )
    for tag, what in (
        ("executionListener", "an execution listener"),
        ("taskListener", "a task listener"),
        ("inputOutput", "input/output parameters (camunda:inputOutput)"),
        ("connector", "a connector"),
    ):
        for node in root.iter(camunda + tag):
            raise InvalidDiagram(
                owner(node).get("id"),
                f"{what} runs outside the diagram's flow and is not supported: draw the step as a script task instead",
            )
    for node in root.iter(camunda + "in", camunda + "out"):
        if node.get("variables") != "all" or node.get("local"):
            raise InvalidDiagram(
                owner(node).get("id"),
                "a call activity passes all the case's data to the called "
                "process and all of it back (camunda:in/out "
                'variables="all"); mapping single variables is not '
                "supported",
            )


def _translated(node, text):
    try:
        return juel.to_python(text)
    except juel.UnsupportedExpression as error:
        raise InvalidDiagram(owner(node).get("id"), str(error)) from None


# Parts of a flow element that may carry an id of their own but are never what a refusal names.
_PART_TAGS = ("extensionElements", "correlationPropertyRetrievalExpression")


def owner(node):
    """The flow element (task, event, sequence flow, process) a part of a diagram belongs to:
    the nearest ancestor with an id that is not itself a part (an event definition, loop
    characteristics, extension elements); the document's root when there is none."""
    for ancestor in node.iterancestors():
        tag = etree.QName(ancestor).localname
        if (
            ancestor.get("id")
            and tag not in _PART_TAGS
            and not tag.endswith(("EventDefinition", "LoopCharacteristics"))
        ):
            return ancestor
    return node.getroottree().getroot()


def python_expression(text):
    """An expression's text as the sandbox runs it: Camunda's JUEL translated (the deploy has
    refused what ``juel`` does not cover), Python as written."""
    return juel.to_python(text) if juel.is_juel(text) else text


def timer_expression(text):
    """The Python expression SpiffWorkflow evaluates for a timer's text."""
    return repr(text) if _ISO_TIMER.match(text) else text


def _prepare_timers(root):
    """Quote bare ISO timer literals and check that every timer expression parses."""
    for node in root.iter(*_TIMER_TAGS):
        event = node.getparent().getparent()
        text = (node.text or "").strip()
        node.text = timer_expression(text)
        try:
            ast.parse((node.text or "").strip(), mode="eval")
        except SyntaxError as error:
            raise InvalidDiagram(
                event.get("id"), f"the timer expression {text!r} does not parse: {error.msg}"
            ) from None


def _check_call_activities(root, parser):
    known = set(parser.process_parsers)
    for node in root.iter(full_tag("callActivity")):
        called = node.get("calledElement")
        if called not in known:
            raise InvalidDiagram(
                node.get("id"), f"calls the process {called!r}, which is neither in this diagram nor deployed"
            )


def _check_same_flavour(root, spiff):
    """A called process runs inside the caller's workflow, stored by the caller's serializer:
    both are drawn with the same modeler."""
    if is_spiff_diagram(root) != spiff:
        process = root.find(full_tag("process"))
        raise InvalidDiagram(
            None if process is None else process.get("id"),
            "a call activity calls a process drawn with the same modeler (Camunda Modeler "
            "or spiff-arena) as its caller",
        )


def _top_level_processes(parser, wanted=None):
    """``(the process a case starts, its partners)`` among the executable processes no call
    activity calls: ``wanted``, else the one that does not start with a message (or the only
    process); the partners are the others that start with a message."""
    top_level = [pid for pid in parser.get_process_ids() if pid not in parser.get_process_dependencies()]
    by_message = [pid for pid in top_level if _starts_with_a_message(parser.get_spec(pid))]
    if wanted is None:
        plain = [pid for pid in top_level if pid not in by_message]
        if len(plain) != 1 and len(top_level) != 1:
            found = ", ".join(plain or top_level) or "none"
            raise InvalidDiagram(
                None,
                "a diagram must hold exactly one executable top-level process a case starts "
                f"with; the others of a collaboration start with a message (found: {found})",
            )
        wanted = plain[0] if plain else top_level[0]
    if wanted not in top_level:
        raise InvalidDiagram(None, f"the diagram holds no executable top-level process {wanted!r}")
    return wanted, [pid for pid in by_message if pid != wanted]


def _starts_with_a_message(process_spec):
    starts = process_spec.bpmn_start_events
    return bool(starts) and all(isinstance(spec.event_definition, MessageEventDefinition) for spec in starts)


def message_starts(diagram: ParsedDiagram) -> dict[str, str]:
    """The messages that start the process: name -> the id of its message start event."""
    return {
        spec.event_definition.name: spec.bpmn_id
        for spec in diagram.spec.bpmn_start_events
        if isinstance(spec.event_definition, MessageEventDefinition)
    }


def _throw_process_data(process_spec):
    """A Camunda message thrown without ``camunda:expression`` carries the process data (see
    `thrown_messages`): SpiffWorkflow's Camunda flavour evaluates the expression, so it is
    given an empty one and marked."""
    for spec in process_spec.task_specs.values():
        definition = getattr(spec, "event_definition", None)
        if (
            isinstance(spec, ThrowingEvent)
            and isinstance(definition, CamundaMessageEventDefinition)
            and definition.expression is None
        ):
            definition.expression, definition.hall_process_data = "{}", True


def _check_roles(process_spec):
    user_tasks = (spec for spec in process_spec.task_specs.values() if isinstance(spec, AnyUserTask))
    for task_spec in user_tasks:
        extensions = task_spec.extensions
        if not (
            task_spec.lane
            or extensions["candidateGroups"]
            or extensions.get("candidateUsers")
            or extensions.get("assignee")
        ):
            message = (
                "user task has no one to do it: put it in a lane, or set camunda:candidateGroups, "
                "camunda:candidateUsers or camunda:assignee"
            )
            raise InvalidDiagram(task_spec.bpmn_id, message)


OUTCOME = "outcome"
# A finished case whose end event has neither an outcome label nor a name.
DEFAULT_OUTCOME = "办结 Completed"
# What a case waits in, in words, when the designer left the element without a name.
_UNNAMED_STEPS = (
    ("timer", "等待期限 Waiting for a time"),
    ("message", "等待消息 Waiting for a message"),
    ("signal", "等待信号 Waiting for a signal"),
)
_UNNAMED_TASK = "待办 Task to do"
_UNNAMED_STEP = "等待 Waiting"


def _outcome_labels(root):
    """The designer-given outcome of each end event: the extension property ``outcome``
    (`camunda:property` or `spiffworkflow:property`), by the end event's id."""
    labels = {}
    for node in root.iter(full_tag("endEvent")):
        values = node.xpath(
            "./*[local-name()='extensionElements']//*[local-name()='property'][@name=$name]/@value", name=OUTCOME
        )
        if values and values[0].strip():
            labels[node.get("id")] = values[0].strip()
    return labels


def _label_outcomes(process_spec, labels):
    """Put each end event's outcome in words on its spec (specs are never stored): the label,
    else the element's name (see `outcome`)."""
    for task_spec in process_spec.task_specs.values():
        if isinstance(task_spec, EndEvent):
            task_spec.hall_outcome = labels.get(task_spec.bpmn_id) or task_spec.bpmn_name or DEFAULT_OUTCOME


def _pass_through_manual_tasks(process_spec):
    """A none task (`bpmn:task`) and a manual task (`bpmn:manualTask`) describe work done
    outside the engine: the engine passes through them, as Camunda 7 does, instead of
    waiting for a completion nobody is asked for (SpiffWorkflow leaves them to the caller)."""
    for task_spec in process_spec.task_specs.values():
        if getattr(task_spec, "manual", False) and not isinstance(task_spec, AnyUserTask):
            task_spec.manual = False


SEPARATE_FROM = "separate_from"
ON_THE_SPOT = "on_the_spot"


def task_property(task_spec, name):
    """A user task's property: `camunda:property` (Camunda) or `spiffworkflow:property`."""
    extensions = task_spec.extensions
    spiff_properties = extensions.get("properties")
    value = spiff_properties.get(name) if isinstance(spiff_properties, dict) else extensions.get(name)
    return value.strip() if isinstance(value, str) and value.strip() else None


def separate_from(task_spec):
    """The ids of the tasks whose completer may not complete this one (comma-separated)."""
    return [part.strip() for part in (task_property(task_spec, SEPARATE_FROM) or "").split(",") if part.strip()]


def _check_separations(process_spec):
    """`separate_from` names other user tasks of the same process, or deployment refuses it."""
    user_tasks = {spec.bpmn_id: spec for spec in process_spec.task_specs.values() if isinstance(spec, AnyUserTask)}
    for task_id, task_spec in user_tasks.items():
        for other in separate_from(task_spec):
            if other == task_id:
                raise InvalidDiagram(task_id, f"{SEPARATE_FROM} names the task itself")
            if other not in user_tasks:
                raise InvalidDiagram(
                    task_id, f"{SEPARATE_FROM} names {other!r}, which is not a user task of this process"
                )


def start(diagram: ParsedDiagram, data: dict, script_engine=None, held=None) -> BpmnWorkflow:
    """Start a case with `data` and run it to its first wait state (usually a user task);
    with ``held`` (``(message, kind)``: why it cannot run yet), leave it in an incident at its start instead, which
    `retry` runs from.

    `script_engine` runs conditions and scripts; None means the sandbox."""
    workflow = BpmnWorkflow(diagram.spec, diagram.subprocess_specs, script_engine=script_engine or SANDBOX)
    workflow.task_tree.set_data(**data)
    if held:
        _hold(workflow.get_tasks(state=TaskState.READY)[0], *held)
    else:
        _run_engine(workflow)
    return workflow


def hold_task(workflow: BpmnWorkflow, task_id: str, message: str, kind: str) -> None:
    """An open user task nobody can do: the case waits in an incident there, not in a work
    list; `retry` opens it again."""
    _hold(workflow.get_task_from_id(UUID(task_id)), message, kind)


def _hold(task, message, kind=None):
    task.internal_data["incident"] = dict(
        {"message": message, "resume_state": task.state}, **({"kind": kind} if kind else {})
    )
    spiff_adapter.set_state(task, TaskState.ERROR)


def _run_engine(workflow):
    """Run to the next wait state. A failure (an expression, a missing variable at a gateway,
    a refused script) leaves its task in ERROR with the message in the task's internal data:
    the instance is then in an incident (see `incident`) until `retry`."""
    try:
        bpmn_events.run_engine_steps(workflow)
    except Exception as error:
        task = getattr(error, "task", None)
        failed = workflow.get_tasks(state=TaskState.ERROR)
        if task is None and failed:
            task = failed[0]
        if task is None:
            raise
        previous = TaskState.READY if task.state == TaskState.ERROR else task.state
        spiff_adapter.set_state(task, TaskState.ERROR)
        task.internal_data["incident"] = {"message": _message(error), "resume_state": previous}


def _message(error):
    text = str(error).strip()
    cause = error.__context__ or error.__cause__
    if cause is not None and str(cause) not in text:
        text = f"{text} ({type(cause).__name__}: {cause})"
    return text[:1000]


def incident(workflow: BpmnWorkflow):
    """The failed element and why (and ``kind``, when a rule of the hall held it there rather
    than a step failing), or None when the instance can run."""
    for task in workflow.get_tasks(state=TaskState.ERROR):
        recorded = task.internal_data.get("incident", {})
        return dict(
            {
                "element_id": task.task_spec.bpmn_id or task.task_spec.name,
                "message": recorded.get("message", "the step failed"),
            },
            **({"kind": recorded["kind"]} if "kind" in recorded else {}),
        )
    return None


def hold(workflow: BpmnWorkflow, element_id, message) -> None:
    """Put a case whose step could not be kept into an incident where it waited before it:
    at the open user task ``element_id`` (the one being completed) or, failing that, the
    first task it waits at. `retry` lets it wait there again."""
    waiting = _ready_user_tasks(workflow) + [
        task for task in workflow.event_manager.tasks.values() if task.state == TaskState.WAITING
    ]
    task = next((t for t in waiting if t.task_spec.bpmn_id == element_id), waiting[0] if waiting else None)
    if task is None:
        raise StateTooLarge(message)
    _hold(task, message)


def retry(workflow: BpmnWorkflow, data: dict | None = None) -> None:
    """Run the failed steps again, after merging `data` (an admin's fix) into their data."""
    for task in workflow.get_tasks(state=TaskState.ERROR):
        if data:
            task.set_data(**data)
        recorded = task.internal_data.pop("incident", {})
        spiff_adapter.set_state(task, recorded.get("resume_state", TaskState.READY))
    _run_engine(workflow)


def next_timer(workflow: BpmnWorkflow):
    """When the earliest timer the instance waits for is due (aware UTC datetime), or None.

    A waiting timer event has its due time in the task's internal data from the moment it
    starts to wait (a duration is turned into an instant then), so the value is stable across
    serialization."""
    due = [_timer_due(task) for task, _ in _waiting_timers(workflow)]
    due = [moment for moment in due if moment is not None]
    return min(due) if due else None


def _waiting_timers(workflow):
    """(waiting task, timer event spec) pairs; an event-based gateway waits for the timer
    events after it."""
    return [
        (task, spec)
        for task in workflow.event_manager.tasks.values()
        if task.state == TaskState.WAITING
        for spec, definition in bpmn_events.awaited(task.task_spec)
        if isinstance(definition, spiff_timer.TimerEventDefinition)
    ]


def _timer_due(task):
    value = spiff_adapter.internal_value(task, "event_value")
    if isinstance(value, dict):  # a cycle: the next repetition
        value = value.get("next")
    try:
        return spiff_timer.TimerEventDefinition.get_datetime(value) if value else None
    except (TypeError, ValueError):
        return None


def fire_due_timers(workflow: BpmnWorkflow) -> list[str]:
    """Fire every timer that is due by the platform clock and run on to the next wait state.

    Returns the ids of the timer events that fired (an empty list when none was due, e.g.
    because another replica fired them first)."""
    now = utcnow()
    due = {
        (task, spec): _timer_due(task) for task, spec in _waiting_timers(workflow) if (_timer_due(task) or now) < now
    }
    if not due:
        return []
    workflow.refresh_timers()
    _run_engine(workflow)
    # A cycle keeps waiting for its next repetition: it fired when its due time moved on.
    return [
        spec.bpmn_id or spec.name
        for (task, spec), before in due.items()
        if task.state != TaskState.WAITING or _timer_due(task) != before
    ]


def fire_timer_now(workflow: BpmnWorkflow, element_id: str) -> bool:
    """Fire the waiting timer event ``element_id`` now, whatever its due time, and run on (a
    designer's test run; a cycle fires its next repetition). False when no such timer waits."""
    waiting = [task for task, spec in _waiting_timers(workflow) if spec.bpmn_id == element_id]
    past = (utcnow() - timedelta(seconds=1)).isoformat()
    for task in waiting:
        value = spiff_adapter.internal_value(task, "event_value")
        if isinstance(value, dict):
            value["next"] = past
        else:
            spiff_adapter.set_internal_values(task, event_value=past)
    if waiting:
        workflow.refresh_timers()
        _run_engine(workflow)
    return bool(waiting)


def waiting_timers(workflow: BpmnWorkflow) -> list[dict]:
    """The timer events the instance waits at: element id, name and due time (ISO, UTC)."""
    return [
        {
            "element_id": spec.bpmn_id,
            "name": spec.bpmn_name or spec.bpmn_id,
            "due_at": due.isoformat() if (due := _timer_due(task)) else None,
        }
        for task, spec in _waiting_timers(workflow)
    ]


def path(workflow: BpmnWorkflow) -> dict:
    """Where the instance has been and is, by element id, for a diagram's overlays: ``done``
    (passed at least once and not waiting there now), ``waiting`` (open user tasks, waiting
    catch events) and ``incident`` (failed steps)."""

    def ids(tasks):
        return {task.task_spec.bpmn_id for task in tasks if task.task_spec.bpmn_id}

    incident_ids = ids(workflow.get_tasks(state=TaskState.ERROR))
    waiting = ids(_ready_user_tasks(workflow)) | ids(
        task for task in workflow.event_manager.tasks.values() if task.state == TaskState.WAITING
    )
    done = ids(workflow.get_tasks(state=TaskState.COMPLETED)) - waiting - incident_ids
    return {"done": sorted(done), "waiting": sorted(waiting), "incident": sorted(incident_ids)}


def waiting_messages(workflow: BpmnWorkflow) -> list[str]:
    """Names of the messages the instance waits for now."""
    return [
        definition.name
        for task in workflow.event_manager.tasks.values()
        for _, definition in bpmn_events.awaited(task.task_spec)
        if isinstance(definition, MessageEventDefinition)
    ]


def caught_messages(diagram: ParsedDiagram) -> set[str]:
    """Names of every message the process can ever wait for: its catch events, receive
    tasks and boundary events, in the process and in its subprocesses."""
    return {
        definition.name
        for process_spec in (diagram.spec, *diagram.subprocess_specs.values())
        for spec in process_spec.task_specs.values()
        if isinstance(spec, CatchingEvent)
        for _, definition in bpmn_events.awaited(spec)
        if isinstance(definition, MessageEventDefinition)
    }


def deliver_message(workflow: BpmnWorkflow, name: str, data, correlations: dict | None = None):
    """Hand a message to the catch event waiting for it and run on. Returns the catching
    element's id, None when nothing waits for it (by name, and by spiff-arena's correlation
    keys when the message and the instance both have them). The message's data lands in the
    process data under the message's name (spiff-arena: under its `messageVariable` when it
    names one)."""
    caught = _catching(workflow, name, data, correlations)
    if caught is None:
        return None
    element_id, event = caught
    workflow.catch(event)
    _run_engine(workflow)
    return element_id


def catches(workflow: BpmnWorkflow, name: str, correlations: dict | None = None) -> bool:
    """Whether the instance waits for the message ``name`` with these correlation keys."""
    return _catching(workflow, name, {}, correlations) is not None


def _catching(workflow, name, data, correlations):
    """``(catching element id, the event to catch)`` for a message, or None."""
    for task in list(workflow.event_manager.tasks.values()):
        for spec, definition in bpmn_events.awaited(task.task_spec):
            if not isinstance(definition, MessageEventDefinition) or definition.name != name:
                continue
            event = BpmnEvent(definition, _message_payload(definition, name, data), correlations or {})
            if definition.catches(task, event):
                return spec.bpmn_id, event
    return None


def thrown_messages(workflow: BpmnWorkflow) -> list[dict]:
    """The messages the instance threw that nothing in it caught, since the last call: each
    ``{name, data, correlations}`` (JSON-safe), for the hall to deliver to other instances.
    A Camunda message without ``camunda:expression`` carries the process data."""
    thrown = []
    for event in workflow.get_events():
        definition = event.event_definition
        if getattr(definition, "hall_process_data", False):
            data = workflow_data(workflow)  # as the step leaves it
        elif isinstance(definition, CamundaMessageEventDefinition):
            data = event.payload["payload"]
        else:
            data = event.payload
        if isinstance(definition, MessageEventDefinition):
            thrown.append({"name": definition.name, "data": data, "correlations": event.correlations})
    return json.loads(json.dumps(thrown, cls=_ENCODER))


def start_by_message(diagram: ParsedDiagram, data: dict, message: dict, script_engine=None):
    """Start an instance of ``diagram`` with ``data`` and hand it ``message`` (``{name, data,
    correlations}``) at its message start event. None when its start does not catch it."""
    if message["name"] not in message_starts(diagram):
        return None
    workflow = start(diagram, data, script_engine)
    deliver_message(workflow, message["name"], message["data"], message.get("correlations"))
    return workflow


def _message_payload(definition, name, data):
    """The payload the definition's own `update_task_data` puts where the process expects it."""
    if isinstance(definition, CamundaMessageEventDefinition):
        return {"payload": data, "result_var": name}
    if getattr(definition, "message_var", None):  # spiff-arena's messageVariable
        return data
    return {name: data}


def end_event(workflow: BpmnWorkflow):
    """The id of the end event a finished top-level process reached, else None."""
    if not workflow.is_completed():
        return None
    ends = _ends_reached(workflow)
    return ends[-1].task_spec.bpmn_id if ends else None


def _ends_reached(workflow):
    """The top-level end events reached, the last one reached last: several are when a branch
    (a parallel path, a non-interrupting boundary event) ended before the main path; the task
    tree's order is not the order reached."""
    ends = [
        task
        for task in workflow.get_tasks(state=TaskState.COMPLETED, spec_class=EndEvent)
        if bpmn_events.ends_the_process(task, workflow)
    ]
    return sorted(ends, key=lambda task: task.last_state_change)


def outcome(workflow: BpmnWorkflow):
    """How a finished process ended, in words: its end event's outcome label (the property
    ``outcome``), else the end event's name, else `DEFAULT_OUTCOME`; None while it runs."""
    if not workflow.is_completed():
        return None
    ends = _ends_reached(workflow)
    return getattr(ends[-1].task_spec, "hall_outcome", DEFAULT_OUTCOME) if ends else DEFAULT_OUTCOME


def current_steps(workflow: BpmnWorkflow) -> list[str]:
    """What the case waits for, in words: open user tasks, then waiting catch events, by
    name (an element the designer left unnamed by what it is, never by its id)."""
    names = [task.task_spec.bpmn_name or _UNNAMED_TASK for task in _ready_user_tasks(workflow)]
    names += [
        task.task_spec.bpmn_name or _unnamed_step(task.task_spec)
        for task in workflow.event_manager.tasks.values()
        if task.state == TaskState.WAITING
    ]
    return names


def _unnamed_step(task_spec):
    kind = type(getattr(task_spec, "event_definition", None)).__name__.lower()
    return next((words for word, words in _UNNAMED_STEPS if word in kind), _UNNAMED_STEP)


def dump_state(workflow: BpmnWorkflow) -> str:
    """The instance state as compact JSON, without the definition (see the module docstring)."""
    state = json.loads(_serializer(workflow.spec).serialize_json(workflow))
    for key in _DEFINITION_KEYS:
        del state[key]
    text = json.dumps(state, ensure_ascii=False, separators=(",", ":"))
    if len(text) > MAX_STATE_BYTES // 4 and len(text.encode("utf-8")) > MAX_STATE_BYTES:
        raise StateTooLarge(f"the step would make the case's stored state larger than {MAX_STATE_BYTES} bytes")
    return text


def load_state(diagram: ParsedDiagram, state: str, script_engine=None) -> BpmnWorkflow:
    """Restore an instance saved by `dump_state` on the diagram version it was started with.

    The cached specs are put back where the serializer expects the definition (it passes
    objects it does not recognise through unchanged). The script engine is not part of the
    state, so it is attached again here."""
    serializer = _serializer(diagram.spec)
    serialized = json.loads(state)
    serializer.migrate(serialized)
    serialized.update(spec=diagram.spec, subprocess_specs=diagram.subprocess_specs)
    workflow = serializer.from_dict(serialized)
    workflow.script_engine = script_engine or SANDBOX
    return workflow


def _serializer(process_spec):
    """The serializer for the diagram's flavour, set on the cached spec at parse time (the
    spec itself is never stored, so the attribute never reaches the store)."""
    return getattr(process_spec, "hall_serializer", _SERIALIZER)


def open_user_tasks(workflow: BpmnWorkflow, excluding=frozenset()) -> list[dict]:
    """The READY user tasks (but those whose ids are in ``excluding``) as plain dicts, ready
    for a work list and for storing beside the state."""
    return [_describe(task) for task in _ready_user_tasks(workflow) if str(task.id) not in excluding]


def open_task_ids(workflow: BpmnWorkflow) -> set[str]:
    return {str(task.id) for task in _ready_user_tasks(workflow)}


def _ready_user_tasks(workflow):
    return workflow.get_tasks(state=TaskState.READY, manual=True, spec_class=AnyUserTask)


def _describe(task):
    spec = task.task_spec
    role, department = drawn_role(spec)
    assignee = _assignee(task)
    return {
        "id": str(task.id),
        "element_id": spec.bpmn_id,
        "name": spec.bpmn_name or _UNNAMED_TASK,
        "role": role,
        "department": department,
        "candidate_groups": list(spec.extensions["candidateGroups"]),
        "assignee": assignee,
        # A task without a role is for the people it names (`camunda:candidateUsers`, assignee).
        "candidate_users": [] if role else _candidate_users(task, assignee),
        "separate_from": separate_from(spec),
        "on_the_spot_role": task_property(spec, ON_THE_SPOT) if task.data.get(ON_THE_SPOT) is True else None,
        "due": _due(task),
        "instructions": _instructions(task),
        "form": [_form_field(form_field) for form_field in spec.form.fields],
    }


def drawn_role(task_spec):
    """The role and department (None: the case's) a user task is drawn for: its lane, else
    its first candidate group, written ``role`` or ``role:department``; ``""`` when it names
    people instead."""
    groups = task_spec.extensions["candidateGroups"]
    role, _, department = (task_spec.lane or (groups or [""])[0]).partition(":")
    return role, department or None


def diagram_roles(diagram: ParsedDiagram) -> list[str]:
    """Every role the diagram's user tasks are drawn for (lanes, candidate groups), sorted."""
    return sorted(
        {
            drawn_role(spec)[0]
            for process_spec in (diagram.spec, *diagram.subprocess_specs.values())
            for spec in process_spec.task_specs.values()
            if isinstance(spec, AnyUserTask)
        }
        - {""}
    )


def _due(task):
    """The task's `camunda:dueDate`, an expression over the case data giving an ISO instant;
    None when absent or when it cannot be evaluated (a due date never stops the work)."""
    expression = task.task_spec.extensions.get("dueDate")
    if not expression:
        return None
    try:
        return str(task.workflow.script_engine.evaluate(task, expression))
    except Exception:  # noqa: BLE001 -- a bad due date leaves the task without one
        return None


_PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.S)


def _instructions(task):
    """spiff-arena's `instructionsForEndUser`, else the element's `bpmn:documentation` (where
    Camunda Modeler keeps a task's "Element documentation"), each `{{ expression }}` replaced
    by its value over the task's data, evaluated in the sandbox (a placeholder that fails stays
    as written, so the person still reads the rest); None when the task has neither."""
    text = task.task_spec.extensions.get("instructionsForEndUser") or task.task_spec.documentation
    if not text or not text.strip():
        return None

    def value(match):
        try:
            return str(task.workflow.script_engine.evaluate(task, match.group(1).strip()))
        except Exception:  # noqa: BLE001 -- instructions never stop the work
            return match.group(0)

    return _PLACEHOLDER.sub(value, text.strip())


def _assignee(task):
    """`camunda:assignee`: a username, or `${variable}` naming one in the case data."""
    names = _user_names(task, task.task_spec.extensions.get("assignee"))
    return names[0] if names else None


def _candidate_users(task, assignee):
    """`camunda:candidateUsers` (usernames, or `${variable}` naming one or a list of them in
    the case data) and the assignee: who may work on a task that names people, not a role."""
    names = [name for entry in task.task_spec.extensions.get("candidateUsers", ()) for name in _user_names(task, entry)]
    return sorted({*names, *([assignee] if assignee else [])})


def _user_names(task, expression):
    if not expression:
        return []
    variable = _JUEL_VARIABLE.match(expression)
    if variable is None:
        return [expression]
    value = task.data.get(variable.group(1))
    values = value if isinstance(value, list) else [value]
    return [name for name in values if isinstance(name, str) and name]


def _form_field(form_field):
    """The field as tasks carry it (``forms.describe_field``); ValueError for what the
    platform cannot honour. Camunda writes a constraint without config as ``config=None``."""
    options = form_field.options if isinstance(form_field, EnumFormField) else ()
    return describe_field(
        form_field.id,
        form_field.label,
        form_field.type,
        form_field.default_value,
        [(rule.name, rule.config) for rule in form_field.validation],
        [(option.id, option.name) for option in options],
    )


def complete_task(workflow: BpmnWorkflow, task_id: str, data: dict) -> None:
    """Complete an open user task with the submitted `data` and run on to the next wait state.

    Checks first and touches nothing when the task is not open, so a repeated or stale
    request (two clerks, a retried message) is refused instead of advancing the case twice.
    A step that fails after the task leaves the instance in an incident (see `incident`)."""
    wanted = _as_uuid(task_id)
    task = next((t for t in _ready_user_tasks(workflow) if t.id == wanted), None)
    if task is None:
        raise TaskNotReady(task_id)
    task.set_data(**data)
    task.run()
    _run_engine(workflow)


def _as_uuid(task_id):
    try:
        return UUID(str(task_id))
    except ValueError:
        return None


def move_deadline(workflow: BpmnWorkflow, deadline: str) -> bool:
    """The case's deadline moved (an approved extension): the ready tasks that carry the
    flow's `deadline` (set at acceptance, the usual `camunda:dueDate`) carry the new one, and
    so do the tasks that follow them. Returns whether anything changed."""
    moved = False
    for task in _ready_user_tasks(workflow):
        if "deadline" in task.data and task.data["deadline"] != deadline:
            task.data["deadline"] = deadline
            moved = True
    return moved


def is_completed(workflow: BpmnWorkflow) -> bool:
    return workflow.is_completed()


def workflow_data(workflow: BpmnWorkflow) -> dict:
    """The case data as JSON-safe values (datetimes and the like in the serializer's form).

    A finished workflow holds the final data; a running one is read from its last completed
    task, which carries everything submitted so far on that path (one held at its start, from
    the data it started with)."""
    data = workflow.data if workflow.is_completed() else (workflow.last_task or workflow.task_tree).data
    return json.loads(json.dumps(data, cls=_ENCODER))
