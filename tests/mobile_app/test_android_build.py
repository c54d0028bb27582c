"""The Android build resolves, and the APK's requirement set is enough to start the app.

No Android SDK/NDK here, so this proves what can be proved without one (docs/android.md):
- python-for-android's own recipe graph (`pythonforandroid.graph`), with our local recipes
  (android/recipes), resolves buildozer.spec's `requirements`: every name is a p4a recipe, one
  of ours, or a pinned pure-Python wheel that the build machine's pip would pick, and p4a's
  own pip dry-run per architecture finds nothing the spec does not name;
- our recipes are real p4a recipes, their source tarball matches its sha256, the sqlcipher3
  patch applies to it, and their build steps (with this machine's compiler) make a working
  SQLCipher; the cryptography override adds the libpython link p4a 2026.5.9 lacks;
- an import closure: the files buildozer packages (its own include/exclude rules), the
  pure-Python wheels, the stdlib, and the host builds of the compiled recipes (kivy,
  cryptography, cffi, sqlcipher3) are all a fresh `python -I -S` sees; the app starts through
  `main.py` (without the event loop) and the server is not importable.

PyPI is the only network dependency (wheels and the sqlcipher3 sdist; pip's cache is used).
"""

from __future__ import annotations

import configparser
import hashlib
import importlib.metadata
import inspect
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tomllib
import urllib.request
import zipfile
from fnmatch import fnmatch
from pathlib import Path
from types import SimpleNamespace

import pytest
from packaging.requirements import Requirement
from pythonforandroid.build import Context
from pythonforandroid.graph import get_recipe_order_and_bootstrap
from pythonforandroid.recipe import PythonRecipe, Recipe

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "buildozer.spec"

# Python recipes in the build whose host (desktop) build stands in for the phone's in the
# import closure: recipe name -> the distribution installed in the test environment.
HOST_BUILDS = {
    "kivy": "kivy",
    "cryptography": "cryptography",
    "cffi": "cffi",
    "pycparser": "pycparser",
    "sqlcipher3": "sqlcipher3-binary",  # the same SQLCipher 4.12.0 / SQLite 3.51.1 (recipe doc)
    "pillow": "pillow",  # photos: p4a's Pillow recipe on the phone (mobile_app/evidence/photo.py)
}
# Python recipes that have no host stand-in, and why that is fine for the closure.
NOT_ON_HOST = {
    "pyjnius": "Android-only (Java bridge); Kivy imports it only when platform == 'android'",
    "android": "p4a's own Android module; imported only on Android (runtime permissions)",
    "setuptools": "installed by p4a into the APK; the app does not import it",
}
NEVER_IN_APK = ("sync_server", "flask", "sqlalchemy", "alembic", "psycopg", "tests")


def spec_app() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(SPEC, encoding="utf-8")
    return parser["app"]


def spec_list(key: str) -> list[str]:
    return [item.strip() for item in spec_app()[key].split(",") if item.strip()]


def spec_requirements() -> dict[str, str | None]:
    """buildozer.spec requirements: lower-case name -> pinned version (None when unpinned)."""
    found: dict[str, str | None] = {}
    for item in spec_list("requirements"):
        name, _, pinned = item.partition("==")
        found[name.strip().lower()] = pinned.strip() or None
    return found


@pytest.fixture(scope="module")
def resolved():
    """(recipe build order, pure-Python modules, bootstrap name, context) from p4a's graph."""
    ctx = Context()
    ctx.local_recipes = str((ROOT / spec_app()["p4a.local_recipes"]).resolve())
    cached = Recipe.__dict__.get("recipes")
    Recipe.recipes = {}  # p4a caches recipes on the class: start from ours, not another test's
    try:
        recipes, modules, bootstrap = get_recipe_order_and_bootstrap(ctx, list(spec_requirements()))
        yield recipes, sorted(modules), bootstrap.name, ctx
    finally:
        if cached is None:
            del Recipe.recipes
        else:
            Recipe.recipes = cached


