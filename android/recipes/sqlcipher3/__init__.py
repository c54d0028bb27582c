"""python-for-android recipe: `sqlcipher3`, the Python DB-API binding to SQLCipher.

PyPI's `sqlcipher3-binary` has manylinux/macOS/Windows wheels only, so the phone builds the
binding from the `sqlcipher3` sdist, linked against `libsqlcipher.so` of the `sqlcipher` recipe
(next to this one), which itself links p4a's OpenSSL. `link-libsqlcipher.patch` makes the sdist's
`build_ext` the "system library" build (`-lsqlcipher`, `SQLITE_HAS_CODEC`) instead of compiling
the vendored amalgamation in a second time, and drops its `setup.cfg` search paths
(`/usr/include`, `/usr/lib`), which would pull the build machine's headers into a
cross-compilation.
"""

from typing import ClassVar

from pythonforandroid.recipe import PyProjectRecipe


class SQLCipher3Recipe(PyProjectRecipe):
    version = "0.6.0"
    # The sdist on PyPI (another version: its own URL and sha256 from pypi.org/project/sqlcipher3).
    url = (
        "https://files.pythonhosted.org/packages/bd/a2/"
        "75dee988eba5effd1f723b8bc387117896ca6f8336d18ac30fff57e6f157/sqlcipher3-0.6.0.tar.gz"
    )
    sha256sum = "a351ae630bd614c2c10ed898b420f7bc817e438153f683f88348c445d6b3a9b1"
    depends: ClassVar[list[str]] = ["sqlcipher", "python3"]
    patches: ClassVar[list[str]] = ["link-libsqlcipher.patch"]
    site_packages_name = "sqlcipher3"

    def check_prebuilt(self, arch, msg=""):
        # Never take a wheel from an index: it would bring its own SQLCipher and OpenSSL.
        return False

    def get_recipe_env(self, arch, **kwargs):
        env = super().get_recipe_env(arch, **kwargs)
        sqlcipher = self.get_recipe("sqlcipher", self.ctx)
        openssl = self.get_recipe("openssl", self.ctx)
        env["CFLAGS"] += f" -I{sqlcipher.include_dir(arch)}"
        env["LDFLAGS"] += f" -L{sqlcipher.link_dir(arch)}" + openssl.link_dirs_flags(arch)
        return env


recipe = SQLCipher3Recipe()
