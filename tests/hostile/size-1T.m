data "end"
size 1T
