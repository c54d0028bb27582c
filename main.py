"""Android entry point: buildozer/python-for-android start `main.py` at the package root."""

from mobile_app.__main__ import main

if __name__ == "__main__":
    main()
