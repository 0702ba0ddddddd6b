data x
