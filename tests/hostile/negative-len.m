fill 0 len=-1
