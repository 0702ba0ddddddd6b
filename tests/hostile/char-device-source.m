file /dev/zero