def recipe(ctx: Context, name: str) -> Recipe:
    return Recipe.get_recipe(name, ctx)


def test_the_spec_resolves_with_p4a_recipes_ours_and_pinned_pure_python_modules(resolved):
    recipes, modules, bootstrap, ctx = resolved
    assert bootstrap == "sdl2"
    local = (ROOT / "android" / "recipes").resolve()
    ours = {name for name in recipes if Path(recipe(ctx, name).get_recipe_dir()).parent == local}
    assert ours == {"sqlcipher", "sqlcipher3", "cryptography"}
    # sqlcipher3 comes after the SQLCipher library, which comes after OpenSSL and Python.
    order = recipes.index
    assert order("openssl") < order("sqlcipher") < order("sqlcipher3")
    assert order("python3") < order("sqlcipher3")
    assert {"kivy", "cryptography", "pillow", "python3", "openssl"} <= set(recipes)
    requirements = spec_requirements()
    # Every requirement is a recipe or a module; every module (also those a recipe pulls in,
    # e.g. kivy's certifi/chardet, pyjnius' six) is named and pinned in the spec.
    assert set(requirements) <= set(recipes) | set(modules)
    unpinned = sorted(m for m in modules if requirements.get(m) is None)
    assert unpinned == [], f"pin these pure-Python modules in buildozer.spec: {unpinned}"
    # A pin on a recipe must be the version the recipe builds (p4a would otherwise fetch an
    # untested version with the recipe's patches).
    for name, pinned in requirements.items():
        if name in recipes and pinned is not None:
            assert recipe(ctx, name).version == pinned, name


def test_our_recipes_are_p4a_recipes_with_checked_sources(resolved):
    _, _, _, ctx = resolved
    from pythonforandroid.recipe import PyProjectRecipe

    sqlcipher = recipe(ctx, "sqlcipher")
    binding = recipe(ctx, "sqlcipher3")
    assert type(sqlcipher).__mro__[1] is Recipe and isinstance(binding, PyProjectRecipe)
    assert sqlcipher.depends == ["openssl"] and "sqlcipher" in binding.depends
    assert sqlcipher.built_libraries == {"libsqlcipher.so": "vendor"}
    for each in (sqlcipher, binding):
        assert each.versioned_url.startswith("https://files.pythonhosted.org/")
        assert len(each.sha256sum) == 64
    defines = dict(sqlcipher.defines)
    assert defines["SQLITE_HAS_CODEC"] == "1" and defines["SQLITE_TEMP_STORE"] == "2"
    assert "SQLCIPHER_CRYPTO_OPENSSL" in defines
    assert defines["SQLITE_EXTRA_INIT"] == "sqlcipher_extra_init"  # SQLCipher >= 4.7 needs it
    assert binding.check_prebuilt(None) is False  # never a wheel with its own SQLCipher
    for patch in binding.patches:
        assert (Path(binding.get_recipe_dir()) / patch).is_file()


