data "x"
data "y" at=+8E
