"""Matrix notation in and out: a parser for matrix-calculus text and printers."""
