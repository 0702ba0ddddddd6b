data "x"
