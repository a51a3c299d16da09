"""Offline checks of the deployment files: Dockerfile, docker-compose.yml,
monitoring/prometheus.yml and k8s/.

No Docker engine or cluster runs on the development and CI machines, so these
files are validated against their published schemas instead:

* docker-compose.yml -- the Compose specification's JSON schema, vendored in
  check-jsonschema (``--builtin-schema vendor.compose-spec``);
* k8s/ -- every manifest of the base and of the rendered overlays against the
  Kubernetes 1.30 OpenAPI schemas of kubernetes-validate (strict: unknown fields are
  errors). The operators' custom resources have no schema there: they are listed in
  CUSTOM_RESOURCES, skipped by that check and held to structural checks below;
* monitoring/prometheus.yml -- ``promtool check config``.

And against the code: the services are discovered from ``services/<name>/service.py``,
the settings from ``services.common.config.DEFAULTS`` and the environment reads of the
code, the probe paths from the gateway's URL map, so that a new service, setting or
port fails here until it is deployed everywhere.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from services.common import SERVICES as PLATFORM_SERVICES
from services.common.config import DEFAULTS, load_settings

REPO = Path(__file__).resolve().parents[3]
COMPOSE_FILE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "Dockerfile"
PROMETHEUS_FILE = REPO / "monitoring" / "prometheus.yml"
K8S_DIR = REPO / "k8s"
K8S_BASE = K8S_DIR / "base"
OVERLAYS = sorted(p.parent for p in (K8S_DIR / "overlays").glob("*/kustomization.yaml"))
KUBERNETES_VERSION = "1.30.0"
# Installed next to the interpreter running the tests (a test dependency in pyproject.toml).
CHECK_JSONSCHEMA = Path(sys.executable).parent / "check-jsonschema"
METRICS_PORT = 9100
GATEWAY_PORT = 8080

# Custom resources of the operators the platform relies on: kubernetes-validate has no
# schema for them, so they are skipped by the schema check, on purpose.
CUSTOM_RESOURCES = {
    ("rabbitmq.com/v1beta1", "RabbitmqCluster"): "RabbitMQ Cluster Operator",
    ("mongodbcommunity.mongodb.com/v1", "MongoDBCommunity"): "MongoDB Community Operator",
}

# Settings of services/common/config.py that production leaves at their default, and why.
DELIBERATELY_DEFAULTED = {
    "DEMO_PASSWORD": "demo users never exist in production (APP_ENV=production)",
}
# Settings that carry secrets: never a literal value in compose or k8s.
SECRET_SETTINGS = {"TOKEN_SECRET", "BANK_SECRETS", "AMQP_URI", "MONGO_URI"}
ENVIRONMENT_READ = re.compile(
    r"""(?:os\.environ\.get|os\.getenv|os\.environ\[|environ\.get)\(?\s*["']([A-Za-z_][A-Za-z0-9_]*)["']"""
)


def discover_services():
    """Names of the nameko service packages: services/<name>/service.py, except common."""
    return sorted(path.parent.name for path in (REPO / "services").glob("*/service.py") if path.parent.name != "common")


SERVICES = discover_services()
COMPONENTS = [*SERVICES, "gateway"]


def load_compose():
    return yaml.safe_load(COMPOSE_FILE.read_text())


def k8s_manifest_files():
    """Every manifest of the base except its kustomization."""
    return sorted(p for p in K8S_BASE.glob("*.yaml") if p.name != "kustomization.yaml")


def k8s_documents():
    docs = []
    for path in k8s_manifest_files():
        docs.extend(doc for doc in yaml.safe_load_all(path.read_text()) if doc)
    return docs


def k8s_objects(kind):
    return {doc["metadata"]["name"]: doc for doc in k8s_documents() if doc["kind"] == kind}


def is_custom_resource(doc):
    return (doc["apiVersion"], doc["kind"]) in CUSTOM_RESOURCES


def environment_of(compose_service):
    """A compose service's environment as a dict (mapping or KEY=VALUE list form).
    YAML anchors and merge keys are already resolved by the loader."""
    env = compose_service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return env


def platform_compose_services(compose):
    """The services built from this repository's Dockerfile (gateway and nameko services)."""
    return {name: svc for name, svc in compose["services"].items() if "build" in svc}


def interpolate(value, variables):
    """What `docker compose` makes of ``${NAME:?message}``, ``${NAME:-default}``, ``${NAME}``."""

    def substitute(match):
        name, operator, rest = match.group(1), match.group(2), match.group(3)
        if name in variables:
            return variables[name]
        if operator == ":-":
            return rest
        raise KeyError(f"${{{name}}} is required")

    return re.sub(r"\$\{([A-Z_]+)(?:(:\?|:-)([^}]*))?\}", substitute, str(value))


def container_environment(deployment):
    """What a Deployment's first container is told: its ConfigMaps, then its own env
    (secret references stand for a placeholder secret)."""
    configmaps = k8s_objects("ConfigMap")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    env = {}
    for source in container.get("envFrom", []):
        env.update(configmaps[source["configMapRef"]["name"]]["data"])
    for item in container.get("env", []):
        env[item["name"]] = item.get("value", "placeholder-secret-0123456789")
    return env


def run_check_jsonschema(path):
    assert CHECK_JSONSCHEMA.exists(), f"check-jsonschema not installed next to {sys.executable}"
    return subprocess.run(
        [str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.compose-spec", str(path)],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )


def kustomize(directory):
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.fail("kubectl is missing (it renders the kustomize overlays)")
    result = subprocess.run(
        [kubectl, "kustomize", str(directory)], check=False, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def validate_k8s(doc, where):
    import kubernetes_validate

    try:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as error:
        pytest.fail(f"{where}: {error.message} at {'/'.join(map(str, error.path))}")
    except kubernetes_validate.SchemaNotFoundError as error:
        pytest.fail(f"{where}: {error.message}")


# --- what the code needs -----------------------------------------------------------------


def test_services_are_discovered_and_are_the_platforms_list():
    assert SERVICES, "no services/<name>/service.py found: discovery is broken"
    assert sorted(PLATFORM_SERVICES) == SERVICES


def code_environment_reads():
    names = set()
    for path in [*(REPO / "services").rglob("*.py"), *(REPO / "gateway").rglob("*.py")]:
        names.update(ENVIRONMENT_READ.findall(path.read_text()))
    return names


def test_the_code_reads_the_environment_only_through_the_config_loader():
    """Any other environment read would escape the coverage checks below."""
    assert code_environment_reads() <= set(DEFAULTS), sorted(code_environment_reads() - set(DEFAULTS))


def test_the_environment_scan_finds_reads(tmp_path):
    """Proves the scan above can see a read: the patterns match the usual spellings."""
    sample = 'os.environ.get("A_KEY")\nos.getenv(\'B_KEY\', 1)\nos.environ["C_KEY"]\n'
    assert set(ENVIRONMENT_READ.findall(sample)) == {"A_KEY", "B_KEY", "C_KEY"}


# Read by the loader itself for every process: the mode, and the token secret it
# refuses to take at its public default in production.
LOADER_SETTINGS = {"APP_ENV", "TOKEN_SECRET"}


def settings_named_in(paths):
    names = set()
    for path in paths:
        names.update(re.findall(r"""["']([A-Z][A-Z0-9_]+)["']""", path.read_text()))
    return names & set(DEFAULTS)


def required_settings(component):
    """The settings a component's code reads by name, and those of the loader."""
    if component == "gateway":
        paths = (REPO / "gateway").rglob("*.py")
    else:
        paths = (p for p in (REPO / "services").rglob("*.py") if p.name != "config.py")
    return (settings_named_in(paths) | LOADER_SETTINGS) - set(DELIBERATELY_DEFAULTED)


def test_every_setting_is_read_by_a_component_or_only_by_the_embedded_stack():
    read = required_settings("gateway") | required_settings("intake") | set(DELIBERATELY_DEFAULTED)
    assert set(DEFAULTS) - read <= {"GATEWAY_PORT"}, "a setting nobody reads: remove it or read it"
    # The gateway keeps API keys in its own database; the BPMN files are the approval's.
    assert {"BANK_SECRETS", "MONGO_URI", "BPMN_DIR"} & required_settings("gateway") == {"BANK_SECRETS", "MONGO_URI"}


def test_deliberately_defaulted_settings_exist():
    assert set(DELIBERATELY_DEFAULTED) <= set(DEFAULTS)


# --- docker-compose.yml ------------------------------------------------------------------


def test_compose_file_validates_against_compose_spec():
    result = run_check_jsonschema(COMPOSE_FILE)
    assert result.returncode == 0, f"compose schema validation failed:\n{result.stdout}\n{result.stderr}"


def test_compose_schema_validation_catches_errors(tmp_path):
    """Proves the check above can fail: `ports` must be a list, not a number."""
    compose = load_compose()
    compose["services"]["gateway"]["ports"] = 8080
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(yaml.safe_dump(compose, sort_keys=False))

    result = run_check_jsonschema(broken)

    output = result.stdout + result.stderr
    assert result.returncode != 0, f"a broken compose file passed validation:\n{output}"
    assert "ports" in output, output


@pytest.mark.parametrize("name", SERVICES)
def test_service_runs_in_compose_with_two_replicas_and_a_health_check(name):
    compose = load_compose()
    assert name in compose["services"], f"docker-compose.yml has no service {name!r}"
    service = compose["services"][name]
    assert "build" in service, f"compose service {name!r} is not built from the Dockerfile"
    assert service["command"] == ["python", "-m", "services.common.runner", f"services.{name}.service"]
    assert service["deploy"]["replicas"] >= 2
    assert "container_name" not in service, "a fixed container name forbids replicas"
    # The image's HEALTHCHECK probes the gateway's /healthz: a service must override it.
    healthcheck = " ".join(service.get("healthcheck", {}).get("test", []))
    assert str(METRICS_PORT) in healthcheck, f"{name}: healthcheck must probe the metrics port"
    assert str(METRICS_PORT) in [str(p) for p in service["expose"]]


@pytest.mark.parametrize("name", COMPONENTS)
def test_compose_sets_every_setting_the_code_reads(name):
    env = environment_of(load_compose()["services"][name])
    missing = required_settings(name) - set(env)
    assert not missing, f"compose service {name!r} leaves {sorted(missing)} at the demo default"
    assert not set(DELIBERATELY_DEFAULTED) & set(env), name


@pytest.mark.parametrize("name", COMPONENTS)
def test_compose_environment_starts_the_config_loader_in_production(name):
    variables = {"RABBITMQ_PASSWORD": "0f" * 12, "TOKEN_SECRET": "a" * 64, "BANK_SECRETS": "bank:" + "b" * 32}
    env = {
        key: interpolate(value, variables) for key, value in environment_of(load_compose()["services"][name]).items()
    }
    settings = load_settings(environ=env)
    assert settings["APP_ENV"] == "production"
    assert settings["METRICS_PORT"] == METRICS_PORT


def test_compose_secrets_come_from_the_environment():
    """No secret is baked into the compose file: they are required variables."""
    compose = load_compose()
    for name, service in platform_compose_services(compose).items():
        env = environment_of(service)
        for key in SECRET_SETTINGS & set(env) - {"MONGO_URI"}:
            assert "${" in env[key], f"{name}: {key} is a literal"
        assert "${RABBITMQ_PASSWORD:?" in env["AMQP_URI"], name
        assert env["TOKEN_SECRET"].startswith("${TOKEN_SECRET:?"), name
    assert environment_of(compose["services"]["gateway"])["BANK_SECRETS"].startswith("${BANK_SECRETS:?")
    rabbit_env = environment_of(compose["services"]["rabbitmq"])
    assert rabbit_env["RABBITMQ_DEFAULT_PASS"].startswith("${RABBITMQ_PASSWORD:?")
    grafana_env = environment_of(compose["services"]["grafana"])
    assert grafana_env["GF_SECURITY_ADMIN_PASSWORD"].startswith("${GRAFANA_ADMIN_PASSWORD:?")


def test_compose_gateway_port_health_and_dependencies():
    compose = load_compose()
    gateway = compose["services"]["gateway"]
    assert gateway["ports"] == ["${GATEWAY_PORT:-8080}:8080"]
    assert "command" not in gateway, "the gateway runs the image's default CMD"
    for name in SERVICES:
        assert gateway["depends_on"][name]["condition"] == "service_healthy"
    for name in COMPONENTS:
        for backend in ("rabbitmq", "mongo"):
            assert compose["services"][name]["depends_on"][backend]["condition"] == "service_healthy", (name, backend)
    for name in ("rabbitmq", "mongo", "prometheus", "grafana"):
        assert compose["services"][name]["healthcheck"]["test"], name


def test_compose_broker_has_quorum_queues_and_the_management_ui():
    compose = load_compose()
    rabbitmq = compose["services"]["rabbitmq"]
    assert rabbitmq["image"].endswith("-management")
    assert "127.0.0.1:15672:15672" in rabbitmq["ports"]
    (config,) = rabbitmq["configs"]
    assert config["target"].startswith("/etc/rabbitmq/conf.d/")
    assert "default_queue_type = quorum" in compose["configs"][config["source"]]["content"].splitlines()


def test_compose_store_is_a_replica_set_initialised_by_the_file_itself():
    mongo = load_compose()["services"]["mongo"]
    assert mongo["command"][mongo["command"].index("--replSet") + 1] == "rs0"
    assert "rs.initiate" in " ".join(mongo["healthcheck"]["test"])
    assert "replicaSet=rs0" in environment_of(load_compose()["services"]["intake"])["MONGO_URI"]
    assert "ports" not in mongo, "the store is never published"


def test_compose_broker_and_store_are_on_an_internal_network():
    compose = load_compose()
    assert compose["networks"]["backend"]["internal"] is True
    assert compose["services"]["mongo"]["networks"] == ["backend"]
    for name in SERVICES:
        assert compose["services"][name]["networks"] == ["backend"], name


def test_compose_prometheus_has_the_rules_and_grafana_the_dashboards():
    compose = load_compose()
    volumes = compose["services"]["prometheus"]["volumes"]
    assert "./monitoring/rules:/etc/prometheus/rules:ro" in volumes
    assert "./monitoring/prometheus.yml:/etc/prometheus/prometheus.yml:ro" in volumes
    grafana = compose["services"]["grafana"]
    mount = next(v for v in grafana["volumes"] if v.startswith("./monitoring/grafana:"))
    dashboards_path = mount.split(":")[1]
    assert list((REPO / "monitoring" / "grafana").glob("*.json")), "no dashboards to provision"
    provisioned = {c["target"]: yaml.safe_load(compose["configs"][c["source"]]["content"]) for c in grafana["configs"]}
    providers = provisioned["/etc/grafana/provisioning/dashboards/hall.yaml"]["providers"]
    assert [p["options"]["path"] for p in providers] == [dashboards_path]
    (datasource,) = provisioned["/etc/grafana/provisioning/datasources/hall.yaml"]["datasources"]
    assert datasource["type"] == "prometheus" and datasource["url"] == "http://prometheus:9090"


# --- Dockerfile --------------------------------------------------------------------------


def dockerfile_instructions():
    """(instruction, arguments) per logical line, continuation lines joined."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    return [
        tuple(line.split(None, 1)) for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]


def test_dockerfile_is_multi_stage_non_root_pinned_with_a_health_check():
    instructions = dockerfile_instructions()
    stages = [args for op, args in instructions if op == "FROM"]
    assert len(stages) >= 2 and any(" AS builder" in s for s in stages)
    assert "ARG PYTHON_IMAGE=python:3.11-slim-bookworm" in DOCKERFILE.read_text()
    assert ("USER", "10001:10001") in instructions
    assert any(op == "HEALTHCHECK" and "/healthz" in args for op, args in instructions)


def test_dockerfile_builds_the_front_end_when_there_is_one():
    packages = [p for p in REPO.glob("*/package.json") if "node_modules" not in p.parts]
    text = DOCKERFILE.read_text()
    for package in packages:
        folder = package.parent.name
        assert f"COPY {folder}/package.json" in text and "npm ci" in text, (
            f"{folder}/package.json exists: build its assets in a node stage of the Dockerfile"
        )


def test_dockerfile_copy_sources_exist():
    """`docker build` fails on a COPY whose source is missing (git keeps no empty dirs)."""
    sources = []
    for op, args in dockerfile_instructions():
        parts = args.split()
        if op == "COPY" and not any(p.startswith("--from") for p in parts):
            sources.extend(p for p in parts[:-1] if not p.startswith("--"))
    assert sources
    for source in sources:
        path = REPO / source
        assert path.exists() and (path.is_file() or any(path.iterdir())), f"COPY source {source} missing or empty"


def test_the_image_holds_every_data_directory_the_settings_name():
    copied = {
        args.split()[-1].rstrip("/") for op, args in dockerfile_instructions() if op == "COPY" and "--from" not in args
    }
    env = container_environment(k8s_objects("Deployment")["intake"])
    for key in ("BPMN_DIR", "CATALOG_DIR", "QUEUE_SETUP_FILE", "HALL_CALENDAR_FILE"):
        relative = Path(env[key]).relative_to("/app")
        assert relative.parts[0] in copied, f"{key}={env[key]} is not in the image"
        assert (REPO / relative).exists(), f"{key}: {relative} is not in the repository"


# --- ports and probes --------------------------------------------------------------------


def gunicorn_bind_port(command):
    return int(command[command.index("--bind") + 1].rsplit(":", 1)[1])


def test_every_port_the_code_listens_on_is_declared():
    text = DOCKERFILE.read_text()
    cmd = next(args for op, args in dockerfile_instructions() if op == "CMD")
    image_command = yaml.safe_load(cmd)
    assert gunicorn_bind_port(image_command) == GATEWAY_PORT
    assert re.search(rf"^EXPOSE .*\b{GATEWAY_PORT}\b.*\b{METRICS_PORT}\b", text, re.M)
    deployments, services = k8s_objects("Deployment"), k8s_objects("Service")
    gateway = deployments["gateway"]["spec"]["template"]["spec"]["containers"][0]
    assert gateway["command"] == image_command
    assert [p["containerPort"] for p in gateway["ports"]] == [GATEWAY_PORT]
    assert services["gateway"]["spec"]["ports"][0]["port"] == GATEWAY_PORT
    for name in SERVICES:
        deployment = deployments[name]
        assert int(container_environment(deployment)["METRICS_PORT"]) == METRICS_PORT
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert [p["containerPort"] for p in container["ports"]] == [METRICS_PORT], name
        assert services[name]["spec"]["ports"][0]["port"] == METRICS_PORT, name
        assert deployment["spec"]["template"]["metadata"]["annotations"]["prometheus.io/port"] == str(METRICS_PORT)
    assert deployments["gateway"]["spec"]["template"]["metadata"]["annotations"]["prometheus.io/port"] == str(
        GATEWAY_PORT
    )


def test_every_http_probe_path_exists_in_the_gateway():
    from gateway import create_app

    app = create_app({"TESTING": True, "RPC_CLIENT": object(), "TOKEN_SECRET": "x" * 32})
    routes = {rule.rule for rule in app.url_map.iter_rules()}
    probes = []
    for name, deployment in k8s_objects("Deployment").items():
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            for kind in ("startupProbe", "readinessProbe", "livenessProbe"):
                if "httpGet" in container.get(kind, {}):
                    probes.append(container[kind]["httpGet"]["path"])
    healthcheck = next(args for op, args in dockerfile_instructions() if op == "HEALTHCHECK")
    probes += re.findall(r"127\.0\.0\.1:8080(/[a-z]+)", healthcheck)
    assert {"/healthz", "/readyz"} <= set(probes)
    assert set(probes) <= routes, sorted(set(probes) - routes)


# --- monitoring/prometheus.yml -----------------------------------------------------------


def test_prometheus_scrapes_the_gateway_and_every_replica_of_every_service():
    config = yaml.safe_load(PROMETHEUS_FILE.read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert jobs["gateway"]["static_configs"][0]["targets"] == [f"gateway:{GATEWAY_PORT}"]
    (discovery,) = jobs["services"]["dns_sd_configs"]
    assert discovery["type"] == "A" and discovery["port"] == METRICS_PORT
    assert sorted(discovery["names"]) == SERVICES
    assert {"source_labels": ["__meta_dns_name"], "target_label": "service"} in jobs["services"]["relabel_configs"]


def test_prometheus_config_passes_promtool():
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool is missing: scripts/install.sh installs Debian's `prometheus` package")
    result = subprocess.run(
        [promtool, "check", "config", str(PROMETHEUS_FILE)],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --- k8s/ --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", k8s_manifest_files(), ids=lambda p: p.name)
def test_k8s_manifest_passes_kubernetes_validate(path):
    documents = [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    assert documents, f"{path.name} holds no manifest"
    for doc in documents:
        if not is_custom_resource(doc):
            validate_k8s(doc, f"{path.name}: {doc.get('kind')}/{doc.get('metadata', {}).get('name')}")


@pytest.mark.parametrize("overlay", [K8S_DIR, *OVERLAYS], ids=lambda p: p.name)
def test_kustomize_renders_valid_manifests(overlay):
    documents = kustomize(overlay)
    kinds = [doc["kind"] for doc in documents]
    assert kinds.count("Deployment") == len(COMPONENTS)
    assert all(doc["metadata"].get("namespace") == "hall" for doc in documents if doc["kind"] != "Namespace")
    for doc in documents:
        if not is_custom_resource(doc):
            validate_k8s(doc, f"{overlay.name}: {doc['kind']}/{doc['metadata']['name']}")
    for hpa in (doc for doc in documents if doc["kind"] == "HorizontalPodAutoscaler"):
        assert 2 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"], hpa["metadata"]["name"]


def test_custom_resources_are_only_the_listed_ones_and_well_formed():
    """The resources the schema check skips, listed; their essential fields checked here."""
    custom = [doc for doc in k8s_documents() if is_custom_resource(doc)]
    assert {(doc["apiVersion"], doc["kind"]) for doc in custom} == set(CUSTOM_RESOURCES)
    known = {f"{doc['apiVersion']}/{doc['kind']}" for doc in k8s_documents() if not is_custom_resource(doc)}
    assert all(not kind.startswith(("rabbitmq.com", "mongodb")) for kind in known)
    rabbitmq = k8s_objects("RabbitmqCluster")["rabbitmq"]["spec"]
    assert rabbitmq["replicas"] == 3
    assert "default_queue_type = quorum" in rabbitmq["rabbitmq"]["additionalConfig"].splitlines()
    mongo = k8s_objects("MongoDBCommunity")["mongo"]["spec"]
    assert mongo["members"] == 3 and mongo["type"] == "ReplicaSet"
    assert mongo["security"]["authentication"]["modes"] == ["SCRAM"]
    (user,) = mongo["users"]
    # the services' databases and the gateway's own (API keys, staff accounts)
    assert {role["db"] for role in user["roles"]} == {f"hall_{name}" for name in [*SERVICES, "gateway"]}


def test_kubernetes_validate_catches_errors():
    """Proves the check above can fail: wrong type and an unknown field (strict)."""
    import kubernetes_validate

    deployment = k8s_objects("Deployment")["gateway"]
    for mutate in (
        lambda d: d["spec"].__setitem__("replicas", "two"),
        lambda d: d["spec"]["template"]["spec"]["containers"][0].__setitem__("readinesProbe", {}),
    ):
        broken = yaml.safe_load(yaml.safe_dump(deployment))
        mutate(broken)
        with pytest.raises(kubernetes_validate.ValidationError):
            kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def test_kustomization_lists_every_manifest():
    kustomization = yaml.safe_load((K8S_BASE / "kustomization.yaml").read_text())
    listed = set(kustomization["resources"])
    for name in listed:
        assert (K8S_BASE / name).is_file(), f"kustomization.yaml lists missing {name}"
    # Examples (the Secret the operator creates) are deliberately left out.
    expected = {p.name for p in k8s_manifest_files() if not p.name.endswith(".example.yaml")}
    assert listed == expected


@pytest.mark.parametrize("name", COMPONENTS)
def test_every_component_has_a_deployment_hpa_pdb_and_service(name):
    deployment = k8s_objects("Deployment")[name]
    assert deployment["spec"]["replicas"] >= 2
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    if name != "gateway":
        assert container["command"] == ["python", "-m", "services.common.runner", f"services.{name}.service"]
    assert container["readinessProbe"] and container["livenessProbe"], name
    hpa = k8s_objects("HorizontalPodAutoscaler")[name]["spec"]
    assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
    assert hpa["minReplicas"] >= 2
    pdb = k8s_objects("PodDisruptionBudget")[name]["spec"]
    assert pdb["selector"]["matchLabels"] == deployment["spec"]["selector"]["matchLabels"]
    assert k8s_objects("Service")[name]["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]


def test_a_crashed_process_is_restarted_and_a_dependency_outage_restarts_nothing():
    """As under make up (stack/supervisor.py): whatever exits is started again; a broker or
    store outage makes the gateway unready, never a restart of what rides through it."""
    for name, service in load_compose()["services"].items():
        assert service.get("restart") in ("always", "unless-stopped"), name
    for name, deployment in k8s_objects("Deployment").items():
        pod = deployment["spec"]["template"]["spec"]
        assert pod.get("restartPolicy", "Always") == "Always", name
        container = pod["containers"][0]
        if name == "gateway":
            assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
            assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        else:
            assert container["livenessProbe"]["tcpSocket"]["port"] == "metrics", name


def test_production_metrics_listen_where_prometheus_and_the_probes_reach_them():
    """Loopback is the default (make up); in a container or pod the metrics port is asked
    for on the container's own address."""
    assert load_settings(environ={})["METRICS_HOST"] == "127.0.0.1"
    assert environment_of(load_compose()["services"]["intake"])["METRICS_HOST"] == "0.0.0.0"
    assert k8s_objects("ConfigMap")["hall-config"]["data"]["METRICS_HOST"] == "0.0.0.0"


@pytest.mark.parametrize("name", COMPONENTS)
def test_k8s_sets_every_setting_the_code_reads_and_starts_in_production(name):
    env = container_environment(k8s_objects("Deployment")[name])
    missing = required_settings(name) - set(env)
    assert not missing, f"Deployment {name!r} leaves {sorted(missing)} at the demo default"
    assert not set(DELIBERATELY_DEFAULTED) & set(env), name
    config = k8s_objects("ConfigMap")["hall-config"]["data"]
    assert not SECRET_SETTINGS & set(config), "a secret in the ConfigMap"
    settings = load_settings(environ=env)
    assert settings["APP_ENV"] == "production"


def test_k8s_and_compose_agree_on_every_plain_setting():
    config = k8s_objects("ConfigMap")["hall-config"]["data"]
    compose_env = environment_of(load_compose()["services"]["intake"])
    for key, value in config.items():
        assert str(compose_env[key]) == value, key


def test_k8s_secrets_come_from_secrets():
    for name, deployment in k8s_objects("Deployment").items():
        env = {item["name"]: item for item in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
        for key in ("TOKEN_SECRET", "RABBITMQ_PASSWORD"):
            assert "secretKeyRef" in env[key]["valueFrom"], (name, key)
        assert "$(RABBITMQ_PASSWORD)" in env["AMQP_URI"]["value"], name
        if name != "gateway":
            assert "$(MONGO_PASSWORD)" in env["MONGO_URI"]["value"], name


def test_k8s_platform_pods_meet_the_restricted_pod_security_profile():
    for name, deployment in k8s_objects("Deployment").items():
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", name
        assert pod["automountServiceAccountToken"] is False, name
        for container in pod["containers"]:
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True, name
            assert security["allowPrivilegeEscalation"] is False, name
            assert security["capabilities"]["drop"] == ["ALL"], name
            assert container["resources"]["requests"] and container["resources"]["limits"], name


def test_only_the_gateway_is_reachable_from_outside():
    ingresses = k8s_objects("Ingress")
    backends = {
        path["backend"]["service"]["name"]
        for ingress in ingresses.values()
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    assert backends == {"gateway"}
    for service in k8s_objects("Service").values():
        assert service["spec"].get("type", "ClusterIP") == "ClusterIP", service["metadata"]["name"]
    policies = k8s_objects("NetworkPolicy")
    deny = policies["default-deny"]["spec"]
    assert deny["podSelector"] == {} and set(deny["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in deny and "egress" not in deny
    for name, policy in policies.items():
        for rule in policy["spec"].get("ingress", []):
            for peer in rule.get("from", []):
                namespace = peer.get("namespaceSelector", {}).get("matchLabels", {}).get("kubernetes.io/metadata.name")
                if namespace == "ingress-nginx":
                    assert policy["spec"]["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": "gateway"}}


def test_services_reach_only_the_broker_and_the_store():
    policy = k8s_objects("NetworkPolicy")["services"]["spec"]
    assert policy["podSelector"] == {"matchLabels": {"app.kubernetes.io/component": "service"}}
    assert policy["policyTypes"] == ["Egress"]
    reached = {
        (tuple(sorted(rule["to"][0]["podSelector"]["matchLabels"].items())), port["port"])
        for rule in policy["egress"]
        for port in rule["ports"]
    }
    assert reached == {((("app.kubernetes.io/name", "rabbitmq"),), 5672), ((("app", "mongo-svc"),), 27017)}
    for name in SERVICES:
        labels = k8s_objects("Deployment")[name]["spec"]["template"]["metadata"]["labels"]
        assert labels["app.kubernetes.io/component"] == "service", name
