"""Generated from schema/ by scripts/codegen: never edit by hand."""
