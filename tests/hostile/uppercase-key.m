zero LEN=4
