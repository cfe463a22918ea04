"""The three places that name our dependencies agree: pyproject.toml, constraints.txt, environment.yml."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def constraints() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            pins[_name(name)] = version
    return pins


def environment_pins() -> dict[str, str]:
    text = (ROOT / "environment.yml").read_text()
    pins = dict(re.findall(r"^\s+- ([A-Za-z0-9_.-]+)==(\S+)\s*$", text, flags=re.M))
    return {_name(k): v for k, v in pins.items()}


def direct_dependencies() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {_name(r) for r in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        names |= {_name(r) for r in extra}
    return names


def test_every_direct_dependency_is_pinned_in_both_files():
    pins, env = constraints(), environment_pins()
    for name in direct_dependencies():
        assert name in pins, f"{name} is a dependency in pyproject.toml but has no pin in constraints.txt"
        assert name in env, f"{name} is a dependency in pyproject.toml but is not pinned in environment.yml"


def test_environment_yml_agrees_with_constraints():
    pins = constraints()
    for name, version in environment_pins().items():
        assert pins.get(name) == version, f"environment.yml pins {name}=={version}, constraints.txt {pins.get(name)}"


def test_environment_yml_python_matches_pyproject():
    assert "python=3.11" in (ROOT / "environment.yml").read_text()
    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"] == ">=3.11"


def test_torch_is_pinned_to_2_13_0():  # the CPU wheel these machines hold; newer ones pull in CUDA
    assert constraints()["torch"] == "2.13.0"
