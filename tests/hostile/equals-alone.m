data "x" =
