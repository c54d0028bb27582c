"""The console's pages; importing this package registers every route on the blueprint."""

import sync_server.review.views.admin
import sync_server.review.views.cases
import sync_server.review.views.conflicts
import sync_server.review.views.dashboard
import sync_server.review.views.devices
import sync_server.review.views.exports
import sync_server.review.views.households
import sync_server.review.views.queue
import sync_server.review.views.signin  # noqa: F401
