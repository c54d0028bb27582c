"""python-for-android recipe: cryptography, p4a's own recipe plus the link to libpython.

In python-for-android 2026.5.9 the Rust extension (`cryptography/hazmat/bindings/_rust.abi3.so`)
is not linked against libpython. Android's linker resolves every symbol when a library loads, so
on the phone `import cryptography.hazmat...` fails with "cannot locate symbol PyExc_MemoryError"
(or `_Py_TrueStruct`) "referenced by _rust.abi3.so" (kivy/python-for-android#3329, fixed on p4a's
develop branch after that release). The app imports cryptography at start-up (the key file,
mobile_app/store/keyfile.py), so this override adds `-Clink-arg=-lpython3.X` to RUSTFLAGS; the
`-L` to libpython's directory is already there. tests/mobile_app/test_android_build.py fails
once p4a links libpython itself: then delete this directory.
"""

from pythonforandroid.recipes.cryptography import CryptographyRecipe as UpstreamRecipe


def with_libpython(rustflags, link_version):
    """RUSTFLAGS that also link libpython<link_version> (unchanged when they already do)."""
    link = f"-Clink-arg=-lpython{link_version}"
    return rustflags if link in rustflags.split() else f"{rustflags} {link}".strip()


class CryptographyRecipe(UpstreamRecipe):
    def get_recipe_env(self, arch, **kwargs):
        env = super().get_recipe_env(arch, **kwargs)
        env["RUSTFLAGS"] = with_libpython(
            env.get("RUSTFLAGS", ""), self.ctx.python_recipe.link_version
        )
        return env


recipe = CryptographyRecipe()
