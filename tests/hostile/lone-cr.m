data "x"data y
