"""Services: the only code that opens transactions. They take plain arguments (a `Database`,
a `Principal`, values, `now`) and never touch `request` or `g`, so the API, the CLI, the
console and the tests all call the same functions."""
