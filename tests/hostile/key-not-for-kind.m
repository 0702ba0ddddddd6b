data "x" skip=1
