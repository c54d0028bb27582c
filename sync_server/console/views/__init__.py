"""The console's pages; importing this package registers every route on the blueprint."""

import sync_server.console.views.account
import sync_server.console.views.admin
import sync_server.console.views.audit
import sync_server.console.views.cases
import sync_server.console.views.config
import sync_server.console.views.conflicts
import sync_server.console.views.dashboard
import sync_server.console.views.devices
import sync_server.console.views.evidence
import sync_server.console.views.exports
import sync_server.console.views.households
import sync_server.console.views.queue
import sync_server.console.views.register
import sync_server.console.views.signin
import sync_server.console.views.users  # noqa: F401
