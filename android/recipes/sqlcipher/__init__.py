"""python-for-android recipe: SQLCipher, the C library (`libsqlcipher.so`).

The phone's store is one SQLCipher file (docs/security.md); python-for-android has no recipe for
SQLCipher, so this one builds it: the SQLCipher amalgamation compiled with the NDK's clang into a
shared library, its crypto provider OpenSSL, linked against the `libcrypto.so` of p4a's own
`openssl` recipe (the same libcrypto that Python's `_ssl` and `cryptography` use).

Source: the amalgamation (`vendor/sqlite3.c`, `vendor/sqlite3.h`: SQLCipher 4.12.0 community on
SQLite 3.51.1) that ships in the sdist of `sqlcipher3` 0.6.0 on PyPI: the same SQLCipher and
SQLite versions as the `sqlcipher3-binary` 0.6.0 wheel the desktop tests run, so phone and tests
use one SQLCipher; the tarball's sha256 is checked by p4a on download and by
tests/mobile_app/test_android_build.py. The `sqlcipher3` recipe (next to this one) builds the
Python binding from the same sdist against this library.

Options: those of sqlcipher3's own amalgamation build (`setup.py`'s AmalgationLibSqliteBuilder),
which SQLCipher requires (`SQLITE_HAS_CODEC`, `SQLITE_TEMP_STORE=2`: temporary tables and
indexes stay in memory, never in plaintext temp files; `SQLITE_EXTRA_INIT/SHUTDOWN`), plus
`SQLCIPHER_CRYPTO_OPENSSL` to pick the provider explicitly.
"""

from os.path import join
from typing import ClassVar

import sh
from pythonforandroid.logger import shprint
from pythonforandroid.recipe import Recipe
from pythonforandroid.util import current_directory

# -D options of the build, as (name, value); None defines the name alone.
DEFINES = (
    ("SQLITE_HAS_CODEC", "1"),
    ("SQLCIPHER_CRYPTO_OPENSSL", None),
    ("SQLITE_TEMP_STORE", "2"),
    ("SQLITE_EXTRA_INIT", "sqlcipher_extra_init"),
    ("SQLITE_EXTRA_SHUTDOWN", "sqlcipher_extra_shutdown"),
    ("SQLITE_THREADSAFE", "1"),
    ("SQLITE_ENABLE_FTS3_PARENTHESIS", "1"),
    ("SQLITE_ENABLE_FTS4", "1"),
    ("SQLITE_ENABLE_FTS5", "1"),
    ("SQLITE_ENABLE_RTREE", "1"),
    ("SQLITE_ENABLE_STAT4", "1"),
    ("SQLITE_ENABLE_UPDATE_DELETE_LIMIT", "1"),
    ("SQLITE_SOUNDEX", "1"),
    ("SQLITE_USE_URI", "1"),
    ("SQLITE_MAX_VARIABLE_NUMBER", "250000"),
    ("SQLITE_DEFAULT_PAGE_SIZE", "4096"),
    ("SQLITE_DEFAULT_CACHE_SIZE", "-8000"),
    ("HAVE_STDINT_H", "1"),
)


def define_flags(defines):
    """The compiler's `-D` arguments for (name, value) pairs."""
    return [f"-D{name}" if value is None else f"-D{name}={value}" for name, value in defines]


# Libraries libsqlcipher.so links: OpenSSL's libcrypto, Android's log (SQLCipher logs to logcat).
ANDROID_LIBS = ("-lcrypto", "-llog", "-ldl", "-lm")


def compile_args(cflags, defines, optimize="-O2"):
    """Compiler arguments for `vendor/sqlite3.c` -> `sqlite3.o` (run inside `vendor/`)."""
    flags = [*cflags.split(), *define_flags(defines), optimize, "-fPIC", "-I."]
    return [*flags, "-c", "sqlite3.c", "-o", "sqlite3.o"]


def link_args(cflags, ldflags, libs=ANDROID_LIBS):
    """Linker arguments for `sqlite3.o` -> `libsqlcipher.so` (run inside `vendor/`)."""
    return [
        *cflags.split(),
        "-shared",
        "sqlite3.o",
        "-o",
        "libsqlcipher.so",
        "-Wl,-soname,libsqlcipher.so",
        # Calls inside the library bind to itself, never to the libsqlite3.so that Python's
        # own sqlite3 module loads into the same process.
        "-Wl,-Bsymbolic",
        *ldflags.split(),
        *libs,
    ]


class SQLCipherRecipe(Recipe):
    version = "4.12.0"
    # The sdist of sqlcipher3 0.6.0 (its `vendor/` holds the SQLCipher 4.12.0 amalgamation).
    url = (
        "https://files.pythonhosted.org/packages/bd/a2/"
        "75dee988eba5effd1f723b8bc387117896ca6f8336d18ac30fff57e6f157/sqlcipher3-0.6.0.tar.gz"
    )
    sha256sum = "a351ae630bd614c2c10ed898b420f7bc817e438153f683f88348c445d6b3a9b1"
    depends: ClassVar[list[str]] = ["openssl"]
    built_libraries: ClassVar[dict[str, str]] = {"libsqlcipher.so": "vendor"}
    defines = DEFINES

    def include_dir(self, arch):
        """Where `sqlite3.h` (SQLCipher's) is, for recipes that build against this one."""
        return join(self.get_build_dir(arch.arch), "vendor")

    def link_dir(self, arch):
        """Where `libsqlcipher.so` is, for `-L`."""
        return join(self.get_build_dir(arch.arch), "vendor")

    def get_recipe_env(self, arch=None, with_flags_in_cc=True):
        env = super().get_recipe_env(arch, with_flags_in_cc)
        openssl = self.get_recipe("openssl", self.ctx)
        env["CFLAGS"] += openssl.include_flags(arch)
        env["LDFLAGS"] += openssl.link_dirs_flags(arch)
        return env

    def build_arch(self, arch):
        env = self.get_recipe_env(arch, with_flags_in_cc=False)
        # CC may be "ccache clang": run the first word, the rest are its arguments.
        cc_words = env["CC"].split()
        cc = sh.Command(cc_words[0])
        cflags = f"{env['CFLAGS']} {env.get('CPPFLAGS', '')}"
        with current_directory(join(self.get_build_dir(arch.arch), "vendor")):
            shprint(cc, *cc_words[1:], *compile_args(cflags, self.defines), _env=env)
            shprint(cc, *cc_words[1:], *link_args(env["CFLAGS"], env["LDFLAGS"]), _env=env)


recipe = SQLCipherRecipe()
