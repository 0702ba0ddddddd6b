size 0
data "x"
