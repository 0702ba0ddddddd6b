size 4K
data "x" at=4095
data "y"
