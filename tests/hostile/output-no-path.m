output
