data x
