"""Offline checks of the deployment files: Dockerfile, docker-compose.yml,
monitoring/prometheus.yml and k8s/.

No Docker engine or cluster runs on the development and CI machines, so these
files are validated against their published schemas instead:

* docker-compose.yml -- the Compose specification's JSON schema, vendored in
  check-jsonschema (``--builtin-schema vendor.compose-spec``);
* k8s/*.yaml -- the Kubernetes 1.30 OpenAPI schemas shipped inside the
  kubernetes-validate package (strict: unknown fields are errors);
* monitoring/prometheus.yml -- ``promtool check config`` where promtool is
  installed (Debian package ``prometheus``), plus structural checks here.

The list of services is discovered from the code (``services/<name>/service.py``),
so a new service fails these tests until it is deployed everywhere.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
COMPOSE_FILE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "Dockerfile"
PROMETHEUS_FILE = REPO / "monitoring" / "prometheus.yml"
K8S_DIR = REPO / "k8s"
KUBERNETES_VERSION = "1.30.0"
# Installed next to the interpreter running the tests (a test dependency in pyproject.toml).
CHECK_JSONSCHEMA = Path(sys.executable).parent / "check-jsonschema"
METRICS_PORT = 9100


def discover_services():
    """Names of the nameko service packages: services/<name>/service.py, except common."""
    return sorted(
        path.parent.name
        for path in (REPO / "services").glob("*/service.py")
        if path.parent.name != "common"
    )


SERVICES = discover_services()


def load_compose():
    return yaml.safe_load(COMPOSE_FILE.read_text())


def k8s_manifest_files():
    """Every manifest under k8s/ except the kustomization itself."""
    return sorted(p for p in K8S_DIR.glob("*.yaml") if p.name != "kustomization.yaml")


def k8s_documents():
    docs = []
    for path in k8s_manifest_files():
        docs.extend(doc for doc in yaml.safe_load_all(path.read_text()) if doc)
    return docs


def k8s_objects(kind):
    return {doc["metadata"]["name"]: doc for doc in k8s_documents() if doc["kind"] == kind}


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


def run_check_jsonschema(path):
    assert CHECK_JSONSCHEMA.exists(), f"check-jsonschema not installed next to {sys.executable}"
    return subprocess.run(
        [str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.compose-spec", str(path)],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )


# --- service discovery -------------------------------------------------------------------


def test_services_are_discovered():
    assert SERVICES, "no services/<name>/service.py found: discovery is broken"


# --- docker-compose.yml ------------------------------------------------------------------


def test_compose_file_validates_against_compose_spec():
    result = run_check_jsonschema(COMPOSE_FILE)
    assert result.returncode == 0, (
        f"compose schema validation failed:\n{result.stdout}\n{result.stderr}"
    )


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
def test_service_has_compose_service(name):
    compose = load_compose()
    assert name in compose["services"], f"docker-compose.yml has no service {name!r}"
    service = compose["services"][name]
    assert "build" in service, f"compose service {name!r} is not built from the Dockerfile"
    assert service["command"] == [
        "python",
        "-m",
        "services.common.runner",
        f"services.{name}.service",
    ]
    # The image's HEALTHCHECK probes the gateway's /healthz: a service must override it.
    healthcheck = " ".join(service.get("healthcheck", {}).get("test", []))
    assert str(METRICS_PORT) in healthcheck, f"{name}: healthcheck must probe the metrics port"


def test_platform_compose_services_set_amqp_and_mongo_uris():
    compose = load_compose()
    platform = platform_compose_services(compose)
    assert set(SERVICES) | {"gateway"} <= set(platform), (
        "gateway or a service is not built from the Dockerfile"
    )
    for name, service in platform.items():
        env = environment_of(service)
        for key in ("AMQP_URI", "MONGO_URI"):
            assert env.get(key), f"compose service {name!r} does not set {key}"
        assert env.get("APP_ENV") == "production", name
        assert str(env.get("METRICS_PORT")) == str(METRICS_PORT), name


def test_compose_secrets_come_from_the_environment():
    """No secret is baked into the compose file: they are required variables."""
    compose = load_compose()
    gateway_env = environment_of(compose["services"]["gateway"])
    assert gateway_env["TOKEN_SECRET"].startswith("${TOKEN_SECRET:?")
    assert "DEMO_PASSWORD" not in gateway_env
    rabbit_env = environment_of(compose["services"]["rabbitmq"])
    assert rabbit_env["RABBITMQ_DEFAULT_PASS"].startswith("${RABBITMQ_PASSWORD:?")
    for name, service in platform_compose_services(compose).items():
        assert "${RABBITMQ_PASSWORD:?" in environment_of(service)["AMQP_URI"], name


def test_compose_gateway_port_and_dependencies():
    compose = load_compose()
    gateway = compose["services"]["gateway"]
    assert gateway["ports"] == ["${GATEWAY_PORT:-8080}:8080"]
    assert "command" not in gateway, "the gateway runs the image's default CMD"
    for name in list(compose["services"]):
        service = compose["services"][name]
        if name in SERVICES or name == "gateway":
            for backend in ("rabbitmq", "mongo"):
                assert service["depends_on"][backend]["condition"] == "service_healthy", (
                    name,
                    backend,
                )


# --- Dockerfile --------------------------------------------------------------------------


def test_dockerfile_basics():
    text = DOCKERFILE.read_text()
    assert "python:3.11-slim-bookworm" in text
    assert " AS builder" in text and "pip install" in text
    assert "--uid 10001" in text and "\nUSER 10001:10001\n" in text
    assert "HEALTHCHECK" in text and "/healthz" in text
    assert (
        'CMD ["gunicorn", "--bind", "0.0.0.0:8080", "--threads", "16", "gateway:create_app()"]'
        in text
    )


def test_dockerfile_copy_sources_exist():
    """`docker build` fails on a COPY whose source is missing (git keeps no empty dirs)."""
    sources = []
    for line in DOCKERFILE.read_text().splitlines():
        parts = line.split()
        if parts[:1] == ["COPY"] and not any(p.startswith("--from") for p in parts):
            sources.extend(p for p in parts[1:-1] if not p.startswith("--"))
    assert sources
    for source in sources:
        path = REPO / source
        assert path.exists() and (path.is_file() or any(path.iterdir())), (
            f"COPY source {source} missing or empty"
        )


# --- monitoring/prometheus.yml -----------------------------------------------------------


def scrape_targets():
    config = yaml.safe_load(PROMETHEUS_FILE.read_text())
    return {
        target
        for job in config["scrape_configs"]
        for static in job.get("static_configs", [])
        for target in static["targets"]
    }


def test_prometheus_scrapes_gateway_itself_and_every_service():
    targets = scrape_targets()
    assert {"gateway:8080", "localhost:9090"} <= targets
    missing = {f"{name}:{METRICS_PORT}" for name in SERVICES} - targets
    assert not missing, f"prometheus.yml does not scrape {sorted(missing)}"


def test_prometheus_config_passes_promtool():
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool not installed (Debian package `prometheus`)")
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
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    documents = [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    assert documents, f"{path.name} holds no manifest"
    for doc in documents:
        where = f"{path.name}: {doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
        try:
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            pytest.fail(f"{where}: {error.message} at {'/'.join(map(str, error.path))}")
        except kubernetes_validate.SchemaNotFoundError as error:
            pytest.fail(f"{where}: {error.message}")


def test_kubernetes_validate_catches_errors():
    """Proves the check above can fail: wrong type and an unknown field (strict)."""
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
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
    kustomization = yaml.safe_load((K8S_DIR / "kustomization.yaml").read_text())
    listed = set(kustomization["resources"])
    for name in listed:
        assert (K8S_DIR / name).is_file(), f"kustomization.yaml lists missing {name}"
    # Examples (the Secret the operator creates) are deliberately left out.
    expected = {p.name for p in k8s_manifest_files() if not p.name.endswith(".example.yaml")}
    assert listed == expected


def test_kustomize_build():
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl not installed")
    result = subprocess.run(
        [kubectl, "kustomize", str(K8S_DIR)],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    kinds = [doc["kind"] for doc in yaml.safe_load_all(result.stdout) if doc]
    assert kinds.count("Deployment") == len(SERVICES) + 1


@pytest.mark.parametrize("name", SERVICES)
def test_service_has_k8s_deployment_and_metrics_service(name):
    deployments = k8s_objects("Deployment")
    assert name in deployments, f"k8s/ has no Deployment {name!r}"
    container = deployments[name]["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == [
        "python",
        "-m",
        "services.common.runner",
        f"services.{name}.service",
    ]
    assert any(p["containerPort"] == METRICS_PORT for p in container["ports"])
    services = k8s_objects("Service")
    assert name in services, f"k8s/ has no Service {name!r}"
    assert any(p["port"] == METRICS_PORT for p in services[name]["spec"]["ports"])


def test_k8s_gateway_probes():
    gateway = k8s_objects("Deployment")["gateway"]
    assert gateway["spec"]["replicas"] == 2
    container = gateway["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"


def test_k8s_platform_deployments_are_hardened_and_configured():
    config = k8s_objects("ConfigMap")["hall-config"]["data"]
    assert config["APP_ENV"] == "production"
    assert config["MONGO_URI"]
    for name, deployment in k8s_objects("Deployment").items():
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        for container in pod["containers"]:
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True, name
            assert security["allowPrivilegeEscalation"] is False, name
            assert container["resources"]["requests"] and container["resources"]["limits"], name
            assert {"configMapRef": {"name": "hall-config"}} in container["envFrom"], name
            env = {item["name"] for item in container["env"]}
            assert "AMQP_URI" in env, name
