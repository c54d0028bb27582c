"""The Android package: everything the app imports must be buildable by python-for-android.

Walks the import closure of `main.py` / `mobile_app/__main__.py` with `ast` (every import,
including those inside functions, and `#:import` lines of .kv files), following first-party
modules, and checks the third-party top-level names against buildozer.spec's requirements.
"""

from __future__ import annotations

import ast
import configparser
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIRST_PARTY = ("mobile_app", "shared_schema")
# requirement name in buildozer.spec -> top-level import name
IMPORT_NAMES = {
    "kivy": "kivy",
    "filetype": "filetype",
    "requests": "requests",
    "urllib3": "urllib3",
    "idna": "idna",
    "certifi": "certifi",
    "chardet": "chardet",  # requests' character detection
    "charset-normalizer": "charset_normalizer",  # 2.1.1, pure Python (buildozer.spec)
    "marshmallow": "marshmallow",
    "tzdata": "tzdata",  # IANA zones for shared_schema.timefmt (zoneinfo imports it by name)
    "six": "six",
    "cryptography": "cryptography",
    "sqlcipher3": "sqlcipher3",  # our recipe, android/recipes (test_android_build.py)
    "pillow": "PIL",
    "plyer": "plyer",
    "pyjnius": "jnius",  # Android connectivity (mobile_app/sync/connectivity.py), p4a recipe
    "android": "android",  # p4a's module: runtime permissions (mobile_app/evidence/permissions.py)
}
# Pins that differ from the desktop on purpose (test_android_build.py imports the phone's wheel).
PHONE_ONLY_PINS = {"charset-normalizer": "the last pure-Python release; desktop pip takes 3.x"}
NEVER = {"sync_server", "flask", "flask_smorest", "sqlalchemy", "alembic", "psycopg", "gunicorn",
         "redis", "openpyxl", "argon2", "tests", "pytest"}  # fmt: skip


def spec() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ROOT / "buildozer.spec", encoding="utf-8")
    return parser["app"]


def requirements() -> dict[str, str | None]:
    """buildozer.spec requirements: name -> pinned version (None when unpinned)."""
    found: dict[str, str | None] = {}
    for item in spec()["requirements"].split(","):
        name, _, pinned = item.strip().partition("==")
        found[name.lower()] = pinned or None
    return found


def module_file(name: str) -> Path | None:
    """The source file of a first-party module or package (None if it does not exist)."""
    base = ROOT.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def imports_of(path: Path, module: str) -> set[str]:
    """Absolute names imported anywhere in a file (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            names.add(target)
            names.update(f"{target}.{alias.name}" for alias in node.names)
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            names.add(str(node.args[0].value))
    return names


def kv_imports(package_dir: Path) -> set[str]:
    """Modules named by `#:import alias module` lines of the .kv files."""
    names = set()
    for kv in package_dir.rglob("*.kv"):
        for line in kv.read_text(encoding="utf-8").splitlines():
            if line.startswith("#:import "):
                names.add(line.split()[2])
    return names


def import_closure() -> tuple[set[str], set[str]]:
    """(first-party modules reached, third-party top-level names) from the app's entry points."""
    todo = ["main", "mobile_app.__main__", "mobile_app.app", *kv_imports(ROOT / "mobile_app")]
    seen: set[str] = set()
    third: set[str] = set()
    while todo:
        name = todo.pop()
        top = name.split(".")[0]
        if top not in (*FIRST_PARTY, "main"):
            third.add(top)
            continue
        path = module_file(name)
        if path is None or name in seen:
            continue  # `from pkg import function` names a symbol, not a module
        seen.add(name)
        parts = name.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]  # parent packages run too
        todo += sorted(imports_of(path, name))
    return seen, third


def test_the_app_imports_only_stdlib_and_buildozer_requirements():
    modules, third = import_closure()
    assert "mobile_app.app" in modules and "shared_schema.forms" in modules
    assert "mobile_app.sync.runner" in modules and "mobile_app.store.database" in modules
    allowed = {IMPORT_NAMES[r] for r in requirements() if r in IMPORT_NAMES}
    outside = sorted(t for t in third if t not in sys.stdlib_module_names and t not in allowed)
    assert outside == [], f"imports python-for-android would not package: {outside}"
    assert not (third & NEVER), sorted(third & NEVER)
    assert not any(m.split(".")[0] in NEVER for m in modules)


def test_every_requirement_is_known_and_pins_match_the_tested_versions():
    reqs = requirements()
    assert "python3" in reqs
    unknown = sorted(r for r in reqs if r not in IMPORT_NAMES and r not in ("python3",))
    assert unknown == [], f"requirements with no known import name: {unknown}"
    for name, pinned in reqs.items():
        try:
            tested = version(name)
        except PackageNotFoundError:
            continue  # not installed here: test_android_build.py imports the pinned wheel itself
        if pinned is not None and name not in PHONE_ONLY_PINS:
            assert tested == pinned, f"{name}: buildozer pins {pinned}, tests run {tested}"


def test_the_package_holds_the_app_and_the_shared_schema_but_not_the_server():
    app = spec()
    assert app["source.dir"] == "."
    patterns = [p.strip() for p in app["source.include_patterns"].split(",")]
    assert {"main.py", "mobile_app/*", "shared_schema/*"} <= set(patterns)
    excluded = {d.strip() for d in app["source.exclude_dirs"].split(",")}
    assert {"tests", "sync_server", "bench"} <= excluded
    assert {"py", "kv"} <= {e.strip() for e in app["source.include_exts"].split(",")}
    assert app["orientation"] == "portrait"
    assert "INTERNET" in app["android.permissions"]
    assert (ROOT / "main.py").is_file()


def test_closure_walker_sees_imports_inside_functions(tmp_path):
    source = tmp_path / "m.py"
    source.write_text("def f():\n    import flask\n    from .x import y\n", encoding="utf-8")
    assert {"flask", "mobile_app.x", "mobile_app.x.y"} <= imports_of(source, "mobile_app.m")