def test_the_project_s_runtime_dependencies_are_in_the_apk():
    """pyproject.toml's core and `app` dependencies (what the phone's code imports) are built."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = [*project["dependencies"], *project["optional-dependencies"]["app"]]
    names = {Requirement(item).name.lower() for item in declared}
    apk_name = {"sqlcipher3-binary": "sqlcipher3"}  # the desktop wheel of our recipe's binding
    missing = sorted(
        apk_name.get(n, n) for n in names if apk_name.get(n, n) not in spec_requirements()
    )
    assert missing == [], f"buildozer.spec lacks {missing}"


def test_our_cryptography_recipe_is_p4a_s_plus_the_link_to_libpython(resolved, monkeypatch):
    from pythonforandroid.recipe import RustCompiledComponentsRecipe
    from pythonforandroid.recipes.cryptography import CryptographyRecipe as Upstream

    _, _, _, ctx = resolved
    ours = recipe(ctx, "cryptography")
    assert isinstance(ours, Upstream) and type(ours) is not Upstream
    upstream = inspect.getsource(RustCompiledComponentsRecipe) + inspect.getsource(Upstream)
    assert "-lpython" not in upstream, (
        "p4a links libpython now: delete android/recipes/cryptography"
    )
    monkeypatch.setattr(Upstream, "get_recipe_env", lambda self, arch, **kw: {"RUSTFLAGS": "-L/a"})
    monkeypatch.setattr(ctx, "python_recipe", SimpleNamespace(link_version="3.14"), raising=False)
    assert ours.get_recipe_env(None)["RUSTFLAGS"] == "-L/a -Clink-arg=-lpython3.14"
    monkeypatch.setattr(
        Upstream,
        "get_recipe_env",
        lambda self, arch, **kw: {"RUSTFLAGS": "-Clink-arg=-lpython3.14"},
    )
    assert ours.get_recipe_env(None)["RUSTFLAGS"] == "-Clink-arg=-lpython3.14"  # not twice


@pytest.fixture(scope="module")
def sqlcipher_sdist(resolved, tmp_path_factory) -> Path:
    """The sqlcipher3 sdist both recipes build from, downloaded from PyPI and unpacked."""
    _, _, _, ctx = resolved
    binding = recipe(ctx, "sqlcipher3")
    where = tmp_path_factory.mktemp("sdist")
    tarball = where / Path(binding.versioned_url).name
    with urllib.request.urlopen(binding.versioned_url, timeout=120) as response:  # as p4a does
        tarball.write_bytes(response.read())
    assert tarball.name == f"sqlcipher3-{binding.version}.tar.gz"
    digest = hashlib.sha256(tarball.read_bytes()).hexdigest()
    assert digest == binding.sha256sum == recipe(ctx, "sqlcipher").sha256sum
    with tarfile.open(tarball) as archive:
        archive.extractall(where, filter="data")
    return where / tarball.name.removesuffix(".tar.gz")


def test_the_sdist_holds_the_sqlcipher_version_of_the_recipe(resolved, sqlcipher_sdist):
    _, _, _, ctx = resolved
    source = (sqlcipher_sdist / "vendor" / "sqlite3.c").read_text(
        encoding="utf-8", errors="replace"
    )
    version = recipe(ctx, "sqlcipher").version
    assert f"#define CIPHER_VERSION_NUMBER {version}\n" in source
    assert (sqlcipher_sdist / "vendor" / "sqlite3.h").is_file()


@pytest.fixture(scope="module")
def patched_sdist(resolved, sqlcipher_sdist, tmp_path_factory) -> Path:
    """A copy of the sdist with the sqlcipher3 recipe's patches applied as p4a applies them."""
    _, _, _, ctx = resolved
    binding = recipe(ctx, "sqlcipher3")
    target = tmp_path_factory.mktemp("patched") / sqlcipher_sdist.name
    shutil.copytree(sqlcipher_sdist, target)
    patch_tool = shutil.which("patch")
    assert patch_tool, "python-for-android applies recipe patches with `patch`"
    for name in binding.patches:  # the command of p4a's Recipe.apply_patch
        patch_file = Path(binding.get_recipe_dir()) / name
        run([patch_tool, "-t", "-d", str(target), "-p1", "-i", str(patch_file)])
    return target


def run(args: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, capture_output=True, text=True, timeout=600, **kwargs)
    assert result.returncode == 0, f"{args[:3]}: {result.stderr[-3000:]}"
    return result


def test_the_sqlcipher3_patch_applies_and_links_libsqlcipher(patched_sdist):
    setup = (patched_sdist / "setup.py").read_text(encoding="utf-8", errors="replace")
    assert '"build_ext": SystemLibSqliteBuilder' in setup  # -lsqlcipher, SQLITE_HAS_CODEC
    assert "/usr/include" not in (patched_sdist / "setup.cfg").read_text(encoding="utf-8")


