data "x" at=""
