data "xy" at=0x7fffffffffffffff
