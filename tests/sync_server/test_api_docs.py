"""The API docs page works offline: Swagger UI is served by the server, not from a CDN."""

from __future__ import annotations

import re
from typing import Any


def test_swagger_ui_loads_only_local_assets(client: Any) -> None:
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets, html[:500]
    assert all(not a.startswith(("http://", "https://", "//")) for a in assets), assets
    for asset in assets:
        if asset.startswith("/api/swagger-ui/"):
            with client.get(asset) as response:  # a file response: close it
                assert response.status_code == 200 and len(response.data) > 1000, asset


def test_swagger_ui_files_stay_inside_their_folder(client: Any) -> None:
    assert client.get("/api/swagger-ui/../../../../etc/passwd").status_code == 404