HOST_CHECK = r"""
import json, sys
sys.path.insert(0, SDIST)
from sqlcipher3 import dbapi2

def opened(key):
    conn = dbapi2.connect(DB)
    conn.execute(f"PRAGMA key = \"x'{key}'\"")
    return conn

conn = opened("11" * 32)
facts = {
    "version": conn.execute("PRAGMA cipher_version").fetchone()[0],
    "provider": conn.execute("PRAGMA cipher_provider").fetchone()[0],
    "options": [row[0] for row in conn.execute("PRAGMA compile_options")],
    "sqlite": dbapi2.sqlite_version,
}
conn.execute("CREATE TABLE t (x)")
conn.execute("INSERT INTO t VALUES ('户主')")
conn.commit()
conn.close()
facts["header"] = open(DB, "rb").read(16).hex()
facts["reopened"] = opened("11" * 32).execute("SELECT x FROM t").fetchone()[0]
try:
    opened("22" * 32).execute("SELECT count(*) FROM sqlite_master").fetchone()
    facts["wrong_key"] = "opened"
except dbapi2.DatabaseError as exc:
    facts["wrong_key"] = str(exc)
maps = open("/proc/self/maps", encoding="utf-8").read()
facts["libraries"] = sorted({line.split()[-1] for line in maps.splitlines() if "sqlcipher" in line})
print(json.dumps(facts))
"""


@pytest.mark.slow
def test_the_recipes_build_steps_make_a_working_sqlcipher_here(resolved, patched_sdist, tmp_path):
    """Both recipes' build steps with this machine's compiler and OpenSSL instead of the NDK's.

    The `sqlcipher` recipe's own compile and link arguments (minus Android's liblog) make
    libsqlcipher.so; the patched sdist's `setup.py build_ext`, which p4a's wheel build runs,
    links the binding against it; the binding then keeps an encrypted file.
    """
    _, _, _, ctx = resolved
    library = recipe(ctx, "sqlcipher")
    steps = type(library).build_arch.__globals__  # the recipe module (p4a loads it by path)
    compile_args, link_args = steps["compile_args"], steps["link_args"]
    cc = shutil.which("cc") or shutil.which("gcc")
    assert cc, "a C compiler"
    vendor = patched_sdist / "vendor"
    run([cc, *compile_args("", library.defines, optimize="-O0")], cwd=vendor)
    host_libs = tuple(lib for lib in steps["ANDROID_LIBS"] if lib != "-llog")
    run([cc, *link_args("", "", libs=host_libs)], cwd=vendor)
    env = {**os.environ, "CFLAGS": f"-I{vendor}", "LDFLAGS": f"-L{vendor}"}
    run([sys.executable, "setup.py", "build_ext", "--inplace"], cwd=patched_sdist, env=env)
    (extension,) = (patched_sdist / "sqlcipher3").glob("_sqlite3*.so")
    assert extension.stat().st_size < 1_000_000  # the binding only: SQLCipher is not inside
    env["LD_LIBRARY_PATH"] = str(vendor)
    script = f"SDIST, DB = {str(patched_sdist)!r}, {str(tmp_path / 'x.sqlite3')!r}\n" + HOST_CHECK
    facts = json.loads(run([sys.executable, "-I", "-S", "-c", script], env=env).stdout)
    assert facts["version"] == f"{library.version} community"
    assert facts["provider"] == "openssl"
    assert {"HAS_CODEC", "TEMP_STORE=2"} <= set(facts["options"])
    assert facts["sqlite"] == "3.51.1"
    assert bytes.fromhex(facts["header"]) != b"SQLite format 3\x00"
    assert facts["reopened"] == "户主"
    assert facts["wrong_key"] == "file is not a database"
    ours = [str((vendor / "libsqlcipher.so").resolve()), str(extension.resolve())]
    assert facts["libraries"] == sorted(ours)


def pip(args: list[str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", *args],
                            capture_output=True, text=True, timeout=300)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def wheels(resolved, tmp_path_factory) -> dict[str, Path]:
    """The pure-Python modules' wheels, as the build machine's pip picks them.

    p4a installs the non-recipe modules with `pip install --no-deps` of its hostpython on the
    build machine (Linux x86_64), so that is what pip is asked for here: binary wheels allowed,
    the p4a Python version. A module whose pick is not `none-any` would put a desktop binary
    into the APK.
    """
    _, modules, _, ctx = resolved
    python = recipe(ctx, "python3").version
    major, minor, _ = python.split(".")
    requirements = spec_requirements()
    where = tmp_path_factory.mktemp("wheels")
    pip(["download", "--no-deps", "--only-binary=:all:", "--python-version", python,
         "--implementation", "cp", "--abi", f"cp{major}{minor}", "--platform",
         "manylinux_2_28_x86_64", "-d", str(where)]
        + [f"{m}=={requirements[m]}" for m in modules])  # fmt: skip
    found = {}
    for wheel in where.glob("*.whl"):
        found[wheel.name.split("-")[0].lower().replace("_", "-")] = wheel
    assert sorted(found) == sorted(modules)
    return found


def test_every_module_is_a_pure_python_wheel(wheels):
    compiled = sorted(w.name for w in wheels.values() if not w.name.endswith("-none-any.whl"))
    assert compiled == [], f"not pure Python (needs a recipe, or another version): {compiled}"


def test_every_dependency_of_a_module_is_in_the_build(resolved, wheels):
    """Requires-Dist of each wheel, evaluated for the phone, is a recipe or a named module."""
    recipes, modules, _, ctx = resolved
    python = recipe(ctx, "python3").version
    phone = {
        "python_version": ".".join(python.split(".")[:2]),
        "python_full_version": python,
        "sys_platform": "android",
        "platform_system": "Android",
        "os_name": "posix",
        "platform_machine": "aarch64",
        "implementation_name": "cpython",
        "extra": "",
    }
    missing = []
    for name, wheel in wheels.items():
        with zipfile.ZipFile(wheel) as archive:
            (meta,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
            text = archive.read(meta).decode("utf-8")
        for line in text.splitlines():
            if line.startswith("Requires-Dist:"):
                req = Requirement(line.removeprefix("Requires-Dist:").strip())
                dep = req.name.lower().replace("_", "-")
                applies = req.marker is None or req.marker.evaluate(phone)
                if applies and dep not in set(recipes) | set(modules):
                    missing.append(f"{name} needs {req}")
    assert missing == []


def test_p4a_s_dependency_resolution_adds_nothing_unnamed(resolved, tmp_path):
    """p4a's own pip dry-run (build.process_python_modules) finds nothing the spec does not name.

    python-for-android 2026.5.9 resolves the modules' dependencies with pip for each Android
    architecture and adds every one the spec does not name as a wheel URL, which the build
    machine's pip then refuses when it is an Android wheel (charset-normalizer 3.x,
    kivy/buildozer#2051), and which would not be pinned anyway. Same command, same arguments.
    """
    from pythonforandroid.recipe import PyProjectRecipe

    recipes, modules, _, ctx = resolved
    python = recipe(ctx, "python3").version
    ctx.ndk_api = int(spec_app()["android.minapi"])
    named = {n.replace("_", "-") for n in [*recipes, *modules]}
    for arch in spec_list("android.archs"):
        platforms = PyProjectRecipe.get_wheel_platform_tags(arch, ctx)
        report = tmp_path / f"{arch}.json"
        pip(["install", *modules, "--dry-run", "--ignore-installed", "--only-binary=:all:",
             "--report", str(report), "-q", "--python-version", python,
             *[f"--platform={p}" for p in platforms]])  # fmt: skip
        found = json.loads(report.read_text(encoding="utf-8"))["install"]
        unnamed = sorted(
            m["metadata"]["name"]
            for m in found
            if m["metadata"]["name"].lower().replace("_", "-") not in named
        )
        assert unnamed == [], f"{arch}: name and pin these in buildozer.spec: {unnamed}"


def packaged_files(root: Path) -> list[Path]:
    """The files buildozer copies into the APK's app directory (relative paths).

    The rules of buildozer 1.6.0's `Buildozer._copy_application_sources`: hidden dirs and files
    skipped; a directory is dropped by `source.exclude_dirs` or `source.exclude_patterns` unless
    an include pattern matches it; a file likewise by the patterns, then by its extension.
    """
    app = spec_app()

    def lower(key: str) -> list[str]:
        return [x.strip().lower() for x in app.get(key, "").split(",") if x.strip()]

    include_exts, exclude_exts = lower("source.include_exts"), lower("source.exclude_exts")
    exclude_dirs = [d if d.endswith("/") else d + "/" for d in lower("source.exclude_dirs")]
    exclude_patterns, include_patterns = (
        lower("source.exclude_patterns"),
        lower("source.include_patterns"),
    )
    found = []
    for dirpath, _dirs, files in os.walk(root, followlinks=True):
        rel = os.path.relpath(dirpath, root)
        rel = "" if rel == "." else rel
        if rel and any(part.startswith(".") for part in rel.split(os.sep)):
            continue
        filtered_root = rel.lower() + "/" if rel else ""
        if filtered_root:
            excluded = any(filtered_root.startswith(d) for d in exclude_dirs) or any(
                fnmatch(filtered_root, p) for p in exclude_patterns
            )
            if any(fnmatch(filtered_root, p) for p in include_patterns):
                excluded = False
            if excluded:
                continue
        for fn in files:
            if fn.startswith("."):
                continue
            dfn = os.path.join(filtered_root, fn) if filtered_root else fn.lower()
            excluded = any(fnmatch(dfn, p) for p in exclude_patterns)
            if any(fnmatch(dfn, p) for p in include_patterns):
                excluded = False
            if excluded:
                continue
            ext = os.path.splitext(fn)[1][1:].lower()
            if ext and ((include_exts and ext not in include_exts) or ext in exclude_exts):
                continue
            found.append(Path(rel, fn))
    return found


def test_the_package_is_the_app_and_the_shared_schema_only():
    files = packaged_files(ROOT)
    tops = {f.parts[0] for f in files}
    assert tops == {"main.py", "mobile_app", "shared_schema"}, sorted(tops)
    names = {f.as_posix() for f in files}
    assert {"main.py", "mobile_app/app.py", "shared_schema/__init__.py"} <= names
    assert any(n.endswith(".kv") for n in names)
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
    # Every first-party Python file of the two packages is in it.
    for package in ("mobile_app", "shared_schema"):
        for source in (ROOT / package).rglob("*.py"):
            if "__pycache__" not in source.parts:
                assert source.relative_to(ROOT).as_posix() in names


def host_top_levels(distribution: str) -> set[str]:
    """Top-level files/dirs a host distribution installed (packages, .so modules, *.libs)."""
    dist = importlib.metadata.distribution(distribution)
    tops = set()
    for file in dist.files or ():
        top = file.parts[0]
        if not top.endswith((".dist-info", ".egg-info", ".data")) and top != "..":
            tops.add(top)
    return tops


CLOSURE_SCRIPT = r"""
import importlib, importlib.util, json, os, sys
sys.path[:0] = [APP, PURE, HOST]
os.environ["KIVY_NO_ARGS"] = "1"
import kivy.app

started = []
kivy.app.App.run = lambda self: started.append(type(self).__module__ + "." + type(self).__name__)
import main  # the APK's entry point (python-for-android runs main.py)

main.main()  # the phone's start-up path, minus the event loop
modules = []
for base, _, files in os.walk(APP):
    for fn in files:
        if fn.endswith(".py") and fn != "__main__.py":
            rel = os.path.relpath(os.path.join(base, fn), APP)[:-3].replace(os.sep, ".")
            modules.append(rel.removesuffix(".__init__"))
for name in sorted(modules):
    importlib.import_module(name)
never = {n: importlib.util.find_spec(n) is not None for n in NEVER}
from mobile_app.store import cipher
import requests.compat
import zoneinfo
from shared_schema.timefmt import parse_zone

zoneinfo.reset_tzpath(to=[])  # as on Android: no time-zone database Python can read, but tzdata

store = os.path.join(os.environ["HOME"], "closure.sqlite3")
conn = cipher.connect(store, bytes(range(32)))
conn.execute("CREATE TABLE t (x)")
conn.commit()
conn.close()
extras = {"encrypted": not cipher.is_plaintext(store), "zone": str(parse_zone("Asia/Shanghai")),
          "chardet": getattr(requests.compat.chardet, "__name__", None)}
origins = sorted({getattr(m, "__file__", None) or "" for m in list(sys.modules.values())})
print(json.dumps({"started": started, "imported": len(modules), "never": never,
                  "origins": origins, **extras}))
"""


def test_the_app_starts_from_main_py_with_only_the_apk_requirement_set(resolved, wheels, tmp_path):
    recipes, _, _, _ = resolved
    python_recipes = {
        n for n in recipes if isinstance(Recipe.get_recipe(n, resolved[3]), PythonRecipe)
    }
    undecided = sorted(python_recipes - set(HOST_BUILDS) - set(NOT_ON_HOST))
    assert undecided == [], f"decide how the closure stands in for: {undecided}"
    app, pure, host = tmp_path / "app", tmp_path / "pure", tmp_path / "host"
    for rel in packaged_files(ROOT):
        (app / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, app / rel)
    for wheel in wheels.values():
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(pure)
    host.mkdir()
    site = Path(importlib.metadata.distribution("kivy").locate_file(""))
    linked = []
    for name in sorted(python_recipes & set(HOST_BUILDS)):
        for top in host_top_levels(HOST_BUILDS[name]):
            if not (host / top).exists():
                (host / top).symlink_to(site / top)
                linked.append((site / top).resolve())
    script = (
        f"APP, PURE, HOST = {str(app)!r}, {str(pure)!r}, {str(host)!r}\n"
        f"NEVER = {list(NEVER_IN_APK)!r}\n" + CLOSURE_SCRIPT
    )
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "KIVY_HOME": str(tmp_path / "kivy"),
        "KIVY_NO_FILELOG": "1",  # Kivy logs to stderr, so a failure shows its traceback
        "TIANYE_DATA_DIR": str(tmp_path / "data"),
    }
    if "DISPLAY" in os.environ:
        env["DISPLAY"] = os.environ["DISPLAY"]
    result = subprocess.run([sys.executable, "-I", "-S", "-c", script], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)  # fmt: skip
    assert result.returncode == 0, result.stderr[-4000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["started"] == ["mobile_app.app.TianyeApp"]
    assert report["imported"] > 50
    assert report["never"] == {name: False for name in NEVER_IN_APK}
    assert report["encrypted"] is True  # sqlcipher3 from the set wrote an encrypted file
    assert report["chardet"] == "chardet"  # requests without charset-normalizer
    assert report["zone"] == "Asia/Shanghai"  # from the tzdata wheel
    paths = sysconfig.get_paths()
    stdlib = [Path(paths["stdlib"]).resolve(), Path(paths["platstdlib"]).resolve()]
    allowed = [app.resolve(), pure.resolve(), *linked, *stdlib]
    stray = [o for o in report["origins"]
             if o and not any(Path(o).resolve().is_relative_to(a) for a in allowed)]  # fmt: skip
    assert stray == [], "imported from outside the APK's requirement set"
